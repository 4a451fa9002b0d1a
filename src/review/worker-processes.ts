/**
 * Concurrency a deployment manifest does not show: the worker processes (or threads) a server or job
 * runner starts in each copy of the service — gunicorn's and uvicorn's `--workers`, Celery's and
 * Sidekiq's concurrency, Puma's `workers`, PM2's `instances` — as a Procfile or the runner's own
 * config file states them. Each is a client of its own when a dependency throttles. Only literal
 * numbers count (a `WEB_CONCURRENCY` default is one: it is what runs unless configured).
 */

/** Files that may state a worker count, by name wherever they are (outside vendored folders). */
const WORKER_FILES: { name: RegExp; read: (text: string) => { count: number; what: string }[] }[] = [
  { name: /^Procfile(\.\w+)?$/, read: commandFlags },
  {
    name: /^gunicorn([._-]?conf(ig)?)?\.py$/,
    read: (text) => assigned(text, /^workers\s*=\s*(\d+)\s*$/m, 'workers'),
  },
  { name: /^puma\.rb$/, read: pumaWorkers },
  { name: /^sidekiq\.ya?ml$/, read: (text) => assigned(text, /^:?concurrency:\s*(\d+)\s*$/m, 'concurrency') },
  {
    name: /^celeryconfig\.py$/,
    read: (text) => assigned(text, /^worker_concurrency\s*=\s*(\d+)\s*$/m, 'worker_concurrency'),
  },
  {
    name: /^ecosystem\.config\.c?js$/,
    read: (text) => assigned(text, /\binstances\s*:\s*(\d+)\b/, 'instances'),
  },
];

const SKIPPED_DIRS = new Set(['node_modules', 'vendor', '.git', 'test', 'tests', 'spec']);
/** Files read per review for worker counts; more are sampled, shallowest first. */
export const MAX_WORKER_FILES = 10;

/** Paths that may state a worker count, shallowest first, at most MAX_WORKER_FILES. */
export function workerFileCandidates(paths: readonly string[]): string[] {
  return paths
    .filter((path) => {
      const segments = path.split('/');
      const name = segments[segments.length - 1] ?? '';
      return (
        !segments.slice(0, -1).some((folder) => SKIPPED_DIRS.has(folder)) &&
        WORKER_FILES.some((file) => file.name.test(name))
      );
    })
    .sort((a, b) => a.split('/').length - b.split('/').length || (a < b ? -1 : 1))
    .slice(0, MAX_WORKER_FILES);
}

/** Every worker count one file states, credible or not (the caller judges). Pure. */
export function workerEvidence(path: string, text: string): { clients: number; source: string }[] {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const file = WORKER_FILES.find((candidate) => candidate.name.test(name));
  if (!file) return [];
  return file.read(text).map((item) => ({ clients: item.count, source: `${item.what} in ${path}` }));
}

/** `--workers 4`, `-w 4`, `--concurrency=8`, `-c 8`, `-i 4` (pm2), `WEB_CONCURRENCY=3` in a Procfile's commands. */
function commandFlags(text: string): { count: number; what: string }[] {
  const found: { count: number; what: string }[] = [];
  for (const line of text.split('\n')) {
    const entry = /^([\w-]+):\s*(.+)$/.exec(line.trim());
    if (!entry) continue;
    const [, process, command] = entry as unknown as [string, string, string];
    const runner = /\b(gunicorn|uvicorn|hypercorn|celery|sidekiq|puma|pm2|rq|dramatiq|huey)\b/.exec(
      command,
    )?.[1];
    const flag =
      /(?:^|\s)(?:--workers|--concurrency|--processes|--instances)[=\s](\d+)\b/.exec(command) ??
      (runner ? /(?:^|\s)-(?:w|c|i|p)\s*(\d+)\b/.exec(command) : null) ??
      /\bWEB_CONCURRENCY=(\d+)\b/.exec(command);
    if (!flag) continue;
    found.push({ count: Number(flag[1]), what: `${flag[0].trim()} (${runner ?? 'process'} \`${process}\`)` });
  }
  return found;
}

/** `workers 4`, `workers ENV.fetch("WEB_CONCURRENCY") { 2 }` (the default is what runs unless configured). */
function pumaWorkers(text: string): { count: number; what: string }[] {
  const match =
    /^\s*workers\s+(?:(\d+)|ENV\.fetch\(\s*["']\w+["']\s*(?:,\s*(\d+)\s*\)|\)\s*\{\s*(\d+)\s*\}))/m.exec(
      text,
    );
  const count = match?.[1] ?? match?.[2] ?? match?.[3];
  return count ? [{ count: Number(count), what: `workers ${count} (puma)` }] : [];
}

function assigned(text: string, pattern: RegExp, key: string): { count: number; what: string }[] {
  const count = pattern.exec(text)?.[1];
  return count ? [{ count: Number(count), what: `${key}: ${count}` }] : [];
}
