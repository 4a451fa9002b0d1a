import type { AnalysisOptions } from '../../analyzer.js';
import type { DelayValue } from '../../delay.js';
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
} from '../../finding.js';

/**
 * From evaluated waits to findings, for the analyzers built on tree-sitter grammars (Java, Kotlin, C#,
 * Rust). Trees live in WASM memory and are deleted after each file, so a draft carries ranges and text
 * copied out of the tree, never nodes.
 */

/** A slice of the file: where it is and what it says. */
export interface Span {
  range: SourceRange;
  text: string;
}

export interface Draft {
  rule: RuleId;
  /** What the comment anchors to and the fingerprint hashes. */
  anchor: Span;
  delay: Delay;
  trigger: Trigger;
  form: Finding['form'];
  attemptVar?: string;
  evidence: string[];
  confidence: Confidence;
  level?: Level;
}

/** Why a wait is a pause between attempts (RULES.md section 1), as the language's context finder saw it. */
export interface RetryEvidence {
  trigger: Trigger;
  /** Names that change from one attempt to the next. */
  counters: ReadonlySet<string>;
  attemptVar?: string;
  evidence: string[];
}

/** A sleep-like call and its delay argument. */
export interface WaitSpan {
  anchor: Span;
  argument: Span;
  confidence: 'high' | 'medium';
}

/** Longest delay text kept in a finding; option blocks can be long. */
const MAX_DELAY_TEXT = 200;

export function classify(
  value: DelayValue,
  options: AnalysisOptions,
): { rule: RuleId; unknown?: boolean } | null {
  switch (value.kind) {
    case 'const':
      return value.ms >= options.minDelayMs ? { rule: 'fixed-delay-retry' } : null;
    case 'counter':
    case 'linear':
    case 'exponential':
      return { rule: 'unjittered-backoff' };
    case 'unknown':
      return options.reportUnknown ? { rule: 'fixed-delay-retry', unknown: true } : null;
    default:
      return null;
  }
}

export function toDelay(value: DelayValue, text: string): Delay {
  const clipped = text.length > MAX_DELAY_TEXT ? `${text.slice(0, MAX_DELAY_TEXT - 1)}…` : text;
  switch (value.kind) {
    case 'const':
      return { kind: 'fixed', ms: value.ms, text: clipped };
    case 'counter':
      return { kind: 'linear', text: clipped };
    case 'linear':
      return { kind: 'linear', baseMs: value.baseMs, text: clipped };
    case 'exponential':
      return { kind: 'exponential', baseMs: value.baseMs, factor: value.factor, text: clipped };
    default:
      return { kind: 'fixed', text: clipped };
  }
}

/** A hand-written wait in a retry: a finding when its delay is fixed or grows without randomness. */
export function waitDraft(
  wait: WaitSpan,
  context: RetryEvidence,
  value: DelayValue,
  options: AnalysisOptions,
  extraEvidence: readonly string[] = [],
): Draft | null {
  const classified = classify(value, options);
  if (!classified) return null;
  const evidence = [...context.evidence, ...extraEvidence];
  if (classified.unknown) {
    evidence.push(
      `the delay could not be resolved (${value.kind === 'unknown' ? value.reason : value.kind})`,
    );
  }
  return {
    rule: classified.rule,
    anchor: wait.anchor,
    delay: toDelay(value, wait.argument.text),
    trigger: context.trigger,
    form: {
      kind: 'call-argument',
      call: 'sleep-helper',
      argument: wait.argument.range,
      argumentText: wait.argument.text,
    },
    ...(context.attemptVar === undefined ? {} : { attemptVar: context.attemptVar }),
    evidence,
    confidence: classified.unknown ? 'low' : wait.confidence,
    ...(classified.unknown ? { level: 'note' as const } : {}),
  };
}

/** A retry library configured without jitter (RULES.md section 3). */
export interface LibraryRetry {
  library: RetryLibrary;
  rule: RuleId;
  delay: DelayValue;
  /** Where the comment goes: the offending option, or the call when an option is missing. */
  anchor: Span;
  /** What a patch rewrites: the annotation, builder chain or options object. */
  target: Span;
  evidence: string;
}

export function libraryDraft(found: LibraryRetry, options: AnalysisOptions): Draft | null {
  const value = found.delay;
  if (value.kind === 'const' && value.ms < options.minDelayMs && value.ms !== 0) return null;
  if (value.kind === 'unknown' && !options.reportUnknown) return null;
  return {
    rule: found.rule,
    anchor: found.anchor,
    delay: toDelay(value, found.anchor.text),
    trigger: { kind: 'library', detail: found.library },
    form: {
      kind: 'library-option',
      library: found.library,
      target: found.target.range,
      targetText: found.target.text,
    },
    evidence: [found.evidence],
    confidence: value.kind === 'unknown' ? 'low' : 'high',
  };
}

/** Drafts in file order, one per anchor, with line-independent fingerprints. */
export function toFindings(drafts: readonly Draft[], path: string, language: Language): Finding[] {
  const seen = new Map<string, number>();
  const anchors = new Set<number>();
  const findings: Finding[] = [];
  const ordered = [...drafts].sort((a, b) => a.anchor.range.startOffset - b.anchor.range.startOffset);
  for (const draft of ordered) {
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
      ...(draft.attemptVar === undefined ? {} : { attemptVar: draft.attemptVar }),
      evidence: draft.evidence,
      confidence: draft.confidence,
      message: messageFor(draft),
      fingerprint: fingerprintOf(draft.rule, path, draft.anchor.text, occurrence),
    });
  }
  return findings;
}

function messageFor(draft: Draft): string {
  const library = draft.form.kind === 'library-option' ? draft.form.library : null;
  if (draft.rule === 'fixed-delay-retry') {
    const ms = draft.delay.kind === 'fixed' ? draft.delay.ms : undefined;
    const wait = ms === undefined ? 'a delay that could not be resolved' : `a fixed ${ms} ms`;
    return library
      ? `${library} retries after ${wait} between attempts: clients that fail together retry together. Add jitter.`
      : `This retry waits ${wait} between attempts: clients that fail together retry together. Add jitter.`;
  }
  const shape = draft.delay.kind === 'linear' ? 'linearly' : 'exponentially';
  return library
    ? `${library} retries with a delay that grows ${shape} without jitter: clients that fail together stay in lockstep. Add jitter.`
    : `This retry backs off ${shape} without jitter: clients that fail together stay in lockstep. Add jitter.`;
}
