import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A deterministic corpus of realistic service code: mostly ordinary modules (handlers, models,
 * utilities), with retries — fixed, exponential, jittered — and near-misses sprinkled at known rates.
 */
const TEMPLATES: ((i: number) => string)[] = [
  (i) => `import { sleep } from '../lib/time';
import { RETRY_DELAY_MS } from '../config';

export async function fetchOrder${i}(id: string): Promise<unknown> {
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const res = await fetch(\`https://orders.internal/\${id}\`);
      if (!res.ok) throw new Error(\`status \${res.status}\`);
      return await res.json();
    } catch (error) {
      if (attempt === 4) throw error;
      await sleep(RETRY_DELAY_MS);
    }
  }
  return null;
}
`,
  (i) => `export interface Customer${i} {
  id: string;
  name: string;
  email: string;
  createdAt: Date;
  tags: string[];
}

export function normalise${i}(input: Partial<Customer${i}>): Customer${i} {
  return {
    id: input.id ?? '',
    name: (input.name ?? '').trim(),
    email: (input.email ?? '').toLowerCase(),
    createdAt: input.createdAt ?? new Date(0),
    tags: [...new Set(input.tags ?? [])].sort(),
  };
}

export function score${i}(c: Customer${i}): number {
  let total = 0;
  for (const tag of c.tags) total += tag.length * 3;
  return c.email.endsWith('.com') ? total + 10 : total;
}
`,
  (i) => `import { fullJitter } from '../lib/backoff';
import { sleep } from '../lib/time';

export async function publish${i}(topic: string, payload: object): Promise<void> {
  let attempt = 0;
  while (true) {
    try {
      await broker.send(topic, JSON.stringify(payload));
      return;
    } catch (error) {
      attempt += 1;
      if (attempt > 6) throw error;
      await sleep(fullJitter(attempt));
    }
  }
}
`,
  (i) => `import express from 'express';

const router${i} = express.Router();

router${i}.get('/items/:id', async (req, res) => {
  const item = await db.items.find(req.params.id);
  if (!item) {
    res.status(404).json({ error: 'not found' });
    return;
  }
  res.json({ ...item, links: { self: \`/items/\${item.id}\` } });
});

router${i}.post('/items', async (req, res) => {
  const created = await db.items.insert(req.body);
  res.status(201).json(created);
});

export default router${i};
`,
  (i) => `export async function waitForJob${i}(id: string): Promise<string> {
  let job = await jobs.get(id);
  while (job.status !== 'done') {
    await new Promise((r) => setTimeout(r, 2000));
    job = await jobs.get(id);
  }
  return job.result;
}

export function debounce${i}<T extends (...args: unknown[]) => void>(fn: T, ms = 250): T {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return ((...args: unknown[]) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  }) as T;
}
`,
  (i) => `import pRetry from 'p-retry';

export const sync${i} = (orderId: string) =>
  pRetry(() => erp.push(orderId), { retries: 5, factor: 2, minTimeout: 500 });

export function format${i}(amount: number, currency = 'EUR'): string {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).format(amount / 100);
}
`,
];

/** Weights per template: ordinary code dominates, as in a real tree. */
const WEIGHTS = [1, 6, 1, 5, 2, 1];
/** The templates that break a rule: the fixed retry and p-retry's unjittered default. */
const FINDING_TEMPLATES = new Set([0, 5]);
/** With few findings, one file in this many is the fixed retry, and no other file breaks a rule. */
const FEW_EVERY = 200;
const ORDINARY_TEMPLATE = 1;

/** `many`: the template mix as it is (one file in eight breaks a rule); `few`: one file in 200. */
export type Density = 'few' | 'many';

function templateFor(schedule: number[], i: number, density: Density): (i: number) => string {
  const index = schedule[i % schedule.length]!;
  if (density === 'many') return TEMPLATES[index]!;
  if (i % FEW_EVERY === 0) return TEMPLATES[0]!;
  return TEMPLATES[FINDING_TEMPLATES.has(index) ? ORDINARY_TEMPLATE : index]!;
}

export function writeCorpus(dir: string, files: number, density: Density = 'many'): void {
  const schedule = WEIGHTS.flatMap((weight, index) => Array<number>(weight).fill(index));
  mkdirSync(join(dir, 'src', 'lib'), { recursive: true });
  writeFileSync(join(dir, 'src', 'config.ts'), 'export const RETRY_DELAY_MS = 5000;\n');
  writeFileSync(
    join(dir, 'src', 'lib', 'time.ts'),
    'export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));\n',
  );
  writeFileSync(
    join(dir, 'src', 'lib', 'backoff.ts'),
    'export const fullJitter = (attempt: number, base = 100, cap = 30_000) => Math.random() * Math.min(cap, base * 2 ** attempt);\n',
  );
  for (let i = 0; i < files; i += 1) {
    const folder = join(dir, 'src', `module${Math.floor(i / 100)}`);
    if (i % 100 === 0) mkdirSync(folder, { recursive: true });
    const template = templateFor(schedule, i, density);
    writeFileSync(
      join(folder, `file${i}.ts`),
      template(i).replaceAll("'../lib/", "'../lib/").replaceAll("'../config'", "'../config'"),
    );
  }
}
