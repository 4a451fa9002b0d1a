/**
 * What a one-file review reads of the repository around it, by how far its delay has to be followed:
 *   npx tsx bench/reads.ts [modules]
 * A generated Python repository of ordinary modules holds three changed files. A literal delay reads
 * nothing else; an imported constant reads its module; a delay that is a parameter builds the
 * repository index (bounded, nearest files first) to find the callers. On GitHub each file read is one
 * `git.getBlob` request, after one `git.getTree` listing for the whole review.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { MAX_INDEX_FILES } from '../src/analysis/flow/program.js';
import { createAnalyzers } from '../src/analysis/registry.js';
import { DEFAULT_CONFIG } from '../src/config.js';
import { WORKTREE_REF } from '../src/platforms/local/reader.js';
import { LocalReviewTarget } from '../src/platforms/local/target.js';
import { analysisOptionsFrom, analyzePaths, filterOptionsFrom } from '../src/review/analyze.js';

const MODULES = Number(process.argv[2] ?? 2_000);
const BUDGET = { maxFiles: 100_000, maxBytes: 1024 ** 3, maxFileBytes: 1024 * 1024, maxListed: 1_000_000 };

const ordinary = (i: number) => `from app.models import Customer


def total_${i}(orders):
    return sum(order.amount for order in orders if order.customer_id == ${i})


class Report${i}:
    def __init__(self, rows):
        self.rows = list(rows)

    def render(self):
        return "\\n".join(str(row) for row in self.rows)
`;

const CHANGED: Record<string, string> = {
  'app/jobs/literal.py': `import time


def push(client, batch):
    for attempt in range(5):
        try:
            return client.send(batch)
        except ConnectionError:
            time.sleep(2)
`,
  'app/jobs/constant.py': `import time

from app.settings import RETRY_DELAY


def push(client, batch):
    for attempt in range(5):
        try:
            return client.send(batch)
        except ConnectionError:
            time.sleep(RETRY_DELAY)
`,
  'app/jobs/parameter.py': `import time


def with_retry(task, attempts, wait):
    for attempt in range(attempts):
        try:
            return task()
        except ConnectionError:
            time.sleep(wait)
`,
};

function write(root: string, path: string, text: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

const root = mkdtempSync(join(tmpdir(), 'jitterbot-reads-'));
try {
  for (let i = 0; i < MODULES; i += 1)
    write(root, `app/module_${Math.floor(i / 50)}/part_${i}.py`, ordinary(i));
  write(root, 'app/settings.py', 'RETRY_DELAY = 5\n');
  write(
    root,
    'app/sync.py',
    'from app.jobs.parameter import with_retry\n\n\ndef run(task):\n    with_retry(task, 3, 4)\n',
  );
  for (const [path, text] of Object.entries(CHANGED)) write(root, path, text);

  console.log(
    `one-file reviews in a repository of ${MODULES + 5} Python files (index bound ${MAX_INDEX_FILES} files)`,
  );
  for (const path of Object.keys(CHANGED)) {
    const target = await LocalReviewTarget.open({ root, budget: BUDGET });
    const started = process.hrtime.bigint();
    const result = await analyzePaths({
      paths: [path],
      reader: target.reader,
      ref: WORKTREE_REF,
      analyzers: createAnalyzers(),
      filter: filterOptionsFrom(DEFAULT_CONFIG),
      options: analysisOptionsFrom(DEFAULT_CONFIG),
    });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const { filesRead } = target.reader.report();
    const found = result.files.flatMap((f) => f.findings).map((f) => `${f.rule} ${f.delay.kind}`);
    console.log(
      `  ${path.padEnd(24)} files read ${String(filesRead).padStart(4)}  (GitHub: 1 tree + ${filesRead} blob requests)  ${ms.toFixed(0).padStart(5)} ms  ${found.join(', ') || 'no finding'}`,
    );
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
