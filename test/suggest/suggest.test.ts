import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/analysis/finding.js';
import { applyEdits } from '../../src/suggest/edits.js';
import { suggest } from '../../src/suggest/suggest.js';
import type { SuggestOptions } from '../../src/suggest/types.js';
import { callFinding, libraryFinding } from './make-finding.js';

const FULL: SuggestOptions = { strategy: 'full', capMs: 30_000 };
const fixed = (ms: number) => ({ kind: 'fixed' as const, ms, text: String(ms) });

/**
 * One row per rewrite: the finding on real code, the lines the one-click suggestion must show, and
 * optional sentences for edits outside those lines. Every row must also re-parse and type-check.
 */
interface Row {
  name: string;
  code: string;
  finding: (code: string) => Finding;
  options?: SuggestOptions;
  newLines: string;
  extra?: string[];
  /** Text the patched file must contain (e.g. an import added elsewhere). */
  patchedContains?: string[];
  description?: RegExp;
}

const LOOP = (wait: string) => `import { sleep } from './sleep.js';

export async function fetchWithRetry(url: string): Promise<Response> {
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      return await fetch(url);
    } catch {
      ${wait}
    }
  }
  throw new Error('gave up');
}
`;

const CALL_ARGUMENT_ROWS: Row[] = [
  {
    name: 'sleep(N) without an attempt counter keeps the original upper bound',
    code: LOOP('await sleep(5000);'),
    finding: (code) => callFinding({ path: 'src/fetch.ts', code, argument: '5000', delay: fixed(5000) }),
    newLines: '      await sleep(Math.random() * 5000);',
    description: /between 0 and 5 s/,
  },
  {
    name: 'sleep(N) with an attempt counter becomes capped full jitter',
    code: LOOP('await sleep(5000);'),
    finding: (code) =>
      callFinding({
        path: 'src/fetch.ts',
        code,
        argument: '5000',
        delay: fixed(5000),
        attemptVar: 'attempt',
      }),
    newLines: '      await sleep(Math.random() * Math.min(30000, 5000 * 2 ** attempt));',
    description: /min\(30 s, 5 s · 2\^attempt\)/,
  },
  {
    name: 'sleep(N) in seconds writes the cap in seconds',
    code: LOOP('await sleep(5);'),
    finding: (code) =>
      callFinding({
        path: 'src/fetch.ts',
        code,
        argument: '5',
        occurrence: 1,
        delay: fixed(5000),
        attemptVar: 'attempt',
      }),
    newLines: '      await sleep(Math.random() * Math.min(30, 5 * 2 ** attempt));',
    description: /in seconds/,
  },
  {
    name: 'equal jitter',
    code: LOOP('await sleep(5000);'),
    finding: (code) =>
      callFinding({
        path: 'src/fetch.ts',
        code,
        argument: '5000',
        delay: fixed(5000),
        attemptVar: 'attempt',
      }),
    options: { strategy: 'equal', capMs: 30_000 },
    newLines: '      await sleep(Math.min(30000, 5000 * 2 ** attempt) * (0.5 + Math.random() / 2));',
  },
  {
    name: 'decorrelated jitter',
    code: LOOP('await sleep(5000);'),
    finding: (code) =>
      callFinding({
        path: 'src/fetch.ts',
        code,
        argument: '5000',
        delay: fixed(5000),
        attemptVar: 'attempt',
      }),
    options: { strategy: 'decorrelated', capMs: 30_000 },
    newLines:
      '      await sleep(5000 + Math.random() * (Math.min(30000, 5000 * 3 ** (attempt + 1)) - 5000));',
  },
  {
    name: 'golden jitter with a configured index',
    code: LOOP('await sleep(5000);'),
    finding: (code) =>
      callFinding({
        path: 'src/fetch.ts',
        code,
        argument: '5000',
        delay: fixed(5000),
        attemptVar: 'attempt',
      }),
    options: { strategy: 'golden', capMs: 30_000, goldenIndexEnv: 'POD_ORDINAL' },
    newLines:
      '      await sleep(((Number(process.env.POD_ORDINAL ?? 0) * 0.6180339887498949) % 1) * Math.min(30000, 5000 * 2 ** attempt));',
  },
  {
    name: 'golden jitter without an index falls back to full jitter',
    code: LOOP('await sleep(5000);'),
    finding: (code) => callFinding({ path: 'src/fetch.ts', code, argument: '5000', delay: fixed(5000) }),
    options: { strategy: 'golden', capMs: 30_000 },
    newLines: '      await sleep(Math.random() * 5000);',
    description: /needs a stable per-client index/,
  },
  {
    name: 'new Promise(setTimeout) with a named constant',
    code: `const RETRY_DELAY_MS = 2000;

export async function send(body: string): Promise<void> {
  while (true) {
    try {
      await post(body);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
    }
  }
}
declare function post(body: string): Promise<void>;
declare function setTimeout(handler: () => void, ms: number): unknown;
`,
    finding: (code) =>
      callFinding({
        path: 'src/send.ts',
        code,
        argument: 'RETRY_DELAY_MS',
        occurrence: 1,
        call: 'promise-timeout',
        delay: fixed(2000),
      }),
    newLines: '      await new Promise((resolve) => setTimeout(resolve, Math.random() * RETRY_DELAY_MS));',
  },
  {
    name: 'setTimeout from node:timers/promises',
    code: `import { setTimeout as delay } from 'node:timers/promises';

export async function connect(open: () => Promise<void>): Promise<void> {
  for (let tries = 0; tries < 10; tries++) {
    try {
      return await open();
    } catch {
      await delay(1000);
    }
  }
}
`,
    finding: (code) =>
      callFinding({
        path: 'src/connect.ts',
        code,
        argument: '1000',
        call: 'timers-promises',
        delay: fixed(1000),
        attemptVar: 'tries',
      }),
    newLines: '      await delay(Math.random() * Math.min(30000, 1000 * 2 ** tries));',
  },
  {
    name: 'setTimeout recursion in JavaScript',
    code: `function connect(attempt) {
  const socket = open();
  socket.on('error', () => {
    setTimeout(() => connect(attempt + 1), 3000);
  });
}
function open() {
  return { on(event, listener) { void event; void listener; } };
}
module.exports = { connect };
`,
    finding: (code) =>
      callFinding({
        path: 'lib/connect.js',
        code,
        argument: '3000',
        call: 'timeout-callback',
        delay: fixed(3000),
        attemptVar: 'attempt',
      }),
    newLines:
      '    setTimeout(() => connect(attempt + 1), Math.random() * Math.min(30000, 3000 * 2 ** attempt));',
  },
  {
    name: 'exponential backoff without jitter is randomised and capped',
    code: LOOP('await sleep(100 * 2 ** attempt);'),
    finding: (code) =>
      callFinding({
        path: 'src/fetch.ts',
        code,
        argument: '100 * 2 ** attempt',
        delay: { kind: 'exponential', baseMs: 100, factor: 2, text: '100 * 2 ** attempt' },
        attemptVar: 'attempt',
      }),
    newLines: '      await sleep(Math.random() * Math.min(30000, 100 * 2 ** attempt));',
    description: /growing wait/,
  },
  {
    name: 'an already capped backoff gets no second cap',
    code: LOOP('await sleep(Math.min(10_000, 100 * 2 ** attempt));'),
    finding: (code) =>
      callFinding({
        path: 'src/fetch.ts',
        code,
        argument: 'Math.min(10_000, 100 * 2 ** attempt)',
        delay: { kind: 'exponential', baseMs: 100, factor: 2, text: 'Math.min(10_000, 100 * 2 ** attempt)' },
        attemptVar: 'attempt',
      }),
    newLines: '      await sleep(Math.random() * Math.min(10_000, 100 * 2 ** attempt));',
  },
  {
    name: "the repository's own helper, imported",
    code: LOOP('await sleep(5000);'),
    finding: (code) =>
      callFinding({
        path: 'src/api/fetch.ts',
        code,
        argument: '5000',
        delay: fixed(5000),
        attemptVar: 'attempt',
      }),
    options: {
      ...FULL,
      repoHelper: { name: 'backoffDelay', path: 'src/lib/backoff.ts', takesAttempt: true },
    },
    newLines: '      await sleep(backoffDelay(attempt));',
    extra: ["Also add `import { backoffDelay } from '../lib/backoff.js';` at the top of the file."],
    patchedContains: [
      "import { sleep } from './sleep.js';\nimport { backoffDelay } from '../lib/backoff.js';",
    ],
  },
  {
    name: "the repository's helper that takes the attempt, in a loop that counts nothing: the counter is brought",
    code: `import { sleep } from './sleep.js';

export async function consume(stream: Stream): Promise<Chunk> {
  while (true) {
    try {
      return await stream.read();
    } catch {
      await sleep(5000);
    }
  }
}
`,
    finding: (code) =>
      callFinding({ path: 'src/api/consume.ts', code, argument: '5000', delay: fixed(5000) }),
    options: {
      ...FULL,
      repoHelper: { name: 'backoffDelay', path: 'src/lib/backoff.ts', takesAttempt: true },
    },
    newLines: '      attempt += 1;\n      await sleep(backoffDelay(attempt));',
    extra: [
      "Also add `import { backoffDelay } from '../lib/backoff.js';` at the top of the file.",
      'Also insert `let attempt = 0;` before line 4.',
    ],
    patchedContains: [
      '  let attempt = 0;\n  while (true) {',
      "import { sleep } from './sleep.js';\nimport { backoffDelay } from '../lib/backoff.js';",
    ],
    description: /counts them: `let attempt = 0;` before the loop/,
  },
  {
    name: 'a consumer loop that goes on after success: the counter it brings starts again after a good read',
    code: `import { sleep } from './sleep.js';

export async function consume(stream: Stream): Promise<void> {
  while (true) {
    try {
      handle(await stream.read());
    } catch {
      await sleep(5000);
    }
  }
}
`,
    finding: (code) =>
      callFinding({ path: 'src/api/consume.ts', code, argument: '5000', delay: fixed(5000) }),
    options: {
      ...FULL,
      repoHelper: { name: 'backoffDelay', path: 'src/lib/backoff.ts', takesAttempt: true },
    },
    newLines: '      attempt += 1;\n      await sleep(backoffDelay(attempt));',
    extra: [
      "Also add `import { backoffDelay } from '../lib/backoff.js';` at the top of the file.",
      'Also insert `let attempt = 0;` before line 4.',
      'Also insert `attempt = 0;` before line 7.',
    ],
    patchedContains: [
      '  let attempt = 0;\n  while (true) {\n    try {\n      handle(await stream.read());\n      attempt = 0;\n    } catch {',
    ],
    description: /and `attempt = 0;` again once an attempt works/,
  },
  {
    name: 'a helper that jitters a given delay',
    code: `import { jittered } from './jitter.js';\n${LOOP('await sleep(5000);')}`,
    finding: (code) => callFinding({ path: 'src/fetch.ts', code, argument: '5000', delay: fixed(5000) }),
    options: { ...FULL, repoHelper: { name: 'jittered', path: 'src/jitter.ts', takesAttempt: false } },
    newLines: '      await sleep(jittered(5000));',
    extra: [],
  },
];

