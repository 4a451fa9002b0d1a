/**
 * Starts a throwaway `redis-server` (from PATH) on a free 127.0.0.1 port for the Redis-backed tests and
 * stops it afterwards; tests read its URL with `inject('redisUrl')`. Without redis-server the URL is
 * empty and those tests are skipped with one loud line — except under CI=true, where a Redis that
 * cannot start fails the run, so CI never passes by skipping them.
 */
import { spawnSync } from 'node:child_process';
import type { TestProject } from 'vitest/node';
import { freePort, startRedisServer } from './redis/redis-process.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `redis://127.0.0.1:<port>` of the test Redis, or '' when there is none. */
    redisUrl: string;
  }
}

const INSTALL_HINT = 'apt-get install redis-server';
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
    try {
      const server = await startRedisServer(await freePort());
      project.provide('redisUrl', server.url);
      return () => server.stop();
    } catch (error) {
      lastError = error;
    }
  }
  const message = `redis-server did not start: ${(lastError as Error).message}`;
  if (process.env.CI === 'true') throw new Error(message);
  process.stderr.write(`\n!!! ${message}; the Redis-backed tests are SKIPPED.\n\n`);
  project.provide('redisUrl', '');
  return async () => {};
}
