import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyEdits } from '../../src/suggest/edits.js';
import { scan } from '../cli/scan-io.js';
import { TempRepo } from '../platforms/local-repo.js';

/**
 * The case jitterbot exists for, end to end through `jitterbot scan --base`: a Kinesis consumer that
 * sleeps exactly 5 s on ProvisionedThroughputExceededException in a loop, with the constant in
 * another module. The branch adds the consumer; the settings module is untouched.
 */

const SETTINGS = 'THROTTLE_BACKOFF_SECONDS = 5\nBATCH_SIZE = 100\n';

const CONSUMER = [
  '"""Reads the orders stream, one shard per worker."""',
  'import time',
  '',
  'import boto3',
  '',
  'from .settings import BATCH_SIZE, THROTTLE_BACKOFF_SECONDS',
  '',
  '',
  'def consume(stream_name, shard_id):',
  '    client = boto3.client("kinesis")',
  '    iterator = client.get_shard_iterator(StreamName=stream_name, ShardId=shard_id, ShardIteratorType="LATEST")["ShardIterator"]',
  '    while True:',
  '        try:',
  '            response = client.get_records(ShardIterator=iterator, Limit=BATCH_SIZE)',
  '        except client.exceptions.ProvisionedThroughputExceededException:',
  '            time.sleep(THROTTLE_BACKOFF_SECONDS)',
  '            continue',
  '        iterator = response["NextShardIterator"]',
  '        handle(response["Records"])',
  '',
].join('\n');

interface ReportedFinding {
  path: string;
  rule: string;
  range: { startLine: number };
  delay: { kind: string; ms?: number };
  trigger: { kind: string; detail?: string };
  evidence: string[];
  suggestion: {
    valid: boolean;
    edits: { start: number; end: number; newText: string }[];
    extra: string[];
    primary: { newLines: string };
    description: string;
  };
}

describe('the Kinesis consumer, end to end', () => {
  let repo: TempRepo;
  beforeAll(() => {
    repo = TempRepo.init();
    repo.write('orders/__init__.py', '');
    repo.write('orders/settings.py', SETTINGS);
    repo.commit('base');
    repo.git('checkout', '-q', '-b', 'feature');
    repo.write('orders/consumer.py', CONSUMER);
    repo.commit('consumer');
  });
  afterAll(() => repo.remove());

  it('reports the fixed 5 s sleep, resolved through the settings module, and offers a valid jitter patch', async () => {
    const { code, stdout } = await scan(repo.root, { base: 'main' });
    const report = JSON.parse(stdout) as { findings: ReportedFinding[] };
    expect(report.findings.map((f) => `${f.path}:${f.range.startLine}:${f.rule}`)).toEqual([
      'orders/consumer.py:16:fixed-delay-retry',
    ]);
    const [finding] = report.findings;
    expect(finding!.delay).toMatchObject({ kind: 'fixed', ms: 5000 });
    expect(finding!.trigger).toMatchObject({ kind: 'exception', detail: 'ProvisionedThroughputExceeded' });
    expect(finding!.evidence.join('\n')).toContain('orders/settings.py');
    expect(finding!.suggestion.valid).toBe(true);
    expect(finding!.suggestion.primary.newLines).toBe(
      '            time.sleep(random.uniform(0, THROTTLE_BACKOFF_SECONDS))',
    );
    expect(finding!.suggestion.extra).toEqual([
      'Also add `import random` with the standard-library imports.',
    ]);
    const patched = applyEdits(CONSUMER, finding!.suggestion.edits);
    // isort/ruff order: with the standard library, before the third-party and local imports.
    expect(patched).toContain('import random\nimport time\n\nimport boto3\n');
    expect(code).toBe(1);
  });

  it('is quiet once the jittered fix is committed', async () => {
    const first = JSON.parse((await scan(repo.root, { base: 'main' })).stdout) as {
      findings: ReportedFinding[];
    };
    repo.write('orders/consumer.py', applyEdits(CONSUMER, first.findings[0]!.suggestion.edits));
    repo.commit('jitter');
    const { code, stdout } = await scan(repo.root, { base: 'main' });
    expect((JSON.parse(stdout) as { findings: ReportedFinding[] }).findings).toEqual([]);
    expect(code).toBe(0);
  });
});

/** The same consumer in a repository that has a full-jitter helper and runs the consumer on 8 pods. */
const BACKOFF = [
  'import random',
  '',
  '',
  'def full_jitter(attempt, base=0.1, cap=30.0):',
  '    """Seconds to wait before retry `attempt`: a draw over the whole capped exponential."""',
  '    return random.uniform(0, min(cap, base * 2 ** attempt))',
  '',
].join('\n');

const DEPLOYMENT = [
  'apiVersion: apps/v1',
  'kind: Deployment',
  'metadata:',
  '  name: orders-consumer',
  'spec:',
  '  replicas: 8',
  '',
].join('\n');

const LOGGING_CONSUMER = CONSUMER.replace(
  '            time.sleep(THROTTLE_BACKOFF_SECONDS)',
  '            print("Throttled; sleeping for 5 seconds")\n            time.sleep(THROTTLE_BACKOFF_SECONDS)',
);

describe('the Kinesis consumer in a repository with its own jitter helper and a deployment manifest', () => {
  let repo: TempRepo;
  beforeAll(() => {
    repo = TempRepo.init();
    repo.write('orders/__init__.py', '');
    repo.write('orders/settings.py', SETTINGS);
    repo.write('orders/backoff.py', BACKOFF);
    repo.write('deploy/orders-consumer.yaml', DEPLOYMENT);
    repo.commit('base');
    repo.git('checkout', '-q', '-b', 'feature');
    repo.write('orders/consumer.py', LOGGING_CONSUMER);
    repo.commit('consumer');
  });
  afterAll(() => repo.remove());

  it('waits the helper with a counter it introduces, keeps the log line true and names the replicas', async () => {
    const { stdout } = await scan(repo.root, { base: 'main' });
    const report = JSON.parse(stdout) as {
      findings: (ReportedFinding & { simulation: { clients: number } })[];
      clients: { count: number; source: string };
    };
    const [finding] = report.findings;
    expect(finding!.suggestion.valid).toBe(true);
    const patched = applyEdits(LOGGING_CONSUMER, finding!.suggestion.edits);
    expect(patched).toContain('from orders.backoff import full_jitter\n');
    expect(patched).toContain(
      [
        '    attempt = 0',
        '    while True:',
        '        try:',
        '            response = client.get_records(ShardIterator=iterator, Limit=BATCH_SIZE)',
        // The consumer goes on after a good read: the next throttle starts from the first retry again.
        '            attempt = 0',
        '        except client.exceptions.ProvisionedThroughputExceededException:',
        '            print("Throttled; sleeping for 5 seconds")',
        '            attempt += 1',
        '            time.sleep(full_jitter(attempt))',
      ].join('\n'),
    );
    expect(finding!.suggestion.description).toContain('full_jitter');
    // The log line would be wrong after the patch; no bound of the helper's wait is known to write there.
    expect(finding!.suggestion.description).toMatch(/line 16 \(“5 seconds”\) still state the old fixed wait/);
    expect(report.clients.count).toBe(8);
    expect(report.clients.source).toContain('deploy/orders-consumer.yaml');
    expect(finding!.simulation.clients).toBe(8);
  });
});
