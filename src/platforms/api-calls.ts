import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What an API call was for. A bounded set (it labels metrics): reads of repository content (tree,
 * blob, contents, compare), of the pull or merge request and its comments and checks, GraphQL, and
 * every write.
 */
export const API_CALL_KINDS = [
  'tree',
  'blob',
  'contents',
  'compare',
  'pull',
  'comments',
  'check',
  'graphql',
  'write',
  'other',
] as const;
export type ApiCallKind = (typeof API_CALL_KINDS)[number];

/**
 * The API calls of one review, by kind, every attempt included (a retried call costs quota twice),
 * and the reads the content cache answered instead of the platform.
 */
export class ApiCallLog {
  private readonly counts = new Map<ApiCallKind, number>();
  /** Conditional requests answered 304 (counted in `total` too; GitHub does not charge them). */
  notModified = 0;
  /** Blob and tree reads answered by the read cache: calls not made. */
  cacheHits = 0;

  constructor(readonly platform: 'github' | 'gitlab') {}

  record(kind: ApiCallKind): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
  }

  get total(): number {
    let sum = 0;
    for (const count of this.counts.values()) sum += count;
    return sum;
  }

  /** Counts by kind, in the order of {@link API_CALL_KINDS}, kinds with no call left out. */
  byKind(): [ApiCallKind, number][] {
    return API_CALL_KINDS.flatMap((kind) => {
      const count = this.counts.get(kind);
      return count ? [[kind, count] as [ApiCallKind, number]] : [];
    });
  }
}

// Reviews run concurrently in one process, all through one client per platform: each review's calls
// are attributed through the async context the review runs in, not through the client.
const current = new AsyncLocalStorage<ApiCallLog>();

/** Runs one review with every API call made within it (however deep) recorded in `log`. */
export function withApiCallLog<T>(log: ApiCallLog, work: () => Promise<T>): Promise<T> {
  return current.run(log, work);
}

/** A request of the running review was answered `304 Not Modified`. */
export function recordNotModified(): void {
  const log = current.getStore();
  if (log) log.notModified += 1;
}

/** The log of the review running in this async context, if any. */
export function currentApiCallLog(): ApiCallLog | undefined {
  return current.getStore();
}

/** Called by each platform's transport for every attempt it sends. */
export function recordApiCall(method: string, path: string): void {
  current.getStore()?.record(apiCallKind(method, path));
}

// Patterns cover both platforms' REST paths: GitHub's route templates (`/repos/{owner}/{repo}/git/trees/
// {tree_sha}`) and GitLab's endpoints (`projects/7/repository/tree`).
const READ_KINDS: [RegExp, ApiCallKind][] = [
  [/\/git\/trees\/|\/repository\/tree\b/, 'tree'],
  [/\/git\/blobs\/|\/repository\/blobs\//, 'blob'],
  [/\/contents\/|\/repository\/files\//, 'contents'],
  [/\/compare\b/, 'compare'],
  [/\/comments\b|\/reviews\b|\/discussions\b|\/notes\b|\/reactions\b/, 'comments'],
  [/\/check-runs\b|\/check-suites\b|\/statuses\b/, 'check'],
  [/\/pulls\b|\/merge_requests\b/, 'pull'],
];

export function apiCallKind(method: string, path: string): ApiCallKind {
  if (/\/graphql$/.test(path)) return 'graphql';
  if (method.toUpperCase() !== 'GET' && method.toUpperCase() !== 'HEAD') return 'write';
  return READ_KINDS.find(([pattern]) => pattern.test(path))?.[1] ?? 'other';
}

/**
 * One markdown paragraph for a check run's details or a summary note: what the review cost in API
 * calls up to the moment it is written (the update that carries it is not in it).
 */
export function renderApiCalls(log: ApiCallLog): string {
  const name = log.platform === 'github' ? 'GitHub' : 'GitLab';
  const kinds = log.byKind().map(([kind, count]) => `${count} ${kind}`);
  const parts = [
    `${log.total} ${name} API call${log.total === 1 ? '' : 's'}${kinds.length ? ` (${kinds.join(', ')})` : ''}`,
  ];
  if (log.notModified > 0) parts.push(`${log.notModified} answered "not modified", free of rate limit`);
  if (log.cacheHits > 0) parts.push(`${log.cacheHits} repository reads served from the cache`);
  return `**Cost of this review:** ${parts.join('; ')}.`;
}
