import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A throwaway git repository in a temp directory, driven synchronously from tests. */
export class TempRepo {
  readonly root: string;

  constructor(prefix = 'jitterbot-local-') {
    this.root = mkdtempSync(join(tmpdir(), prefix));
  }

  static init(): TempRepo {
    const repo = new TempRepo();
    repo.git('init', '-q');
    repo.git('symbolic-ref', 'HEAD', 'refs/heads/main');
    return repo;
  }

  git(...args: string[]): string {
    return execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', ...args], {
      cwd: this.root,
      encoding: 'utf8',
      env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_DATE: '2024-01-01T00:00:00Z' },
    });
  }

  write(path: string, content: string | Uint8Array): void {
    const file = join(this.root, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
  }

  commit(message: string): string {
    this.git('add', '-A');
    this.git('-c', 'commit.gpgsign=false', 'commit', '-q', '--no-verify', '-m', message);
    return this.git('rev-parse', 'HEAD').trim();
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** `count` numbered lines, each ending with a newline. */
export function lines(count: number, label = 'line'): string {
  return Array.from({ length: count }, (_, index) => `${label} ${index + 1}\n`).join('');
}