const LIBRARY_ROWS: Row[] = [
  {
    name: 'p-retry: add randomize to a multi-line options object',
    code: `import pRetry from 'p-retry';

export const run = () =>
  pRetry(fetchAll, {
    retries: 5,
    factor: 1,
    minTimeout: 1000
  });
declare function fetchAll(): Promise<void>;
`,
    finding: (code) =>
      libraryFinding({
        path: 'src/run.ts',
        code,
        library: 'p-retry',
        target: code.slice(code.indexOf('{\n    retries'), code.indexOf('}') + 1),
        delay: fixed(1000),
      }),
    newLines: '    minTimeout: 1000,\n    randomize: true',
    description: /random factor between 1 and 2/,
  },
  {
    name: 'p-retry: trailing commas and a comment are kept',
    code: `import pRetry from 'p-retry';

await pRetry(fetchAll, {
  retries: 5, // enough
  factor: 1,
});
declare function fetchAll(): Promise<void>;
`,
    finding: (code) =>
      libraryFinding({
        path: 'src/run.ts',
        code,
        library: 'p-retry',
        target: code.slice(code.indexOf('{\n  retries'), code.indexOf('})') + 1),
        delay: fixed(1000),
      }),
    newLines: '  factor: 1,\n  randomize: true,',
  },
  {
    name: 'p-retry: no options at all',
    code: `import pRetry from 'p-retry';\nawait pRetry(fetchAll);\ndeclare function fetchAll(): Promise<void>;\n`,
    finding: (code) =>
      libraryFinding({
        path: 'src/run.ts',
        code,
        library: 'p-retry',
        target: 'pRetry(fetchAll)',
        delay: fixed(1000),
      }),
    newLines: 'await pRetry(fetchAll, { randomize: true });',
  },
  {
    name: 'promise-retry: randomize: false becomes true',
    code: `const promiseRetry = require('promise-retry');\npromiseRetry((retry) => work().catch(retry), { retries: 3, randomize: false });\nfunction work() { return Promise.resolve(); }\n`,
    finding: (code) =>
      libraryFinding({
        path: 'lib/job.js',
        code,
        library: 'promise-retry',
        target: '{ retries: 3, randomize: false }',
        delay: fixed(1000),
      }),
    newLines: 'promiseRetry((retry) => work().catch(retry), { retries: 3, randomize: true });',
  },
  {
    name: 'retry: operation options on one line',
    code: `import retry from 'retry';\nconst operation = retry.operation({ retries: 5, factor: 1 });\noperation.attempt(() => undefined);\n`,
    finding: (code) =>
      libraryFinding({
        path: 'src/op.ts',
        code,
        library: 'retry',
        target: '{ retries: 5, factor: 1 }',
        delay: fixed(1000),
      }),
    newLines: 'const operation = retry.operation({ retries: 5, factor: 1, randomize: true });',
  },
  {
    name: 'async-retry: drop randomize: false (the line is deleted)',
    code: `import retry from 'async-retry';

await retry(async () => fetchAll(), {
  retries: 4,
  randomize: false,
});
declare function fetchAll(): Promise<void>;
`,
    finding: (code) =>
      libraryFinding({
        path: 'src/run.ts',
        code,
        library: 'async-retry',
        target: code.slice(code.indexOf('{\n  retries'), code.indexOf('})') + 1),
        delay: { kind: 'exponential', baseMs: 1000, factor: 2, text: '' },
      }),
    newLines: '',
    description: /randomises every wait by default/,
  },
  {
    name: 'axios-retry: a constant retryDelay keeps its scale',
    code: `import axios from 'axios';\nimport axiosRetry from 'axios-retry';\n\naxiosRetry(axios, { retries: 3, retryDelay: () => 1000 });\n`,
    finding: (code) =>
      libraryFinding({
        path: 'src/http.ts',
        code,
        library: 'axios-retry',
        target: '{ retries: 3, retryDelay: () => 1000 }',
        delay: fixed(1000),
      }),
    newLines:
      'axiosRetry(axios, { retries: 3, retryDelay: (retryCount, error) => axiosRetry.exponentialDelay(retryCount, error, 1000) });',
  },
  {
    name: 'axios-retry: no retryDelay (0 ms) gets exponentialDelay',
    code: `const axios = require('axios');\nconst axiosRetry = require('axios-retry').default;\naxiosRetry(axios, {\n  retries: 3,\n});\n`,
    finding: (code) =>
      libraryFinding({
        path: 'lib/http.js',
        code,
        library: 'axios-retry',
        target: '{\n  retries: 3,\n}',
        delay: fixed(0),
      }),
    newLines: '  retries: 3,\n  retryDelay: axiosRetry.exponentialDelay,',
  },
  {
    name: 'cockatiel: ConstantBackoff becomes ExponentialBackoff, import extended',
    code: `import { ConstantBackoff, handleAll, retry } from 'cockatiel';

export const policy = retry(handleAll, { maxAttempts: 5, backoff: new ConstantBackoff(500) });
`,
    finding: (code) =>
      libraryFinding({
        path: 'src/policy.ts',
        code,
        library: 'cockatiel',
        target: 'new ConstantBackoff(500)',
        delay: fixed(500),
      }),
    newLines:
      'export const policy = retry(handleAll, { maxAttempts: 5, backoff: new ExponentialBackoff({ initialDelay: 500 }) });',
    extra: ['Also add `ExponentialBackoff` to the `cockatiel` import on line 1.'],
    patchedContains: ["import { ConstantBackoff, handleAll, retry, ExponentialBackoff } from 'cockatiel';"],
  },
  {
    name: 'cockatiel: a retry policy without backoff gets one',
    code: `import { ExponentialBackoff, handleAll, retry } from 'cockatiel';\nexport const policy = retry(handleAll, { maxAttempts: 3 });\nvoid ExponentialBackoff;\n`,
    finding: (code) =>
      libraryFinding({
        path: 'src/policy.ts',
        code,
        library: 'cockatiel',
        target: '{ maxAttempts: 3 }',
        delay: fixed(0),
      }),
    newLines:
      'export const policy = retry(handleAll, { maxAttempts: 3, backoff: new ExponentialBackoff() });',
    extra: [],
  },
  {
    name: 'cockatiel: drop noJitterGenerator',
    code: `import { ExponentialBackoff, handleAll, noJitterGenerator, retry } from 'cockatiel';\nexport const policy = retry(handleAll, {\n  maxAttempts: 3,\n  backoff: new ExponentialBackoff({ generator: noJitterGenerator, maxDelay: 10_000 }),\n});\n`,
    finding: (code) =>
      libraryFinding({
        path: 'src/policy.ts',
        code,
        library: 'cockatiel',
        target: 'new ExponentialBackoff({ generator: noJitterGenerator, maxDelay: 10_000 })',
        delay: { kind: 'exponential', baseMs: 128, factor: 2, text: '' },
      }),
    newLines: '  backoff: new ExponentialBackoff({ maxDelay: 10_000 }),',
  },
  {
    name: 'cockatiel: a finding on the ExponentialBackoff options drops the generator',
    code: `import { ExponentialBackoff, handleAll, noJitterGenerator, retry } from 'cockatiel';\nexport const policy = retry(handleAll, {\n  maxAttempts: 5,\n  backoff: new ExponentialBackoff({ initialDelay: 200, generator: noJitterGenerator }),\n});\n`,
    finding: (code) =>
      libraryFinding({
        path: 'src/policy.ts',
        code,
        library: 'cockatiel',
        target: '{ initialDelay: 200, generator: noJitterGenerator }',
        delay: { kind: 'exponential', baseMs: 200, factor: 2, text: '' },
      }),
    newLines: '  backoff: new ExponentialBackoff({ initialDelay: 200 }),',
  },
  {
    name: 'bullmq: a finding on the backoff option itself',
    code: `import { Queue } from 'bullmq';\nconst queue = new Queue('pdf');\nawait queue.add('render', {}, { attempts: 4, backoff: 5000 });\n`,
    finding: (code) =>
      libraryFinding({
        path: 'src/pdf.ts',
        code,
        library: 'bullmq',
        target: 'backoff: 5000',
        delay: fixed(5000),
      }),
    newLines:
      "await queue.add('render', {}, { attempts: 4, backoff: { type: 'fixed', delay: 5000, jitter: 0.5 } });",
  },
  {
    name: "exponential-backoff: jitter 'none' becomes 'full'",
    code: `import { backOff } from 'exponential-backoff';\nexport const get = () => backOff(() => fetch('/x'), { numOfAttempts: 5, jitter: 'none' });\n`,
    finding: (code) =>
      libraryFinding({
        path: 'src/get.ts',
        code,
        library: 'exponential-backoff',
        target: "{ numOfAttempts: 5, jitter: 'none' }",
        delay: { kind: 'exponential', baseMs: 100, text: '' },
      }),
    newLines: "export const get = () => backOff(() => fetch('/x'), { numOfAttempts: 5, jitter: 'full' });",
  },
  {
    name: "exponential-backoff: a call without options gets jitter: 'full'",
    code: `import { backOff } from "exponential-backoff";\nexport const get = () => backOff(() => fetch("/x"));\n`,
    finding: (code) =>
      libraryFinding({
        path: 'src/get.ts',
        code,
        library: 'exponential-backoff',
        target: 'backOff(() => fetch("/x"))',
        delay: { kind: 'exponential', baseMs: 100, text: '' },
      }),
    newLines: 'export const get = () => backOff(() => fetch("/x"), { jitter: "full" });',
  },
  {
    name: 'bullmq: a numeric backoff is spelled out with jitter',
    code: `import { Queue } from 'bullmq';\nconst queue = new Queue('mail');\nawait queue.add('send', {}, { attempts: 5, backoff: 5000 });\n`,
    finding: (code) =>
      libraryFinding({
        path: 'src/mail.ts',
        code,
        library: 'bullmq',
        target: '{ attempts: 5, backoff: 5000 }',
        delay: fixed(5000),
      }),
    newLines:
      "await queue.add('send', {}, { attempts: 5, backoff: { type: 'fixed', delay: 5000, jitter: 0.5 } });",
  },
  {
    name: 'bullmq: a job retried at once gets an exponential backoff with jitter',
    code: `import { Queue } from 'bullmq';\nconst queue = new Queue('mail');\nawait queue.add('send', {}, { attempts: 5 });\n`,
    finding: (code) =>
      libraryFinding({
        path: 'src/mail.ts',
        code,
        library: 'bullmq',
        target: '{ attempts: 5 }',
        delay: fixed(0),
      }),
    newLines:
      "await queue.add('send', {}, { attempts: 5, backoff: { type: 'exponential', delay: 1000, jitter: 0.5 } });",
  },
  {
    name: 'bullmq: an exponential backoff object gets jitter',
    code: `import { Queue } from 'bullmq';\nconst queue = new Queue('mail');\nawait queue.add('send', {}, {\n  attempts: 5,\n  backoff: { type: 'exponential', delay: 1000 },\n});\n`,
    finding: (code) =>
      libraryFinding({
        path: 'src/mail.ts',
        code,
        library: 'bullmq',
        target: "{\n  attempts: 5,\n  backoff: { type: 'exponential', delay: 1000 },\n}",
        delay: { kind: 'exponential', baseMs: 1000, text: '' },
      }),
    newLines: "  backoff: { type: 'exponential', delay: 1000, jitter: 0.5 },",
  },
  {
    name: 'rxjs: retry({ delay: N }) gets a jittered timer and the import',
    code: `import { ajax } from 'rxjs/ajax';\nimport { retry } from 'rxjs';\n\nexport const data$ = ajax('/api').pipe(retry({ count: 4, delay: 1000 }));\n`,
    finding: (code) =>
      libraryFinding({
        path: 'src/data.ts',
        code,
        library: 'rxjs',
        target: '{ count: 4, delay: 1000 }',
        delay: fixed(1000),
      }),
    newLines:
      "export const data$ = ajax('/api').pipe(retry({ count: 4, delay: (_error, retryCount) => timer(Math.random() * Math.min(30000, 1000 * 2 ** (retryCount - 1))) }));",
    extra: ['Also add `timer` to the `rxjs` import on line 2.'],
    patchedContains: ["import { retry, timer } from 'rxjs';"],
  },
  {
    name: 'rxjs: delay(N) inside retryWhen',
    code: `import { delay, retryWhen } from 'rxjs/operators';\nimport { of } from 'rxjs';\nexport const data$ = of(1).pipe(retryWhen((errors) => errors.pipe(delay(1000))));\n`,
    finding: (code) =>
      libraryFinding({
        path: 'src/data.ts',
        code,
        library: 'rxjs',
        target: 'delay(1000)',
        delay: fixed(1000),
      }),
    newLines:
      'export const data$ = of(1).pipe(retryWhen((errors) => errors.pipe(delay(Math.random() * 1000))));',
  },
  {
    name: 'rxjs: an exponential timer without jitter',
    code: `import { retry, timer } from 'rxjs';\nimport { of } from 'rxjs';\nexport const data$ = of(1).pipe(retry({ delay: (_error, n) => timer(2 ** n * 100) }));\n`,
    finding: (code) =>
      libraryFinding({
        path: 'src/data.ts',
        code,
        library: 'rxjs',
        target: '{ delay: (_error, n) => timer(2 ** n * 100) }',
        delay: { kind: 'exponential', baseMs: 100, text: '' },
      }),
    newLines:
      'export const data$ = of(1).pipe(retry({ delay: (_error, n) => timer(Math.random() * Math.min(30000, 2 ** n * 100)) }));',
  },
  {
    name: 'got: a constant calculateDelay',
    code: `import got from 'got';\nexport const client = got.extend({\n  retry: { limit: 3, calculateDelay: () => 2000 },\n});\n`,
    finding: (code) =>
      libraryFinding({
        path: 'src/client.ts',
        code,
        library: 'got',
        target: '{ limit: 3, calculateDelay: () => 2000 }',
        delay: fixed(2000),
      }),
    newLines: '  retry: { limit: 3, calculateDelay: () => Math.random() * 2000 },',
  },
  {
    name: 'got: drop noise: 0',
    code: `import got from 'got';\nexport const client = got.extend({ retry: { limit: 3, noise: 0 } });\n`,
    finding: (code) =>
      libraryFinding({
        path: 'src/client.ts',
        code,
        library: 'got',
        target: '{ retry: { limit: 3, noise: 0 } }',
        delay: { kind: 'exponential', baseMs: 1000, text: '' },
      }),
    newLines: 'export const client = got.extend({ retry: { limit: 3 } });',
  },
  {
    name: 'ky: add jitter to the retry options',
    code: `import ky from 'ky';\nexport const api = ky.create({ retry: { limit: 4, delay: () => 1000 } });\n`,
    finding: (code) =>
      libraryFinding({
        path: 'src/api.ts',
        code,
        library: 'ky',
        target: '{ retry: { limit: 4, delay: () => 1000 } }',
        delay: fixed(1000),
      }),
    newLines: 'export const api = ky.create({ retry: { limit: 4, delay: () => 1000, jitter: true } });',
  },
  {
    name: 'AWS SDK: ConfiguredRetryStrategy with a constant delay',
    code: `import { S3Client } from '@aws-sdk/client-s3';\nimport { ConfiguredRetryStrategy } from '@smithy/util-retry';\nexport const s3 = new S3Client({ retryStrategy: new ConfiguredRetryStrategy(4, 1000) });\n`,
    finding: (code) =>
      libraryFinding({
        path: 'src/s3.ts',
        code,
        library: 'aws-sdk',
        target: 'new ConfiguredRetryStrategy(4, 1000)',
        delay: fixed(1000),
      }),
    newLines:
      'export const s3 = new S3Client({ retryStrategy: new ConfiguredRetryStrategy(4, (attempt) => Math.random() * Math.min(30000, 1000 * 2 ** (attempt - 1))) });',
  },
  {
    name: 'AWS SDK: ConfiguredRetryStrategy with the default 100 ms',
    code: `import { ConfiguredRetryStrategy } from '@smithy/util-retry';\nexport const strategy = new ConfiguredRetryStrategy(4);\n`,
    finding: (code) =>
      libraryFinding({
        path: 'src/s3.ts',
        code,
        library: 'aws-sdk',
        target: 'new ConfiguredRetryStrategy(4)',
        delay: fixed(100),
      }),
    newLines:
      'export const strategy = new ConfiguredRetryStrategy(4, (attempt) => Math.random() * Math.min(30000, 100 * 2 ** (attempt - 1)));',
  },
  {
    name: 'AWS SDK: a constant backoff function',
    code: `import { ConfiguredRetryStrategy } from '@smithy/util-retry';\nexport const strategy = new ConfiguredRetryStrategy(4, () => 2000);\n`,
    finding: (code) =>
      libraryFinding({
        path: 'src/s3.ts',
        code,
        library: 'aws-sdk',
        target: 'new ConfiguredRetryStrategy(4, () => 2000)',
        delay: fixed(2000),
      }),
    newLines:
      'export const strategy = new ConfiguredRetryStrategy(4, (attempt) => Math.random() * Math.min(30000, 2000 * 2 ** (attempt - 1)));',
  },
];

