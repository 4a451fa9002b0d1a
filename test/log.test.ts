import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { jsonLogger } from '../src/log.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('jsonLogger', () => {
  it("leaves the pretty format and Probot's own options (level as string, Sentry) to Probot", () => {
    expect(jsonLogger({})).toBeUndefined();
    expect(jsonLogger({ LOG_FORMAT: 'pretty' })).toBeUndefined();
    expect(jsonLogger({ LOG_FORMAT: 'json', LOG_LEVEL_IN_STRING: 'true' })).toBeUndefined();
    expect(jsonLogger({ LOG_FORMAT: 'json', SENTRY_DSN: 'https://key@sentry.example/1' })).toBeUndefined();
    expect(jsonLogger({ LOG_FORMAT: 'json', LOG_LEVEL: 'warn' })?.level).toBe('warn');
  });

  it('writes one JSON object per line, every line out by the time the process exits', () => {
    // 2,000 lines, the last logged right before process.exit: the batched destination must flush.
    const script = `
      const { jsonLogger } = await import('./src/log.ts');
      const log = jsonLogger({ LOG_FORMAT: 'json', LOG_MESSAGE_KEY: 'message' });
      for (let i = 0; i < 2000; i += 1) log.info({ i, repo: 'o/r' }, 'review enqueued');
      log.info({}, 'last');
      process.exit(0);`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(child.status).toBe(0);
    const lines = child.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(2001);
    expect(lines[1999]).toMatchObject({ level: 30, i: 1999, repo: 'o/r', message: 'review enqueued' });
    expect(lines.at(-1)).toMatchObject({ message: 'last' });
  });

  it('loses no line to a reader that falls behind, even when the process dies of an exception', async () => {
    // Far more than a pipe buffer holds, then a crash: the writer must wait for the reader, not drop.
    const script = `
      const { jsonLogger } = await import('./src/log.ts');
      const log = jsonLogger({ LOG_FORMAT: 'json' });
      for (let i = 0; i < 50000; i += 1) log.info({ i }, 'line');
      throw new Error('crash after logging');`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    child.stdout.pause();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stdout.resume();
    const code = await new Promise((resolve) => child.once('close', resolve));
    expect(code).not.toBe(0);
    const lines = Buffer.concat(chunks).toString('utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(50000);
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ i: 49999, msg: 'line' });
  }, 30_000);
});
