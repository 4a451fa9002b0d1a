import type { AnalysisOptions } from '../../analyzer.js';
import { classifyDelay, clipDelayText, toDelay, type DelayValue } from '../../delay.js';
import type { Lockstep } from '../../finding.js';
import { lockstepMessage } from '../../lockstep.js';
import {
  fingerprintOf,
  levelOf,
  type Confidence,
  type Delay,
  type Finding,
  type Language,
  type Level,
  type RetryLibrary,
  type RuleId,
  type SourceRange,
  type Trigger,
  type WaitForm,
} from '../../finding.js';
import { formatDuration } from '../../../simulate/duration.js';
import type { FakeJitter } from '../../flow/draws.js';
import { rangeOf, type Node } from './runtime.js';

/**
 * Turning what a tree-sitter analyzer established into findings: the same classification, messages
 * and fingerprints as the TS/JS analyzer, from plain data (trees are freed before findings leave).
 */

/** A piece of source copied out of a tree: enough to anchor a comment and fingerprint it. */
export interface Snippet {
  range: SourceRange;
  text: string;
}

export function snippet(node: Node): Snippet {
  return { range: rangeOf(node), text: node.text };
}

/** The source from the start of `first` to the end of `enclosing` (a method and its arguments in a chain). */
export function tailSnippet(first: Node, enclosing: Node): Snippet {
  const start = rangeOf(first);
  const end = rangeOf(enclosing);
  return {
    range: {
      ...end,
      startLine: start.startLine,
      startColumn: start.startColumn,
      startOffset: start.startOffset,
    },
    text: enclosing.text.slice(first.startIndex - enclosing.startIndex),
  };
}

/** One would-be finding, before rule levels, messages and fingerprints. */
export interface Draft {
  rule: RuleId;
  anchor: Snippet;
  delay: Delay;
  trigger: Trigger;
  form: WaitForm;
  attemptVar?: string;
  evidence: string[];
  confidence: Confidence;
  /** Set for an unresolved delay reported on request: always a note. */
  level?: Level;
  lockstep?: Lockstep;
  /** Why randomness that looks like jitter is not (rule `fake-jitter`). */
  fake?: FakeJitter;
}

export { classifyDelay as classify, clipDelayText as clipText, toDelay };

export interface WaitDraftInput {
  value: DelayValue;
  anchor: Snippet;
  /** The delay argument: what a patch replaces. */
  argument: Snippet;
  trigger: Trigger;
  attemptVar?: string;
  evidence: string[];
  confidence: Confidence;
  /** The helper the wait is written in, when the patch belongs there rather than at this call. */
  computedBy?: { name: string; path: string };
  /** How many values the attempt counter takes, when the retry's limit says. */
  attempts?: number;
  /** Milliseconds in one unit of the argument (1000 for a wait in seconds). */
  unitMs?: number;
  /** The wait's randomness is the same in every process. */
  fake?: FakeJitter | null;
}

/** A hand-written wait (`time.sleep(N)`, `time.Sleep(d)`, `sleep N`) as a draft, or null when quiet. */
export function waitDraft(input: WaitDraftInput, options: AnalysisOptions): Draft | null {
  const classified =
    fakeJitterRule(input.value, input.fake, options) ?? classifyDelay(input.value, options, input.attempts);
  if (!classified) return null;
  const reason = input.value.kind === 'unknown' ? input.value.reason : input.value.kind;
  return {
    ...(input.fake ? { fake: input.fake } : {}),
    rule: classified.rule,
    anchor: input.anchor,
    delay: toDelay(input.value, input.argument.text, classified.lockstep),
    ...(classified.lockstep ? { lockstep: classified.lockstep } : {}),
    trigger: input.trigger,
    form: {
      kind: 'call-argument',
      call: 'sleep-helper',
      argument: input.argument.range,
      argumentText: input.argument.text,
      ...(input.computedBy ? { computedBy: input.computedBy } : {}),
      ...(input.unitMs !== undefined && input.unitMs !== 1 ? { unitMs: input.unitMs } : {}),
    },
    attemptVar: input.attemptVar,
    evidence: classified.unknown
      ? [...input.evidence, `the delay could not be resolved (${reason})`]
      : input.evidence,
    confidence: classified.unknown ? 'low' : input.confidence,
    level: classified.unknown ? 'note' : undefined,
  };
}

export interface LibraryDraftInput {
  library: RetryLibrary;
  value: DelayValue;
  /** The option or call the comment is anchored to. */
  anchor: Snippet;
  /** What the rewrite edits (an argument list, a keyword argument, a wait expression). */
  target: Snippet;
  evidence: string[];
  confidence?: Confidence;
}

/**
 * `fake-jitter` for a wait whose randomness every process shares: a draw from a constant-seed generator
 * (whatever its range), or a helper named as jitter returning a delay the other rules would report.
 */
