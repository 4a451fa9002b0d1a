import { parseAllDocuments } from 'yaml';
import type { RepoReader } from '../platforms/types.js';
import { workerEvidence, workerFileCandidates } from './worker-processes.js';

/**
 * Concurrency evidence: how many copies of a service will retry at the same moment, read from the
 * deployment files a repository already has. The herd simulation uses it instead of the configured
 * default. Only literal numbers count: a templated `{{ .Values.replicas }}` says nothing until rendered.
 */

export interface ClientCount {
  clients: number;
  /** Where the number comes from, for the comment: "replicas: 12 (Deployment api) in deploy/api.yaml". */
  source: string;
}

/** Deployment files read per review; a repository with more is sampled, shallowest paths first. */
export const MAX_MANIFEST_FILES = 50;
/** Larger numbers are typos or placeholders (`999999`), not a fleet anyone runs behind one service. */
export const MAX_CREDIBLE_REPLICAS = 10_000;
/** Helm values nest per component; deeper than this is data, not a chart's structure. */
const MAX_VALUES_DEPTH = 6;

const MANIFEST_DIRS = new Set([
  'k8s',
  'kubernetes',
  'deploy',
  'deployment',
  'deployments',
  'manifests',
  'charts',
  'helm',
]);
const COMPOSE_FILE = /^(docker-)?compose[\w.-]*\.ya?ml$/i;
const YAML_FILE = /\.ya?ml$/i;
const SKIPPED_DIRS = new Set(['node_modules', 'vendor', '.git']);
const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'ReplicaSet']);
const AUTOSCALER_KIND = 'HorizontalPodAutoscaler';
// `{{ … }}` on a line of its own is control flow (`{{- if … }}`); inline it is a value.
const TEMPLATE_LINE = /^\s*\{\{.*\}\}\s*$/gm;
const TEMPLATE_VALUE = /\{\{.*?\}\}/g;
// Stands in for an inline template so the YAML around it still parses; never a number, so never counted.
const TEMPLATED = '__templated__';
const TEMPLATED_SHOWN = '{{…}}';

/**
 * Largest credible client count in the repository's deployment files at `ref` — replicas, or worker
 * processes per copy (`worker-processes.ts`) — or null when none says.
 */
export async function findClientCount(reader: RepoReader, ref: string): Promise<ClientCount | null> {
  let paths: string[];
  try {
    paths = await reader.list(ref);
  } catch {
    return null;
  }
  const manifests = manifestCandidates(paths);
  const workerFiles = workerFileCandidates(paths);
  const texts = await Promise.all([...manifests, ...workerFiles].map((path) => reader.read(path, ref)));
  const evidence = [
    ...manifests.flatMap((path, index) => {
      const text = texts[index];
      return text ? replicaEvidence(path, text) : [];
    }),
    // Worker processes per copy are not multiplied by replicas: nothing ties a Procfile or a gunicorn
    // config to one Deployment of a monorepo, so each number stands on its own.
    ...workerFiles.flatMap((path, index) => {
      const text = texts[manifests.length + index];
      return text ? workerEvidence(path, text).filter((count) => credibleCount(count.clients) !== null) : [];
    }),
  ];
  return largest(evidence);
}

/** Paths worth reading, at most MAX_MANIFEST_FILES: compose files, then YAML under deployment folders. */
export function manifestCandidates(paths: readonly string[]): string[] {
  const scored: { path: string; rank: number; depth: number }[] = [];
  for (const path of paths) {
    const segments = path.split('/');
    const name = segments[segments.length - 1] ?? '';
    const folders = segments.slice(0, -1);
    if (!YAML_FILE.test(name) || folders.some((folder) => SKIPPED_DIRS.has(folder))) continue;
    const rank = COMPOSE_FILE.test(name)
      ? 0
      : folders.some((folder) => MANIFEST_DIRS.has(folder.toLowerCase()))
        ? 1
        : -1;
    if (rank >= 0) scored.push({ path, rank, depth: segments.length });
  }
  scored.sort((a, b) => a.rank - b.rank || a.depth - b.depth || (a.path < b.path ? -1 : 1));
  return scored.slice(0, MAX_MANIFEST_FILES).map((entry) => entry.path);
}

