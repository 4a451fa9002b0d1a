/**
 * Shared pieces of the GitHub tests: the fixture pull request, a test key, a Probot whose Octokit keeps
 * jitterbot's jittered retry layer (with injected random and sleep), and helpers to build API answers.
 */
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Probot, ProbotOctokit } from 'probot';
import { jitterbotOctokit, type JitteredRetrySettings } from '../../../src/platforms/github/octokit.js';

export const API = 'https://api.github.com';
export const OWNER = 'Codertocat';
export const REPO = 'Hello-World';
export const PULL = 2;
export const INSTALLATION = 2;
export const HEAD_SHA = 'ec26c3e57ca3a959ca5aad62de7213c562f8c821';
export const BASE_SHA = 'f95f852bd8fca8fcc58a9a2d6c842781e32a215e';
export const REPO_PATH = `/repos/${OWNER}/${REPO}`;
export const BOT_LOGIN = 'jitterbot[bot]';

const FIXTURES = new URL('../../../fixtures/github/', import.meta.url);

export function webhook<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(fileURLToPath(new URL(`webhooks/${name}.json`, FIXTURES)), 'utf8')) as T;
}

export function repoFile(path: string): string {
  return readFileSync(fileURLToPath(new URL(`repo/${path}`, FIXTURES)), 'utf8');
}

/** The patch GitHub shows for a file the pull request adds: every line is new. */
export function addedFilePatch(content: string): string {
  const lines = content.endsWith('\n') ? content.slice(0, -1).split('\n') : content.split('\n');
  return [`@@ -0,0 +1,${lines.length} @@`, ...lines.map((line) => `+${line}`)].join('\n');
}

let cachedKey: string | undefined;
/** A throwaway RSA key: Probot signs its app JWT with it; nock answers whatever it signs. */
export function testPrivateKey(): string {
  cachedKey ??= generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  }).privateKey;
  return cachedKey;
}

/**
 * Probot's own retry and throttling off, as its testing docs show. Written as a function: Probot 14
 * always passes its own `throttle` options when it builds a client, and they would replace an object
 * default wholesale, turning throttling (a 1 s pause between writes) back on.
 */
export const QuietOctokit = ProbotOctokit.defaults((options: { throttle?: object }) => ({
  ...options,
  retry: { enabled: false },
  throttle: { ...options.throttle, enabled: false },
}));

export const silentOctokitLog = { debug() {}, info() {}, warn() {}, error() {} };

/** Records the delays the jittered layer asks for instead of waiting them. */
export function recordingSleep(): { sleep: (ms: number) => Promise<void>; delays: number[] } {
  const delays: number[] = [];
  return { delays, sleep: async (ms) => void delays.push(ms) };
}

/** mulberry32: "two bot instances" draw different but reproducible random sequences. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

export function testRetrySettings(overrides: Partial<JitteredRetrySettings> = {}): JitteredRetrySettings {
  return { retries: 3, baseMs: 1_000, capMs: 30_000, sleep: async () => {}, ...overrides };
}

export function testProbot(retry: Partial<JitteredRetrySettings> = {}): Probot {
  return new Probot({
    appId: 1,
    privateKey: testPrivateKey(),
    secret: 'test-secret',
    // JITTERBOT_TEST_LOG_LEVEL=debug shows Probot's and jitterbot's logs while debugging a test.
    logLevel: (process.env.JITTERBOT_TEST_LOG_LEVEL as 'debug' | undefined) ?? 'fatal',
    Octokit: jitterbotOctokit(testRetrySettings(retry), QuietOctokit),
  });
}

/** A token-authenticated Octokit with the jittered layer, for adapter unit tests. */
export function testOctokit(retry: Partial<JitteredRetrySettings> = {}): InstanceType<typeof ProbotOctokit> {
  const Octokit = jitterbotOctokit(testRetrySettings(retry), QuietOctokit);
  return new Octokit({ auth: { token: 'test-token' }, log: silentOctokitLog });
}
