import { createHash } from 'node:crypto';

/** The things jitterbot reports. Everything else it sees stays quiet. */
export type RuleId =
  | 'fixed-delay-retry'
  | 'unjittered-backoff'
  | 'clamped-jitter'
  | 'clamped-server-hint'
  | 'negligible-jitter'
  /** Randomness that is the same in every process: a constant seed, a jitter helper that draws nothing. */
  | 'fake-jitter';
export type Level = 'warning' | 'note';

export const RULE_LEVEL: Record<RuleId, Level> = {
  'fixed-delay-retry': 'warning',
  'unjittered-backoff': 'note',
  'clamped-jitter': 'warning',
  'clamped-server-hint': 'note',
  'negligible-jitter': 'note',
  'fake-jitter': 'warning',
};

export type Language =
  'typescript' | 'javascript' | 'python' | 'go' | 'java' | 'kotlin' | 'rust' | 'ruby' | 'csharp';

/** 1-based lines and columns; offsets are 0-based UTF-16 indexes into the file text (end exclusive). */
export interface SourceRange {
  startLine: number;
  startColumn: number;
  endLine: number;
  endColumn: number;
  startOffset: number;
  endOffset: number;
}

/** What the wait between attempts evaluates to. Only these kinds ever become findings. */
export type Delay =
  | { kind: 'fixed'; ms?: number; text: string }
  | { kind: 'linear'; baseMs?: number; text: string }
  | { kind: 'exponential'; baseMs?: number; factor?: number; text: string };

/** The lowest and highest value something can take. */
export type Interval = readonly [lo: number, hi: number];

/**
 * Why a randomised (or server-chosen) wait still moves in lockstep. `collapse`: from the attempt
 * counter's value `attempt` on, a clamp leaves every client exactly `ms` (`growing`: the counter
 * decides when, otherwise every attempt; `before`: the range one attempt earlier). `negligible`: the
 * random terms spread the wait by at most `spreadMs` around `waitMs`. `server-cap`: the server's hint
 * is clamped to `ms`.
 */
export type Lockstep =
  | { kind: 'collapse'; attempt: number; ms: number; growing: boolean; before?: Interval }
  | { kind: 'negligible'; spreadMs: number; waitMs: number }
  | { kind: 'server-cap'; ms: number };

/** The failure the retry reacts to. */
export interface Trigger {
  kind: 'exception' | 'status' | 'error-event' | 'library' | 'unknown';
  /** e.g. `status === 429`, `ThrottlingException`, `p-retry`. */
  detail?: string;
}

/**
 * The syntactic shape of the wait, which is what a rewrite needs to know. `delay-function`: the value a
 * library's delay callback returns (`retryStrategy: (times) => Math.min(times * 50, 2000)`).
 * `call-argument`: a sleep-like call whose argument is the delay (`sleep(N)`, `setTimeout(fn, N)`).
 * `library-option`: an option object of a retry library.
 */
export type WaitForm =
  | {
      kind: 'call-argument';
      /** How the wait is written: `sleep(N)`, `new Promise(r => setTimeout(r, N))`, … */
      call: 'sleep-helper' | 'promise-timeout' | 'timers-promises' | 'timeout-callback' | 'delay-function';
      /** The delay argument's range: the part a patch replaces. */
      argument: SourceRange;
      argumentText: string;
      /**
       * Set when the called helper computes its wait from the argument (`backoff(attempt)`): the jitter
       * belongs in that helper, not in this argument.
       */
      computedBy?: { name: string; path: string };
      /** The argument is a duration object (a C# `TimeSpan`), not a number, as the program declares it. */
      duration?: boolean;
      /** Milliseconds in one unit of the argument, when the wait does not take milliseconds (seconds: 1000). */
      unitMs?: number;
    }
  | {
      kind: 'library-option';
      library: RetryLibrary;
      /** The options object (or call) the patch rewrites. */
      target: SourceRange;
      targetText: string;
    };

export type RetryLibrary =
  | 'p-retry'
  | 'async-retry'
  | 'promise-retry'
  | 'retry'
  | 'axios-retry'
  | 'cockatiel'
  | 'exponential-backoff'
  | 'bullmq'
  | 'rxjs'
  | 'got'
  | 'ky'
  | 'socket.io'
  | 'aws-sdk'
  | 'react-query'
  | 'bull'
  | 'spring-retry'
  | 'spring-framework'
  | 'resilience4j'
  | 'failsafe'
  | 'polly'
  | 'signalr'
  | 'tokio-retry'
  | 'backon'
  | 'backoff-rs'
  | 'tryhard'
  | 'tenacity'
  | 'backoff'
  | 'retrying'
  | 'urllib3'
  | 'celery'
  | 'cenkalti-backoff'
  | 'retry-go'
  | 'go-retryablehttp'
  | 'go-resiliency'
  | 'faraday-retry';

export type Confidence = 'high' | 'medium' | 'low';

export interface Finding {
  rule: RuleId;
  level: Level;
  language: Language;
  /** Repository-relative, forward slashes. */
  path: string;
  /** The wait (or the library option) the comment is anchored to. */
  range: SourceRange;
  delay: Delay;
  trigger: Trigger;
  form: WaitForm;
  /** An attempt counter in scope at the wait, for patches that grow the delay. */
  attemptVar?: string;
  /** Why a randomised or server-chosen wait still moves in lockstep (the three spread rules). */
  lockstep?: Lockstep;
  /** Human-readable facts that justified the finding, in the order they were established. */
  evidence: string[];
  confidence: Confidence;
  message: string;
  /** Hash of rule, path and normalised code: stable when lines move. */
  fingerprint: string;
}

export function normaliseCode(code: string): string {
  return code.replace(/\s+/g, ' ').trim();
}

/**
 * Line-independent identity: the same wait in the same file keeps its fingerprint when code above it
 * moves. `occurrence` separates identical snippets within one file.
 */
export function fingerprintOf(rule: RuleId, path: string, code: string, occurrence = 0): string {
  return createHash('sha256')
    .update(`${rule}\0${path}\0${normaliseCode(code)}\0${occurrence}`)
    .digest('hex')
    .slice(0, 16);
}

export function levelOf(rule: RuleId): Level {
  return RULE_LEVEL[rule];
}