describe('suggest: rewrites that re-parse and type-check', () => {
  for (const row of [...CALL_ARGUMENT_ROWS, ...LIBRARY_ROWS]) {
    it(row.name, () => {
      const finding = row.finding(row.code);
      const suggestion = suggest(finding, row.code, row.options ?? FULL);
      if (!suggestion.valid) throw new Error(`invalid: ${suggestion.invalidReason}`);
      expect(suggestion.primary.newLines).toBe(row.newLines);
      if (row.extra !== undefined) expect(suggestion.extra).toEqual(row.extra);
      const patched = applyEdits(row.code, suggestion.edits);
      for (const text of row.patchedContains ?? []) expect(patched).toContain(text);
      // The block replaces exactly its lines: splicing it into the original gives the patched file
      // whenever every edit is inside the block.
      if (suggestion.extra.length === 0) {
        const lines = row.code.split('\n');
        const { startLine, endLine, newLines } = suggestion.primary;
        const spliced = [
          ...lines.slice(0, startLine - 1),
          ...(newLines === '' ? [] : [newLines]),
          ...lines.slice(endLine),
        ];
        expect(spliced.join('\n')).toBe(patched);
      }
      expect(suggestion.description.length).toBeGreaterThan(20);
      if (row.description !== undefined) expect(suggestion.description).toMatch(row.description);
    });
  }
});

