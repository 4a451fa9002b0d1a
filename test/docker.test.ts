/**
 * The container image without a Docker engine: the Dockerfile's promises checked as text, and the
 * image's command run as the image runs it — built output, `node dist/cli.js serve`, NODE_ENV=production,
 * LOG_FORMAT=json, HOST unset, a GitLab-only environment — answering /healthz and the HEALTHCHECK
 * command. The compiled code must import nothing the production install leaves out.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
};

/** Instructions of the last stage (the image), continuation lines joined. */
function finalStage(): string[] {
  const lines = dockerfile
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const lastFrom = lines.map((line) => line.startsWith('FROM ')).lastIndexOf(true);
  return lines.slice(lastFrom);
}

describe('Dockerfile', () => {
  const stage = finalStage();

  it('is multi-stage, installs production dependencies only, and runs as a non-root user', () => {
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    const user = stage.find((line) => line.startsWith('USER '));
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^USER (root|0)\b/);
    expect(stage.some((line) => /^COPY --from=\w+ \/app\/node_modules/.test(line))).toBe(true);
  });

  it('sets production, JSON logs, no HOST, a health check, and serves by default', () => {
    const env = stage.filter((line) => line.startsWith('ENV ')).join(' ');
    expect(env).toMatch(/NODE_ENV=production/);
    expect(env).toMatch(/LOG_FORMAT=json/);
    expect(env).not.toMatch(/\bHOST=/);
    expect(stage.some((line) => line.startsWith('HEALTHCHECK ') && line.includes('/healthz'))).toBe(true);
    expect(stage.at(-1)).toBe('CMD ["node", "dist/cli.js", "serve"]');
  });
});

/** The HEALTHCHECK's command line, as Docker would run it. */
function healthcheckCommand(): string[] {
  const line = finalStage().find((candidate) => candidate.startsWith('HEALTHCHECK '))!;
  return JSON.parse(line.slice(line.indexOf('CMD ') + 4)) as string[];
}

function importedPackages(source: string): string[] {
  // TypeScript's own scanner finds import/export-from/dynamic import specifiers, and nothing in strings.
  return ts
    .preProcessFile(source, true, true)
    .importedFiles.map((file) => file.fileName)
    .filter((specifier) => !specifier.startsWith('.') && !specifier.startsWith('node:'))
    .map((specifier) =>
      specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!,
    );
}

function jsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? jsFiles(join(dir, entry.name))
      : entry.name.endsWith('.js')
        ? [join(dir, entry.name)]
        : [],
  );
}

describe('the image command, outside Docker', () => {
  let child: ReturnType<typeof spawn> | undefined;
  let logs: Record<string, unknown>[] = [];

  beforeAll(() => {
    // What the build stage runs.
    const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}\n${build.stderr}`);
  }, 180_000);

  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('imports only production dependencies and Node built-ins', () => {
    const allowed = new Set([...Object.keys(pkg.dependencies), ...builtinModules]);
    const missing = new Set<string>();
    for (const file of jsFiles(join(ROOT, 'dist'))) {
      for (const name of importedPackages(readFileSync(file, 'utf8')))
        if (!allowed.has(name)) missing.add(name);
    }
    expect([...missing]).toEqual([]);
  });

  it(
    'serves /healthz with NODE_ENV=production, JSON logs, no HOST and GitLab only',
    { timeout: 60_000 },
    async () => {
      const env: Record<string, string> = {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'production',
        LOG_FORMAT: 'json',
        // The image's 3000 may be taken on a test machine; 0 picks a free port.
        PORT: '0',
        GITLAB_TOKEN: 'glpat-docker-test',
        GITLAB_WEBHOOK_SECRET: 'docker-test-secret',
      };
      child = spawn('node', ['dist/cli.js', 'serve'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
      logs = [];
      const raw: string[] = [];
      const collect = (chunk: Buffer) => {
        for (const line of chunk
          .toString()
          .split('\n')
          .filter((text) => text.trim() !== '')) {
          raw.push(line);
          try {
            logs.push(JSON.parse(line) as Record<string, unknown>);
          } catch {
            // a non-JSON line fails the format check below
          }
        }
      };
      child.stdout!.on('data', collect);
      child.stderr!.on('data', collect);
      const deadline = Date.now() + 30_000;
      let listening: Record<string, unknown> | undefined;
      while (!(listening = logs.find((entry) => entry.msg === 'jitterbot listening'))) {
        if (child.exitCode !== null) throw new Error(`serve exited ${child.exitCode}: ${raw.join('\n')}`);
        if (Date.now() > deadline) throw new Error(`serve did not start: ${raw.join('\n')}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(listening).toMatchObject({ github: 'disabled' });
      // Every interface is logged as an address a person can open.
      expect(String(listening.url)).toMatch(/^http:\/\/localhost:\d+$/);
      const port = new URL(String(listening.url)).port;

      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });
      const [command, ...args] = healthcheckCommand();
      const check = spawnSync(command!, args, {
        env: { ...env, PORT: port },
        encoding: 'utf8',
        timeout: 10_000,
      });
      expect(check.status).toBe(0);

      child.kill('SIGTERM');
      const code = await new Promise((resolve) => child!.once('exit', resolve));
      expect(code).toBe(0);
      // Logs are written in batches: the last line, logged just before exit, must still be there.
      expect(logs.at(-1)).toMatchObject({ msg: 'stopped', drained: true });
      // Every line a log aggregator can parse.
      expect(raw.every((line) => line.startsWith('{'))).toBe(true);
    },
  );
});
