/**
 * A scratch `redis-server` (from PATH) on 127.0.0.1: the one the Redis-backed tests share (started by
 * test/global-setup-redis.ts), or a private one a test may stop and start again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';

const START_TIMEOUT_MS = 10_000;

export interface RedisProcess {
  port: number;
  /** `redis://127.0.0.1:<port>` */
  url: string;
  /** Ends the server (SIGTERM, then SIGKILL after 5 s). */
  stop(): Promise<void>;
  /** Resolves when the server has exited, however it was ended. */
  exited: Promise<void>;
}

/**
 * Starts redis-server and resolves once it answers PING. No persistence unless `dir` is given, in
 * which case `SHUTDOWN SAVE` writes the data there and a server started again on it reads it back.
 */
export async function startRedisServer(port: number, dir?: string): Promise<RedisProcess> {
  const server = spawn(
    'redis-server',
    // Loopback only, no protected-mode surprises: a scratch server.
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--databases',
      '32',
      ...(dir ? ['--dir', dir] : []),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  try {
    await waitForPong(port, server);
  } catch (error) {
    await stop(server);
    throw error;
  }
  const exited = new Promise<void>((resolve) => {
    if (server.exitCode !== null || server.signalCode !== null) resolve();
    else server.once('exit', () => resolve());
  });
  return { port, url: `redis://127.0.0.1:${port}`, stop: () => stop(server), exited };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function waitForPong(port: number, server: ChildProcess): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`redis-server exited with code ${server.exitCode}`);
    if (await ping(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no PONG on port ${port} within ${START_TIMEOUT_MS} ms`);
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.setTimeout(500);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

async function stop(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  server.kill('SIGTERM');
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
  if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
}