describe('suggest: when no patch can be offered', () => {
  it('rejects a patch that would not type-check and keeps the description', () => {
    const code = LOOP('await sleep(5000);');
    // The counter the finding names is not in scope: the patch would not compile.
    const finding = callFinding({
      path: 'src/fetch.ts',
      code,
      argument: '5000',
      delay: fixed(5000),
      attemptVar: 'retries',
    });
    const suggestion = suggest(finding, code, FULL);
    expect(suggestion.valid).toBe(false);
    expect(!suggestion.valid && suggestion.invalidReason).toMatch(/Cannot find name 'retries'/);
    expect(suggestion.description).toMatch(/full jitter/);
  });

  it('refuses when the file no longer has the argument where the finding says', () => {
    const code = LOOP('await sleep(5000);');
    const finding = callFinding({ path: 'src/fetch.ts', code, argument: '5000', delay: fixed(5000) });
    const changed = code.replace('sleep(5000)', 'sleep(4000)');
    const suggestion = suggest(finding, changed, FULL);
    expect(suggestion).toMatchObject({ valid: false, primary: null, edits: [] });
    expect(!suggestion.valid && suggestion.invalidReason).toMatch(/file changed/);
  });

  it('asks for jitter inside a helper that computes the wait, in words', () => {
    const code = 'await backoff(attempt);\n';
    const base = callFinding({ path: 'src/a.ts', code, argument: 'attempt', delay: fixed(5000) });
    const finding = {
      ...base,
      form: { ...base.form, computedBy: { name: 'backoff', path: 'src/lib/backoff.ts' } },
    } as typeof base;
    const suggestion = suggest(finding, code, FULL);
    expect(suggestion).toMatchObject({ valid: false, primary: null });
    expect(suggestion.description).toContain('`backoff`');
    expect(suggestion.description).toContain('src/lib/backoff.ts');
  });

  it('offers no patch at a wait whose jitter is drawn from a constant-seeded generator, and says where to fix it', () => {
    const code = 'await sleep(rng() * 1000);\n';
    const base = callFinding({ path: 'src/a.ts', code, argument: 'rng() * 1000', delay: fixed(1000) });
    const message =
      "This retry's jitter is drawn from a generator seeded with a constant, `seedrandom('x')` (src/a.ts:1).";
    const finding: Finding = { ...base, rule: 'fake-jitter', message };
    const suggestion = suggest(finding, code, FULL);
    expect(suggestion).toMatchObject({ valid: false, primary: null, edits: [], description: message });
    expect(!suggestion.valid && suggestion.invalidReason).toMatch(/seeded generator or the helper/);
  });

  it('refuses a library option that is already jittered', () => {
    const code = `import pRetry from 'p-retry';\nawait pRetry(run, { randomize: true });\ndeclare function run(): Promise<void>;\n`;
    const finding = libraryFinding({
      path: 'src/a.ts',
      code,
      library: 'p-retry',
      target: '{ randomize: true }',
      delay: fixed(1000),
    });
    const suggestion = suggest(finding, code, FULL);
    expect(suggestion.valid).toBe(false);
    expect(!suggestion.valid && suggestion.invalidReason).toMatch(/already/);
  });
});