export function fakeJitterRule(
  value: DelayValue,
  fake: FakeJitter | null | undefined,
  options: AnalysisOptions,
): ReturnType<typeof classifyDelay> {
  if (!fake) return null;
  const classified = classifyDelay(value, options);
  return fake.kind === 'seeded' || (classified && !classified.unknown) ? { rule: 'fake-jitter' } : null;
}

/** A retry library configured without jitter, as a draft. */
export function libraryDraft(input: LibraryDraftInput, options: AnalysisOptions): Draft | null {
  const classified = classifyDelay(input.value, options);
  if (!classified) return null;
  return {
    rule: classified.rule,
    anchor: input.anchor,
    delay: toDelay(input.value, clipDelayText(input.anchor.text)),
    trigger: { kind: 'library', detail: input.library },
    form: {
      kind: 'library-option',
      library: input.library,
      target: input.target.range,
      targetText: input.target.text,
    },
    evidence: input.evidence,
    confidence: classified.unknown ? 'low' : (input.confidence ?? 'high'),
    level: classified.unknown ? 'note' : undefined,
  };
}

/** A library check's result while its tree is alive: nodes instead of snippets, one evidence line. */
export interface LibraryHit {
  library: RetryLibrary;
  value: DelayValue;
  anchor: Node;
  target: Node;
  evidence: string;
  confidence?: Confidence;
}

/** The draft of a library check's hit (its nodes copied out, so the tree can be freed). */
export function libraryHitDraft(hit: LibraryHit, options: AnalysisOptions): Draft | null {
  return libraryDraft(
    {
      library: hit.library,
      value: hit.value,
      anchor: snippet(hit.anchor),
      target: snippet(hit.target),
      evidence: [hit.evidence],
      confidence: hit.confidence,
    },
    options,
  );
}

/** Orders drafts, drops a second draft on the same anchor, and fingerprints the rest. */
export function toFindings(drafts: readonly Draft[], path: string, language: Language): Finding[] {
  const seen = new Map<string, number>();
  const anchors = new Set<number>();
  const findings: Finding[] = [];
  for (const draft of [...drafts].sort((a, b) => a.anchor.range.startOffset - b.anchor.range.startOffset)) {
    if (anchors.has(draft.anchor.range.startOffset)) continue;
    anchors.add(draft.anchor.range.startOffset);
    const key = `${draft.rule}\0${draft.anchor.text.replace(/\s+/g, ' ')}`;
    const occurrence = seen.get(key) ?? 0;
    seen.set(key, occurrence + 1);
    findings.push({
      rule: draft.rule,
      level: draft.level ?? levelOf(draft.rule),
      language,
      path,
      range: draft.anchor.range,
      delay: draft.delay,
      trigger: draft.trigger,
      form: draft.form,
      attemptVar: draft.attemptVar,
      ...(draft.lockstep ? { lockstep: draft.lockstep } : {}),
      evidence: draft.evidence,
      confidence: draft.confidence,
      message: messageFor(draft),
      fingerprint: fingerprintOf(draft.rule, path, draft.anchor.text, occurrence),
    });
  }
  return findings;
}

/** Why a wait's jitter is not random, and what to do instead. */
export function fakeJitterMessage(fake: FakeJitter): string {
  const sources = fake.sources.join(', ');
  return fake.kind === 'seeded'
    ? `This retry's jitter is drawn from a generator seeded with a constant, ${sources}: every process draws the same sequence, so clients that fail together still retry together. Seed it per process or draw from the language's shared random source.`
    : `This retry's jitter comes from ${sources}, which is named as jitter but draws no random number: every client computes the same wait. Add a random term (full jitter: a uniform draw up to the delay).`;
}

function messageFor(draft: Draft): string {
  if (draft.fake) return fakeJitterMessage(draft.fake);
  if (draft.lockstep) return lockstepMessage(draft.lockstep, draft.attemptVar);
  const library = draft.form.kind === 'library-option' ? draft.form.library : null;
  if (draft.rule === 'fixed-delay-retry') {
    const ms = draft.delay.kind === 'fixed' ? draft.delay.ms : undefined;
    const wait = ms !== undefined ? `a fixed ${formatDuration(ms)}` : 'a delay that could not be resolved';
    const subject = library ? `${library} retries after` : 'This retry waits';
    return `${subject} ${wait} between attempts: clients that fail together retry together. Add jitter.`;
  }
  const shape = draft.delay.kind === 'linear' ? 'linearly' : 'exponentially';
  const subject = library ? `${library} retries with a delay that grows` : 'This retry backs off';
  return `${subject} ${shape} without jitter: clients that fail together stay in lockstep. Add jitter.`;
}
