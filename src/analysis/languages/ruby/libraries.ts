import type { LibraryHit } from '../tree-sitter/findings.js';
import type { DelayValue } from '../../delay.js';
import { constMs } from '../tree-sitter/durations.js';
import type { Node } from '../tree-sitter/runtime.js';
import { clip, descendantsOfTypes, field, namedChildren } from '../tree-sitter/syntax.js';

/**
 * Ruby retry libraries configured without jitter (RULES.md section 3). faraday-retry's middleware
 * (`f.request :retry, …`, `f.use Faraday::Retry::Middleware, …`) waits
 * `interval * backoff_factor ** n` (capped at `max_interval`) plus `rand * interval_randomness * interval`;
 * its defaults are `interval: 0`, `backoff_factor: 1`, `interval_randomness: 0`, so only an explicit
 * `interval_randomness` above 0 spreads the clients.
 */

/** The value of the expression at `node` in milliseconds, given its unit, as the value-flow engine follows it. */
export type ValueOf = (node: Node, unitMs: number) => Promise<DelayValue>;

const SECOND_MS = 1_000;
/** faraday-retry's middleware under its gem (≥ 2) and Faraday 1's built-in name. */
const FARADAY_RETRY_CLASS = /^(::)?Faraday::(Retry::Middleware|Request::Retry)$/;
const CALL = new Set(['call']);
const ASSIGNMENT = new Set(['assignment']);

/** Every faraday-retry middleware in the file whose waits are fixed or grow without randomness. */
export async function findLibraryRetries(root: Node, value: ValueOf): Promise<LibraryHit[]> {
  const found: LibraryHit[] = [];
  for (const call of descendantsOfTypes(root, CALL)) {
    const options = faradayRetryOptions(call, root);
    if (!options) continue;
    const hit = await faradayRetry(call, options, value);
    if (hit) found.push(hit);
  }
  return found;
}

interface Options {
  /** The hash (or the call whose keyword arguments are the options), for the patch. */
  holder: Node;
  pairs: Map<string, Node>;
}

/** The options of `f.request :retry, …` or `f.use Faraday::Retry::Middleware, …`; null for any other call. */
function faradayRetryOptions(call: Node, root: Node): Options | null {
  const method = field(call, 'method')?.text;
  const list = field(call, 'arguments');
  if (!field(call, 'receiver') || !list || (method !== 'request' && method !== 'use')) return null;
  const [first, ...rest] = namedChildren(list);
  if (!first) return null;
  const middleware =
    method === 'request'
      ? first.type === 'simple_symbol' && first.text === ':retry'
      : FARADAY_RETRY_CLASS.test(first.text);
  if (!middleware) return null;
  const inline = rest.filter((n) => n.type === 'pair');
  if (inline.length > 0) return { holder: call, pairs: pairsOf(inline) };
  const given = rest[0];
  if (!given) return { holder: call, pairs: new Map() };
  const hash = given.type === 'hash' ? given : hashAssignedTo(given, root, call);
  return hash ? { holder: hash, pairs: pairsOf(namedChildren(hash)) } : null;
}

/** `RETRY_OPTIONS = { … }.freeze` or `retry_options = { … }` in the same file, last before the call. */
function hashAssignedTo(name: Node, root: Node, before: Node): Node | null {
  if (name.type !== 'constant' && name.type !== 'identifier') return null;
  let found: Node | null = null;
  for (const assignment of descendantsOfTypes(root, ASSIGNMENT)) {
    if (assignment.startIndex > before.startIndex || field(assignment, 'left')?.text !== name.text) continue;
    let right = field(assignment, 'right');
    if (right?.type === 'call' && field(right, 'method')?.text === 'freeze') right = field(right, 'receiver');
    found = right?.type === 'hash' ? right : null;
  }
  return found;
}

/** `max: 2`, `:max => 2`, `"max" => 2`, by the option's bare name. */
function pairsOf(nodes: readonly Node[]): Map<string, Node> {
  const pairs = new Map<string, Node>();
  for (const pair of nodes) {
    const key = pair.type === 'pair' ? field(pair, 'key') : null;
    if (key) pairs.set(key.text.replace(/^:|:$|^["']|["']$/g, ''), pair);
  }
  return pairs;
}

async function faradayRetry(call: Node, options: Options, value: ValueOf): Promise<LibraryHit | null> {
  const optionValue = (name: string) => {
    const pair = options.pairs.get(name);
    const node = pair ? field(pair, 'value') : null;
    return pair && node ? { pair, node } : null;
  };
  const randomness = optionValue('interval_randomness');
  if (randomness) {
    const amount = await value(randomness.node, 1);
    if (amount.kind !== 'const' || amount.ms !== 0) return null;
  }
  const interval = optionValue('interval');
  // Without `interval` (default 0) the middleware retries at once: nothing waits, nothing to spread.
  if (!interval) return null;
  const base = await value(interval.node, SECOND_MS);
  if (base.kind === 'const' && base.ms === 0) return null;
  if (base.kind === 'random' || base.kind === 'server') return null;
  const backoff = optionValue('backoff_factor');
  const factor = backoff ? await value(backoff.node, 1) : constMs(1);
  // A factor below 1 shrinks the waits: no schedule this table knows.
  if (factor.kind === 'random' || factor.kind === 'server' || (factor.kind === 'const' && factor.ms < 1))
    return null;
  const grows = factor.kind !== 'const' || factor.ms > 1;
  let delay: DelayValue = base;
  if (factor.kind === 'unknown') delay = factor;
  else if (grows && base.kind !== 'unknown')
    delay = {
      kind: 'exponential',
      ...(base.kind === 'const' ? { baseMs: base.ms } : {}),
      ...(factor.kind === 'const' ? { factor: factor.ms } : {}),
    };
  const anchor = grows && backoff ? backoff.pair : interval.pair;
  const shape = grows
    ? `grows \`interval\` by \`backoff_factor\` each attempt`
    : 'waits the same `interval` every attempt';
  return {
    library: 'faraday-retry',
    value: delay,
    anchor,
    target: options.holder,
    evidence: `faraday-retry \`${clip(call.text.split('\n')[0]!, 60)}\` ${shape} without \`interval_randomness\` (default 0; \`interval_randomness: 0.5\` adds a random 0–50 % of \`interval\`); a \`Retry-After\` header is honoured when sent, otherwise this schedule applies`,
  };
}
