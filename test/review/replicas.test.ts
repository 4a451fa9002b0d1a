import { describe, expect, it } from 'vitest';
import {
  credibleCount,
  findClientCount,
  manifestCandidates,
  MAX_MANIFEST_FILES,
  replicaEvidence,
} from '../../src/review/replicas.js';
import type { RepoReader } from '../../src/platforms/types.js';

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 12
  template:
    spec:
      containers:
        - name: api
          image: api:1
---
apiVersion: v1
kind: Service
metadata:
  name: api
spec:
  ports:
    - port: 80
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: api
spec:
  minReplicas: 3
  maxReplicas: 40
`;

const HELM_VALUES = `replicaCount: 3
image:
  repository: worker
autoscaling:
  enabled: false
  maxReplicas: 100
queue:
  replicaCount: 8
  autoscaling:
    enabled: true
    maxReplicas: 25
`;

const HELM_TEMPLATE = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "chart.fullname" . }}
spec:
  {{- if not .Values.autoscaling.enabled }}
  replicas: {{ .Values.replicaCount }}
  {{- end }}
---
kind: StatefulSet
metadata:
  name: {{ .Release.Name }}-db
spec:
  replicas: 2
`;

const COMPOSE = `services:
  web:
    image: web
    deploy:
      replicas: 6
  worker:
    image: worker
    scale: 4
  db:
    image: postgres
`;

/** An in-memory repository at one ref. */
function memoryReader(files: Record<string, string>): RepoReader & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    async read(path) {
      reads.push(path);
      return files[path] ?? null;
    },
    async list() {
      return Object.keys(files);
    },
  };
}

describe('replicaEvidence', () => {
  it('reads Deployment replicas and autoscaler maxReplicas across documents', () => {
    expect(replicaEvidence('deploy/api.yaml', DEPLOYMENT)).toEqual([
      { clients: 12, source: 'replicas: 12 (Deployment api) in deploy/api.yaml' },
      { clients: 40, source: 'maxReplicas: 40 (HorizontalPodAutoscaler api) in deploy/api.yaml' },
    ]);
  });

  it('reads Helm values: replicaCount at any level, maxReplicas only where autoscaling is enabled', () => {
    expect(replicaEvidence('charts/worker/values.yaml', HELM_VALUES)).toEqual([
      { clients: 3, source: 'replicaCount: 3 in charts/worker/values.yaml' },
      { clients: 8, source: 'queue.replicaCount: 8 in charts/worker/values.yaml' },
      { clients: 25, source: 'queue.autoscaling.maxReplicas: 25 in charts/worker/values.yaml' },
    ]);
  });

  it('ignores templated values but keeps literal ones in the same template', () => {
    expect(replicaEvidence('charts/app/templates/deploy.yaml', HELM_TEMPLATE)).toEqual([
      { clients: 2, source: 'replicas: 2 (StatefulSet {{…}}-db) in charts/app/templates/deploy.yaml' },
    ]);
  });

  it('reads compose deploy.replicas and scale', () => {
    expect(replicaEvidence('docker-compose.yml', COMPOSE)).toEqual([
      { clients: 6, source: 'deploy.replicas: 6 (service web) in docker-compose.yml' },
      { clients: 4, source: 'scale: 4 (service worker) in docker-compose.yml' },
    ]);
  });

  it('skips broken documents and keeps the good ones', () => {
    const text = 'kind: Deployment\nspec: [unclosed\n---\nkind: Deployment\nspec:\n  replicas: 5\n';
    expect(replicaEvidence('k8s/x.yaml', text)).toEqual([
      { clients: 5, source: 'replicas: 5 (Deployment) in k8s/x.yaml' },
    ]);
  });
});

describe('credibleCount', () => {
  it('accepts literal integers within reason', () => {
    expect([1, 12, '7', ' 9 ', 10_000].map(credibleCount)).toEqual([1, 12, 7, 9, 10_000]);
    expect([0, -3, 2.5, 10_001, '3x', 'templated', null, undefined, true, {}].map(credibleCount)).toEqual(
      Array(10).fill(null),
    );
  });
});

describe('manifestCandidates', () => {
  it('picks compose files first, then YAML under deployment folders, shallow before deep', () => {
    expect(
      manifestCandidates([
        'src/config.yaml',
        'services/api/k8s/deploy.yaml',
        'k8s/base/api.yml',
        'compose.prod.yaml',
        'charts/api/values.yaml',
        'node_modules/x/k8s/y.yaml',
        'deploy/README.md',
        'docker-compose.yml',
        'Helm/chart/values.yml',
      ]),
    ).toEqual([
      'compose.prod.yaml',
      'docker-compose.yml',
      'Helm/chart/values.yml',
      'charts/api/values.yaml',
      'k8s/base/api.yml',
      'services/api/k8s/deploy.yaml',
    ]);
  });

  it(`reads at most ${MAX_MANIFEST_FILES} files`, () => {
    const many = Array.from({ length: MAX_MANIFEST_FILES + 20 }, (_, index) => `k8s/${index}.yaml`);
    expect(manifestCandidates(many)).toHaveLength(MAX_MANIFEST_FILES);
  });
});

describe('findClientCount', () => {
  it('answers the largest credible number and where it was found', async () => {
    const reader = memoryReader({
      'deploy/api.yaml': DEPLOYMENT,
      'charts/worker/values.yaml': HELM_VALUES,
      'docker-compose.yml': COMPOSE,
      'src/app.ts': 'export {};',
    });
    expect(await findClientCount(reader, 'HEAD')).toEqual({
      clients: 40,
      source: 'maxReplicas: 40 (HorizontalPodAutoscaler api) in deploy/api.yaml',
    });
    expect(reader.reads).not.toContain('src/app.ts');
  });

  it('answers null when no file says', async () => {
    expect(await findClientCount(memoryReader({ 'k8s/svc.yaml': 'kind: Service\n' }), 'HEAD')).toBeNull();
    expect(await findClientCount(memoryReader({}), 'HEAD')).toBeNull();
  });

  it('answers null when the repository cannot be listed', async () => {
    const failing: RepoReader = {
      read: async () => null,
      list: async () => {
        throw new Error('listing failed');
      },
    };
    expect(await findClientCount(failing, 'HEAD')).toBeNull();
  });
});
