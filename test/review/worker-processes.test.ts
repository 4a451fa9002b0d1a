import { describe, expect, it } from 'vitest';
import { findClientCount } from '../../src/review/replicas.js';
import { MAX_WORKER_FILES, workerEvidence, workerFileCandidates } from '../../src/review/worker-processes.js';
import type { RepoReader } from '../../src/platforms/types.js';

describe('workerEvidence', () => {
  it.each([
    [
      'Procfile',
      'web: gunicorn app:app --workers 4 --bind 0.0.0.0:$PORT\n',
      4,
      '--workers 4 (gunicorn `web`) in Procfile',
    ],
    [
      'Procfile',
      'worker: celery -A tasks worker -c 8 --loglevel=info\n',
      8,
      '-c 8 (celery `worker`) in Procfile',
    ],
    [
      'Procfile',
      'worker: bundle exec sidekiq --concurrency=12\n',
      12,
      '--concurrency=12 (sidekiq `worker`) in Procfile',
    ],
    [
      'Procfile',
      'web: WEB_CONCURRENCY=3 node server.js\n',
      3,
      'WEB_CONCURRENCY=3 (process `web`) in Procfile',
    ],
    [
      'deploy/gunicorn.conf.py',
      'bind = "0.0.0.0:8000"\nworkers = 5\n',
      5,
      'workers: 5 in deploy/gunicorn.conf.py',
    ],
    [
      'config/puma.rb',
      'workers ENV.fetch("WEB_CONCURRENCY") { 2 }\nthreads 5, 5\n',
      2,
      'workers 2 (puma) in config/puma.rb',
    ],
    [
      'config/sidekiq.yml',
      ':concurrency: 10\n:queues:\n  - default\n',
      10,
      'concurrency: 10 in config/sidekiq.yml',
    ],
    [
      'ecosystem.config.js',
      'module.exports = { apps: [{ name: "api", script: "dist/main.js", instances: 6 }] };\n',
      6,
      'instances: 6 in ecosystem.config.js',
    ],
  ])('%s: %s', (path, text, clients, source) => {
    expect(workerEvidence(path, text)).toEqual([{ clients, source }]);
  });

  it.each([
    [
      'a gunicorn config file given by -c, not a count',
      'Procfile',
      'web: gunicorn -c gunicorn.conf.py app:app\n',
    ],
    [
      'a templated worker count',
      'deploy/gunicorn.conf.py',
      'workers = multiprocessing.cpu_count() * 2 + 1\n',
    ],
    [
      'pm2 scaled to the machine',
      'ecosystem.config.js',
      'module.exports = { apps: [{ instances: "max" }] };\n',
    ],
    ['a short flag of a command that is not a worker runner', 'Procfile', 'release: ./migrate -w 5\n'],
  ])('says nothing for %s', (_, path, text) => {
    expect(workerEvidence(path, text)).toEqual([]);
  });
});

describe('workerFileCandidates', () => {
  it('finds the runners’ files outside vendored and test folders, shallowest first, bounded', () => {
    expect(
      workerFileCandidates([
        'services/api/gunicorn.conf.py',
        'Procfile',
        'node_modules/x/Procfile',
        'test/fixtures/config/puma.rb',
        'config/puma.rb',
        'src/app.py',
      ]),
    ).toEqual(['Procfile', 'config/puma.rb', 'services/api/gunicorn.conf.py']);
    const many = Array.from({ length: MAX_WORKER_FILES + 5 }, (_, i) => `svc${i}/Procfile`);
    expect(workerFileCandidates(many)).toHaveLength(MAX_WORKER_FILES);
  });
});

describe('findClientCount with worker processes', () => {
  const reader = (files: Record<string, string>): RepoReader => ({
    read: async (path) => files[path] ?? null,
    list: async () => Object.keys(files),
  });

  it('counts the worker processes of a repository with no deployment manifest', async () => {
    expect(await findClientCount(reader({ Procfile: 'web: gunicorn app:app -w 6\n' }), 'HEAD')).toEqual({
      clients: 6,
      source: '-w 6 (gunicorn `web`) in Procfile',
    });
  });

  it('leaves out a placeholder too large to be a fleet', async () => {
    const files = { Procfile: 'web: gunicorn app:app --workers 999999\n' };
    expect(await findClientCount(reader(files), 'HEAD')).toBeNull();
  });

  it('takes the larger of replicas and workers, never their product', async () => {
    const files = {
      'k8s/api.yaml': 'kind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: 3\n',
      'config/sidekiq.yml': 'concurrency: 10\n',
    };
    expect(await findClientCount(reader(files), 'HEAD')).toEqual({
      clients: 10,
      source: 'concurrency: 10 in config/sidekiq.yml',
    });
  });
});