/** Every replica number one file states, from each of its YAML documents. Pure. */
export function replicaEvidence(path: string, text: string): ClientCount[] {
  const found: ClientCount[] = [];
  const detemplated = text.replace(TEMPLATE_LINE, '').replace(TEMPLATE_VALUE, TEMPLATED);
  for (const document of parseAllDocuments(detemplated)) {
    if (document.errors.length > 0) continue;
    let value: unknown;
    try {
      value = document.toJS();
    } catch {
      // Alias bombs and other pathological documents: yaml refuses them, and so do we.
      continue;
    }
    found.push(
      ...documentEvidence(value).map((item) => ({
        clients: item.clients,
        source: `${item.what} in ${path}`,
      })),
    );
  }
  return found;
}

interface Evidence {
  clients: number;
  what: string;
}

function documentEvidence(document: unknown): Evidence[] {
  if (!isRecord(document)) return [];
  const kind = document.kind;
  if (typeof kind === 'string') return kubernetesEvidence(kind, document);
  if (isRecord(document.services)) return composeEvidence(document.services);
  return valuesEvidence(document, [], 0);
}

function kubernetesEvidence(kind: string, document: Record<string, unknown>): Evidence[] {
  const spec = isRecord(document.spec) ? document.spec : {};
  const rawName = isRecord(document.metadata) ? document.metadata.name : undefined;
  const name = typeof rawName === 'string' ? rawName.replaceAll(TEMPLATED, TEMPLATED_SHOWN) : '';
  const label = name ? `${kind} ${name}` : kind;
  if (WORKLOAD_KINDS.has(kind)) return counted('replicas', spec.replicas, label);
  if (kind === AUTOSCALER_KIND) return counted('maxReplicas', spec.maxReplicas, label);
  return [];
}

/** docker-compose: `deploy.replicas` (compose spec), or the older `scale`. */
function composeEvidence(services: Record<string, unknown>): Evidence[] {
  return Object.entries(services).flatMap(([name, service]) => {
    if (!isRecord(service)) return [];
    const deploy = isRecord(service.deploy) ? service.deploy : {};
    return [
      ...counted('deploy.replicas', deploy.replicas, `service ${name}`),
      ...counted('scale', service.scale, `service ${name}`),
    ];
  });
}

/**
 * Helm values: `replicaCount` at any level (umbrella charts nest one block per component), and
 * `autoscaling.maxReplicas` only where `autoscaling.enabled` is true — `helm create` scaffolds
 * `maxReplicas: 100` with autoscaling disabled.
 */
function valuesEvidence(values: Record<string, unknown>, at: string[], depth: number): Evidence[] {
  if (depth > MAX_VALUES_DEPTH) return [];
  const found = counted(keyPath(at, 'replicaCount'), values.replicaCount);
  const autoscaling = values.autoscaling;
  if (isRecord(autoscaling) && autoscaling.enabled === true) {
    found.push(...counted(keyPath(at, 'autoscaling.maxReplicas'), autoscaling.maxReplicas));
  }
  for (const [key, child] of Object.entries(values)) {
    if (isRecord(child) && key !== 'autoscaling')
      found.push(...valuesEvidence(child, [...at, key], depth + 1));
  }
  return found;
}

function keyPath(at: string[], key: string): string {
  return [...at, key].join('.');
}

/** `label` names the workload or service; a Helm key path (`api.replicaCount`) already says which. */
function counted(key: string, value: unknown, label = ''): Evidence[] {
  const clients = credibleCount(value);
  if (clients === null) return [];
  return [{ clients, what: `${key}: ${clients}${label ? ` (${label})` : ''}` }];
}

/** A literal integer in [1, MAX_CREDIBLE_REPLICAS]; a quoted digit string (`"3"`) counts too. */
export function credibleCount(value: unknown): number | null {
  const number = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number)) return null;
  return number >= 1 && number <= MAX_CREDIBLE_REPLICAS ? number : null;
}

/** The largest count; on a tie the first, which comes from the file ranked first. */
export function largest(evidence: readonly ClientCount[]): ClientCount | null {
  let best: ClientCount | null = null;
  for (const item of evidence) if (!best || item.clients > best.clients) best = item;
  return best;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
