/** Starting and stopping worker-child.ts processes from a test. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Redis keys the child workers write (and the test reads): who started, who reviewed what. */
export const STARTED = 'test:started';
export const RELEASE = 'test:release';
export const REVIEWED = 'test:reviewed';

const CHILD = fileURLToPath(new URL('./worker-child.ts', import.meta.url));
const READY_TIMEOUT_MS = 20_000;

export interface Child {
  process: ChildProcess;
  /** Every JSON line the child printed. */
  lines: Record<string, unknown>[];
  exited: Promise<number | null>;
}

export async function startChildWorker(
  redisUrl: string,
  name: string,
  env: Record<string, string> = {},
): Promise<Child> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    env: {
      ...process.env,
      REDIS_URL: redisUrl,
      WORKER_NAME: name,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'fatal',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: Record<string, unknown>[] = [];
  let buffer = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    for (let index = buffer.indexOf('\n'); index !== -1; index = buffer.indexOf('\n')) {
      const line = buffer.slice(0, index);
      buffer = buffer.slice(index + 1);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not one of ours (a library's console output)
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!lines.some((line) => 'ready' in line)) {
    if (child.exitCode !== null) throw new Error(`worker ${name} exited early with ${child.exitCode}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`worker ${name} not ready within ${READY_TIMEOUT_MS} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return { process: child, lines, exited };
}

export function killChild(child: Child): void {
  if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
}
