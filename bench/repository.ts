/**
 * A real-shaped repository for `npm run bench`: a TypeScript monorepo (an API, a queue worker, a web
 * front end and a shared library, each with its tests) next to a Python and a Go service, with
 * imports between modules, a tsconfig with path aliases, generated code, and retry code as real trees
 * hold it: a shared fixed-delay helper called from many services, a jittered one, inline retries,
 * and the waits that are not retries (polling, debouncing, pacing). Deterministic: the same tree
 * every run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Domain nouns the modules are named after, as in a commerce back end. */
const DOMAINS = [
  'order',
  'customer',
  'invoice',
  'payment',
  'shipment',
  'product',
  'inventory',
  'refund',
  'coupon',
  'review',
  'session',
  'address',
  'warehouse',
  'supplier',
  'report',
  'notification',
];

const pascal = (word: string) => word[0]!.toUpperCase() + word.slice(1);

/** A small deterministic generator (a linear congruential one), so sizes vary but never between runs. */
function sequence(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

const SHARED: Record<string, string> = {
  'packages/shared/src/config.ts': `export const RETRY_DELAY_MS = 2_000;
export const RETRY_ATTEMPTS = 5;
export const POLL_INTERVAL_MS = 10_000;
export const REQUEST_TIMEOUT_MS = 30_000;
`,
  'packages/shared/src/lib/time.ts': `export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
`,
  'packages/shared/src/lib/retry.ts': `import { sleep } from './time';

/** Runs \`task\` until it succeeds, waiting \`delayMs\` between attempts. */
export async function withRetry<T>(task: () => Promise<T>, attempts = 3, delayMs = 1_000): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await task();
    } catch (error) {
      if (attempt >= attempts) throw error;
      await sleep(delayMs);
    }
  }
}
`,
  'packages/shared/src/lib/backoff.ts': `/** Full jitter: a random wait up to an exponentially growing cap. */
export function jitteredDelay(attempt: number, base = 200, cap = 20_000): number {
  return Math.random() * Math.min(cap, base * 2 ** attempt);
}
`,
  'packages/shared/src/lib/http.ts': `import { REQUEST_TIMEOUT_MS } from '../config';

export async function getJson<T>(url: string, init: RequestInit = {}): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
  try {
    const res = await fetch(url, { ...init, signal: controller.signal });
    if (!res.ok) throw new Error(\`\${url}: \${res.status}\`);
    return (await res.json()) as T;
  } finally {
    clearTimeout(timer);
  }
}
`,
  'packages/shared/src/index.ts': `export * from './config';
export * from './lib/retry';
export * from './lib/backoff';
export * from './lib/http';
export * from './lib/time';
`,
  'tsconfig.json': `{
  "compilerOptions": {
    "target": "ES2022",
    "module": "ESNext",
    "moduleResolution": "Bundler",
    "strict": true,
    "jsx": "react-jsx",
    "baseUrl": ".",
    "paths": { "@shop/shared": ["packages/shared/src/index.ts"], "@shop/shared/*": ["packages/shared/src/*"] }
  }
}
`,
  'package.json': '{ "name": "shop", "private": true, "workspaces": ["packages/*"] }\n',
  'README.md': '# shop\n\nThe shop back end, worker and front end.\n',
  'services/billing/requirements.txt': 'requests==2.32.3\ntenacity==8.5.0\n',
  'services/billing/billing/settings.py': 'RETRY_DELAY = 3\nPOLL_SECONDS = 15\n',
  'services/gateway/go.mod': 'module example.com/gateway\n\ngo 1.22\n',
};

const model = (domain: string, fields: number) => {
  const name = pascal(domain);
  const lines = Array.from(
    { length: fields },
    (_, i) => `  field${i}: ${i % 3 === 0 ? 'number' : 'string'};`,
  );
  return `export interface ${name} {
  id: string;
${lines.join('\n')}
  createdAt: Date;
}

export function is${name}(value: unknown): value is ${name} {
  return typeof value === 'object' && value !== null && 'id' in value;
}

export function ${domain}Key(value: ${name}): string {
  return \`${domain}:\${value.id}\`;
}
`;
};

/** A service module: reads through the shared HTTP helper; every third one retries through `withRetry`. */
const service = (domain: string, i: number) => {
  const name = pascal(domain);
  const retried = i % 3 === 0;
  return `import { getJson${retried ? ', withRetry, RETRY_ATTEMPTS, RETRY_DELAY_MS' : ''} } from '@shop/shared';
import type { ${name} } from '../models/${domain}';
import { ${domain}Key } from '../models/${domain}';

const cache${i} = new Map<string, ${name}>();

export async function load${name}${i}(id: string): Promise<${name}> {
  const hit = cache${i}.get(id);
  if (hit) return hit;
  const fetched = ${retried ? `await withRetry(() => getJson<${name}>(\`/api/${domain}s/\${id}\`), RETRY_ATTEMPTS, RETRY_DELAY_MS)` : `await getJson<${name}>(\`/api/${domain}s/\${id}\`)`};
  cache${i}.set(${domain}Key(fetched), fetched);
  return fetched;
}

export function list${name}s${i}(items: ${name}[], page = 0, size = 20): ${name}[] {
  return [...items].sort((a, b) => a.id.localeCompare(b.id)).slice(page * size, (page + 1) * size);
}
`;
};

const route = (domain: string, i: number) => `import { Router } from 'express';
import { load${pascal(domain)}${i - (i % 3)} } from '../services/${domain}-service-${i - (i % 3)}';

export const ${domain}Routes${i} = Router();

${domain}Routes${i}.get('/${domain}s/:id', async (req, res) => {
  try {
    res.json(await load${pascal(domain)}${i - (i % 3)}(req.params.id));
  } catch (error) {
    res.status(502).json({ error: (error as Error).message });
  }
});
`;

/** A queue consumer; one in four retries inline with a fixed pause, the rest back off with jitter. */
const job = (domain: string, i: number) =>
  i % 4 === 0
    ? `import { sleep } from '@shop/shared/lib/time';

export async function handle${pascal(domain)}Event${i}(event: { id: string }, publish: (id: string) => Promise<void>): Promise<void> {
  let attempt = 0;
  while (true) {
    try {
      await publish(event.id);
      return;
    } catch (error) {
      attempt += 1;
      if (attempt > 4) throw error;
      await sleep(1_500);
    }
  }
}
`
    : `import { jitteredDelay, sleep } from '@shop/shared';

export async function handle${pascal(domain)}Event${i}(event: { id: string }, publish: (id: string) => Promise<void>): Promise<void> {
  for (let attempt = 0; attempt < 6; attempt++) {
    try {
      return await publish(event.id);
    } catch (error) {
      if (attempt === 5) throw error;
      await sleep(jitteredDelay(attempt));
    }
  }
}
`;

const poller = (domain: string, i: number) => `import { POLL_INTERVAL_MS, sleep } from '@shop/shared';

/** Waits for the export of a ${domain} batch: polling, not retrying. */
export async function waitFor${pascal(domain)}Export${i}(status: () => Promise<string>): Promise<void> {
  while ((await status()) !== 'done') {
    await sleep(POLL_INTERVAL_MS);
  }
}
`;

const component = (domain: string, i: number) => {
  const name = pascal(domain);
  return `import { useEffect, useState } from 'react';
import type { ${name} } from '../../../api/src/models/${domain}';

export function ${name}List${i}({ load }: { load: (q: string) => Promise<${name}[]> }) {
  const [query, setQuery] = useState('');
  const [items, setItems] = useState<${name}[]>([]);
  useEffect(() => {
    const timer = setTimeout(() => void load(query).then(setItems), 250);
    return () => clearTimeout(timer);
  }, [query, load]);
  return (
    <section>
      <input value={query} onChange={(e) => setQuery(e.target.value)} placeholder="Search ${domain}s" />
      <ul>{items.map((item) => <li key={item.id}>{item.id}</li>)}</ul>
    </section>
  );
}
`;
};

const test = (domain: string, i: number) => `import { describe, expect, it } from 'vitest';
import { list${pascal(domain)}s${i} } from '../src/services/${domain}-service-${i}';

describe('${domain} service ${i}', () => {
  it('pages', async () => {
    await new Promise((r) => setTimeout(r, 50));
    expect(list${pascal(domain)}s${i}([], 0, 10)).toEqual([]);
  });
});
`;

const python = (domain: string, i: number) => `import random
import time

import requests

from billing.settings import POLL_SECONDS, RETRY_DELAY


def fetch_${domain}_${i}(session, key):
    for attempt in range(4):
        try:
            return session.get(f"/${domain}s/{key}", timeout=10).json()
        except requests.ConnectionError:
            if attempt == 3:
                raise
            time.sleep(${i % 4 === 0 ? 'RETRY_DELAY' : 'random.uniform(0, RETRY_DELAY * 2 ** attempt)'})


def wait_for_${domain}_${i}(job):
    while job.refresh().state != "done":
        time.sleep(POLL_SECONDS)
    return job.result
`;

const go = (domain: string, i: number) => `package ${domain}

import (
	"context"
	"time"
)

func Fetch${pascal(domain)}${i}(ctx context.Context, get func(context.Context) error) error {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		if err = get(ctx); err == nil {
			return nil
		}
		time.Sleep(${i % 4 === 0 ? '2 * time.Second' : 'time.Duration(attempt) * time.Second'})
	}
	return err
}
`;

/** Ordinary lines appended to some modules so file sizes vary as in a real tree. */
function padding(next: () => number, i: number): string {
  const helpers = Math.floor(next() * 6);
  return Array.from(
    { length: helpers },
    (_, h) =>
      `\nexport function helper${i}_${h}(values: number[]): number {\n  return values.reduce((sum, v) => sum + v * ${h + 1}, 0) / Math.max(1, values.length);\n}\n`,
  ).join('');
}

/** Writes the repository under `dir`; `scale` multiplies the modules per domain (1 ≈ 1,250 files). */
export function writeRepository(dir: string, scale = 1): void {
  const next = sequence(42);
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  for (const [path, text] of Object.entries(SHARED)) write(path, text);
  const perDomain = 12 * scale;
  for (const domain of DOMAINS) {
    write(`packages/api/src/models/${domain}.ts`, model(domain, 4 + Math.floor(next() * 12)));
    write(
      `packages/api/src/generated/${domain}-schema.ts`,
      `// Code generated by openapi-typescript. DO NOT EDIT.\nexport type ${pascal(domain)}Schema = { id: string };\n`,
    );
    for (let i = 0; i < perDomain; i += 1) {
      write(`packages/api/src/services/${domain}-service-${i}.ts`, service(domain, i) + padding(next, i));
      write(`packages/api/src/routes/${domain}-${i}.ts`, route(domain, i));
      write(`packages/api/test/${domain}-service-${i}.test.ts`, test(domain, i));
      write(`packages/worker/src/jobs/${domain}/event-${i}.ts`, job(domain, i));
      if (i % 4 === 0) write(`packages/worker/src/pollers/${domain}-${i}.ts`, poller(domain, i));
      write(`packages/web/src/components/${domain}/${pascal(domain)}List${i}.tsx`, component(domain, i));
      if (i % 2 === 0) write(`services/billing/billing/${domain}/client_${i}.py`, python(domain, i));
      if (i % 2 === 0) write(`services/gateway/internal/${domain}/fetch_${i}.go`, go(domain, i));
    }
  }
}
