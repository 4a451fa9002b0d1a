import type { AnalysisOptions } from '../../analyzer.js';
import { classifyDelay, toDelay, type DelayValue } from '../../delay.js';
import type { Snippet as Span, Draft } from '../tree-sitter/findings.js';

export { toFindings, type Draft, type Snippet as Span } from '../tree-sitter/findings.js';
import type { RetryLibrary, RuleId, Trigger } from '../../finding.js';
import type { Expr } from '../../flow/ir.js';

/**
 * From evaluated waits to findings, for the analyzers built on tree-sitter grammars (Java, Kotlin, C#,
 * Rust). Trees live in WASM memory and are deleted after each file, so a draft carries ranges and text
 * copied out of the tree, never nodes.
 */

/** Why a wait is a pause between attempts (RULES.md section 1), as the language's context finder saw it. */
export interface RetryEvidence {
  trigger: Trigger;
  /** Names that change from one attempt to the next. */
  counters: ReadonlySet<string>;
  attemptVar?: string;
  /** The attempt counter's exclusive bound, when the loop header says. */
  limit?: Expr;
  evidence: string[];
}

/** A sleep-like call and its delay argument. */
export interface WaitSpan {
  anchor: Span;
  argument: Span;
  confidence: 'high' | 'medium';
}

/** A hand-written wait in a retry: a finding when its delay is fixed or grows without randomness. */
export function waitDraft(
  wait: WaitSpan,
  context: RetryEvidence,
  value: DelayValue,
  options: AnalysisOptions,
  extraEvidence: readonly string[] = [],
): Draft | null {
  const classified = classifyDelay(value, options);
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
    delay: toDelay(value, wait.argument.text, classified.lockstep),
    ...(classified.lockstep ? { lockstep: classified.lockstep } : {}),
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
