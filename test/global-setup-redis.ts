/**
 * Starts a throwaway `redis-server` (from PATH) on a free 127.0.0.1 port for the Redis-backed tests and
 * stops it afterwards; tests read its URL with `inject('redisUrl')`. Without redis-server the URL is
 * empty and those tests are skipped with one loud line — except under CI=true, where a Redis that
 * cannot start fails the run, so CI never passes by skipping them.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `redis://127.0.0.1:<port>` of the test Redis, or '' when there is none. */
    redisUrl: string;
  }
}

const INSTALL_HINT = 'apt-get install redis-server';
const START_TIMEOUT_MS = 10_000;
const START_ATTEMPTS = 3;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const binary = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (binary.error || binary.status !== 0) {
    if (process.env.CI === 'true') {
      throw new Error(
        `CI=true: the Redis-backed tests need redis-server, which is not on PATH (\`${INSTALL_HINT}\`).`,
      );
    }
    process.stderr.write(
      `\n!!! redis-server is not on PATH: the Redis-backed tests are SKIPPED. Install it with \`${INSTALL_HINT}\`.\n\n`,
    );
    project.provide('redisUrl', '');
    return async () => {};
  }
  let lastError: unknown;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt += 1) {
    const port = await freePort();
    const server = spawn(
      'redis-server',
      // No persistence, loopback only, no protected-mode surprises: a scratch server for one run.
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
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    try {
      await waitForPong(port, server);
      project.provide('redisUrl', `redis://127.0.0.1:${port}`);
      return () => stop(server);
    } catch (error) {
      lastError = error;
      await stop(server);
    }
  }
  const message = `redis-server did not start: ${(lastError as Error).message}`;
  if (process.env.CI === 'true') throw new Error(message);
  process.stderr.write(`\n!!! ${message}; the Redis-backed tests are SKIPPED.\n\n`);
  project.provide('redisUrl', '');
  return async () => {};
}

function freePort(): Promise<number> {
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
