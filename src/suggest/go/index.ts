import type { Finding, WaitForm } from '../../analysis/finding.js';
import { withLoadedTree, type Node } from '../../analysis/languages/tree-sitter/runtime.js';
import { field, namedChildren, nodeSpanning } from '../../analysis/languages/tree-sitter/syntax.js';
import { formatDuration } from '../../simulate/duration.js';
import { inlineCode } from '../inline-code.js';
import { plan, refuse, type PlannedEdit, type RewriteResult } from '../plan.js';
import { goImports, importEdit, type GoImports } from './imports.js';
import { goHelperCall } from './repo-helper.js';
import { hasMathRandV2 } from '../project.js';
import type { StrategyName, SuggestOptions } from '../types.js';

/**
 * Go rewrites. A fixed `time.Sleep(d)` becomes `time.Sleep(time.Duration(rand.Int63n(int64(d))))`
 * (full jitter; equal and decorrelated in their own shape) with `math/rand` imported into the
 * standard-library group; `rand.N(d)` with `math/rand/v2`, when it is already imported or go.mod says
 * Go 1.22 or later. Each library gets its own switch (RULES.md
 * section 3). Go's typed durations do not fit the shared templates, so the expressions are written
 * here; the window keeps the original bound (an attempt-grown `d << n` could overflow a Duration).
 */

type LibraryForm = Extract<WaitForm, { kind: 'library-option' }>;

const MATH_RAND = 'math/rand';
const MATH_RAND_V2 = 'math/rand/v2';
/** retry-go's default `Delay`, written as Go. */
const DEFAULT_RETRY_GO_DELAY = '100 * time.Millisecond';
/** The alias used when `rand` already names another package (`crypto/rand`). */
const RAND_ALIAS = 'mrand';

export function rewriteGo(finding: Finding, fileText: string, options: SuggestOptions): RewriteResult {
  const imports = goImports(fileText);
  if (!imports)
    return refuse(options.strategy, 'the Go grammar is not loaded', 'Randomise the wait between attempts.');
  const form = finding.form;
  if (form.kind === 'call-argument') {
    if (fileText.slice(form.argument.startOffset, form.argument.endOffset) !== form.argumentText) {
      return refuse(
        options.strategy,
        'the delay argument is not where the finding says (the file changed)',
        `Randomise the delay ${inlineCode(form.argumentText)}.`,
      );
    }
    const argument = {
      start: form.argument.startOffset,
      end: form.argument.endOffset,
      text: form.argumentText,
    };
    return (
      goHelperCall(finding, argument, fileText, imports, options) ??
      jitterArgument(finding, argument, imports, options)
    );
  }
  if (fileText.slice(form.target.startOffset, form.target.endOffset) !== form.targetText) {
    return refuse(
      'library',
      'the library option is not where the finding says (the file changed)',
      `Turn on ${form.library}'s jitter.`,
    );
  }
  switch (form.library) {
    case 'cenkalti-backoff':
      return cenkalti(form, fileText, imports);
    case 'retry-go':
      return retryGo(form, fileText, imports);
    case 'go-retryablehttp':
      return retryablehttp(form, fileText, imports);
    case 'go-resiliency':
      return resiliency(form, fileText);
    default:
      return refuse('library', `no Go rewrite for ${form.library}`, `Turn on ${form.library}'s jitter.`);
  }
}

/** `x` when it is a name, selector, number or call; `(x)` otherwise. */
function atom(expression: string): string {
  const text = expression.trim();
  if (/^[\w.]+$/.test(text)) return text;
  const call = /^[\w.]+\(/.exec(text);
  if (call && closing(text, call[0].length - 1) === text.length - 1) return text;
  return `(${text})`;
}

function closing(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i += 1) {
    if (text[i] === '(') depth += 1;
    else if (text[i] === ')' && --depth === 0) return i;
  }
  return -1;
}

/** A random Duration in [0, bound): `rand.N` in math/rand/v2, `Int63n` in math/rand. */
function uniform(bound: string, rand: { alias: string; v2: boolean }): string {
  return rand.v2
    ? `${rand.alias}.N(${bound.trim()})`
    : `time.Duration(${rand.alias}.Int63n(int64(${bound.trim()})))`;
}

function writtenStrategy(options: SuggestOptions): { strategy: StrategyName; note: string } {
  if (options.strategy === 'golden') {
    return {
      strategy: 'full',
      note: ' Golden-ratio jitter needs a per-client index that a Go expression cannot read in one line, so this uses full jitter.',
    };
  }
  return { strategy: options.strategy, note: '' };
}

function jitterArgument(
  finding: Finding,
  argument: { start: number; end: number; text: string },
  imports: GoImports,
  options: SuggestOptions,
): RewriteResult {
  const rand = randPackage(imports, options);
  const { strategy, note } = writtenStrategy(options);
  const d = atom(argument.text);
  let expression: string;
  switch (strategy) {
    case 'equal':
      expression = `${d}/2 + ${uniform(`${d}/2`, rand)}`;
      break;
    case 'decorrelated':
      expression = `${d} + ${uniform(`2*${d}`, rand)}`;
      break;
    default:
      expression = uniform(argument.text, rand);
  }
  const edits: PlannedEdit[] = [{ start: argument.start, end: argument.end, newText: expression }];
  if (rand.edit) edits.push(rand.edit);
  return plan(strategy, describe(finding, strategy) + note, ...edits);
}

function describe(finding: Finding, strategy: StrategyName): string {
  const ms = finding.delay.kind === 'fixed' ? finding.delay.ms : undefined;
  const bound = ms !== undefined ? formatDuration(ms) : inlineCode(finding.delay.text);
  if (finding.delay.kind !== 'fixed') {
    const words: Record<StrategyName, string> = {
      full: 'a random wait between 0 and the current delay',
      equal: 'a random wait between half of the current delay and all of it',
      decorrelated: 'a random wait between the current delay and three times it',
      golden: 'a random wait between 0 and the current delay',
    };
    return `Add ${strategy === 'equal' ? 'equal' : strategy === 'decorrelated' ? 'decorrelated' : 'full'} jitter to the growing wait: ${words[strategy]}.`;
  }
  const words: Record<StrategyName, string> = {
    full: `full jitter: a random wait between 0 and ${bound}`,
    equal: `equal jitter: a random wait between half of ${bound} and ${bound}`,
    decorrelated: `decorrelated jitter: a random wait between ${bound} and three times it`,
    golden: `full jitter: a random wait between 0 and ${bound}`,
  };
  return `Replace the fixed ${bound} wait with ${words[strategy]}.`;
}

/**
 * The package to draw from: an imported math/rand (v1 or v2), or one added under a free name —
 * `math/rand/v2` when the module's go.mod says Go 1.22 or later (it is not in older standard
 * libraries), `math/rand` otherwise.
 */
function randPackage(
  imports: GoImports,
  options: SuggestOptions,
): { alias: string; v2: boolean; edit: PlannedEdit | null } {
  for (const [name, path] of imports.names) {
    if (path === MATH_RAND_V2) return { alias: name, v2: true, edit: null };
    if (path === MATH_RAND) return { alias: name, v2: false, edit: null };
  }
  const v2 = hasMathRandV2(options.project?.goVersion);
  const path = v2 ? MATH_RAND_V2 : MATH_RAND;
  const taken = imports.names.has('rand');
  return {
    alias: taken ? RAND_ALIAS : 'rand',
    v2,
    edit: importEdit(imports, path, taken ? `${RAND_ALIAS} "${path}"` : `"${path}"`),
  };
}

/** The node a finding's target range points at, in a fresh parse of the file. */
function targetNode<T>(fileText: string, form: LibraryForm, use: (node: Node) => T): T | null {
  return withLoadedTree('go', fileText, (tree) => {
    const node = nodeSpanning(tree.rootNode, form.target.startOffset, form.target.endOffset);
    return node ? use(node) : null;
  });
}

function aliasFor(imports: GoImports, pattern: RegExp, fallback: string): string {
  for (const [name, path] of imports.names) if (pattern.test(path)) return name;
  return fallback;
}

function cenkalti(form: LibraryForm, fileText: string, imports: GoImports): RewriteResult {
  const alias = aliasFor(imports, /^github\.com\/cenkalti\/backoff(\/v\d+)?$/, 'backoff');
  const factor = `${alias}.DefaultRandomizationFactor`;
  const description = `Use cenkalti/backoff's randomization (\`${factor}\`, 0.5): each wait is drawn from ±50% around the current interval.`;
  const edit = targetNode(fileText, form, (node): PlannedEdit | null => {
    if (node.type === 'call_expression' && /NewConstantBackOff$/.test(field(node, 'function')?.text ?? '')) {
      return { start: node.startIndex, end: node.endIndex, newText: `${alias}.NewExponentialBackOff()` };
    }
    // `&backoff.ConstantBackOff{Interval: d}`: the constructor call stands for the whole `&…{}`.
    if (node.type === 'unary_expression' && /ConstantBackOff\s*\{/.test(node.text)) {
      return { start: node.startIndex, end: node.endIndex, newText: `${alias}.NewExponentialBackOff()` };
    }
    if (node.type === 'keyed_element') {
      const value = field(node, 'value');
      return value ? { start: value.startIndex, end: value.endIndex, newText: factor } : null;
    }
    if (node.type === 'composite_literal') {
      const body = field(node, 'body');
      const elements = body ? namedChildren(body) : [];
      const last = elements[elements.length - 1];
      if (!body || !last) return null;
      const multiline = fileText.slice(last.endIndex, body.endIndex).includes('\n');
      if (multiline) {
        // gofmt keeps a trailing comma after the last element of a multi-line literal: add a line after it.
        const indent = /[ \t]*$/.exec(fileText.slice(0, last.startIndex))![0];
        const lineEnd = fileText.indexOf('\n', last.endIndex);
        return {
          start: lineEnd + 1,
          end: lineEnd + 1,
          newText: `${indent}RandomizationFactor: ${factor},\n`,
        };
      }
      return { start: last.endIndex, end: last.endIndex, newText: `, RandomizationFactor: ${factor}` };
    }
    // `b.RandomizationFactor = 0`, `WithRandomizationFactor(0)`: the zero itself.
    return { start: node.startIndex, end: node.endIndex, newText: factor };
  });
  if (!edit) return refuse('library', 'the backoff options are not where the finding says', description);
  if (/NewConstantBackOff|ConstantBackOff\s*\{/.test(form.targetText)) {
    return plan(
      'library',
      `Use \`${alias}.NewExponentialBackOff()\`: waits grow from 500 ms by 1.5× and each is randomised by ±50%, so clients that failed together retry apart.`,
      edit,
    );
  }
  return plan('library', description, edit);
}

function retryGo(form: LibraryForm, fileText: string, imports: GoImports): RewriteResult {
  const alias = /^(\w+)\./.exec(form.targetText)?.[1] ?? 'retry';
  const combined = `${alias}.CombineDelay(${alias}.BackOffDelay, ${alias}.RandomDelay)`;
  if (/^(\w+\.)?(FixedDelay|BackOffDelay)$/.test(form.targetText.trim())) {
    const edits: PlannedEdit[] = [
      { start: form.target.startOffset, end: form.target.endOffset, newText: combined },
    ];
    // The default `MaxJitter` is 100 ms; a jitter as large as the delay spreads clients over a whole step.
    const maxJitter = withLoadedTree('go', fileText, (tree) => {
      const option = nodeSpanning(tree.rootNode, form.target.startOffset, form.target.endOffset)?.parent
        ?.parent;
      const siblings = option?.parent
        ? namedChildren(option.parent).map((n) => (n.type === 'literal_element' ? (n.namedChild(0) ?? n) : n))
        : [];
      if (siblings.some((s) => /\.MaxJitter\(/.test(s.text))) return null;
      const delay = siblings.find((s) => new RegExp(`^${alias}\\.Delay\\(`).test(s.text));
      const value = delay ? field(delay, 'arguments')?.namedChild(0)?.text : undefined;
      return option && value
        ? { start: option.endIndex, end: option.endIndex, newText: `, ${alias}.MaxJitter(${value})` }
        : null;
    });
    if (maxJitter) edits.push(maxJitter);
    return plan(
      'library',
      `Use retry-go's default \`${combined}\`: each wait is the exponential backoff plus a random delay${maxJitter ? ' of up to the base delay' : ' (up to `MaxJitter`)'}.`,
      ...edits,
    );
  }
  // `MaxJitter(0)`: give the random part the base delay (`Delay`, 100 ms by default).
  const delay = withLoadedTree('go', fileText, (tree) => {
    const option = nodeSpanning(tree.rootNode, form.target.startOffset, form.target.endOffset)?.parent
      ?.parent;
    const siblings = option?.parent
      ? namedChildren(option.parent).map((n) => (n.type === 'literal_element' ? (n.namedChild(0) ?? n) : n))
      : [];
    const found = siblings.find((s) => new RegExp(`^${alias}\\.Delay\\(`).test(s.text));
    return found ? (field(found, 'arguments')?.namedChild(0)?.text ?? null) : null;
  });
  const edits: PlannedEdit[] = [
    { start: form.target.startOffset, end: form.target.endOffset, newText: delay ?? DEFAULT_RETRY_GO_DELAY },
  ];
  const hasTime = [...imports.names.values()].includes('time');
  if (!delay && !hasTime) {
    const time = importEdit(imports, 'time', '"time"');
    if (time) edits.push(time);
  }
  return plan(
    'library',
    `Give \`MaxJitter\` the base delay: retry-go then adds a random delay of up to ${inlineCode(delay ?? DEFAULT_RETRY_GO_DELAY)} to every backoff.`,
    ...edits,
  );
}

function retryablehttp(form: LibraryForm, fileText: string, imports: GoImports): RewriteResult {
  const alias = aliasFor(imports, /^github\.com\/hashicorp\/go-retryablehttp$/, 'retryablehttp');
  const jittered = `${alias}.LinearJitterBackoff`;
  const description = `Use \`${jittered}\`: each wait is drawn at random between \`RetryWaitMin\` and \`RetryWaitMax\`, times the attempt number.`;
  // The finding points at `client := retryablehttp.NewClient()` (no Backoff set): set it on the next line.
  if (/NewClient\(\)/.test(form.targetText) && !/^func\b/.test(form.targetText)) {
    const variable = /^(?:var\s+)?(\w+)/.exec(form.targetText.trim())?.[1];
    if (!variable) return refuse('library', 'the client variable could not be found', description);
    return plan('library', description, statementAfter(form, fileText, `${variable}.Backoff = ${jittered}`));
  }
  return plan('library', description, {
    start: form.target.startOffset,
    end: form.target.endOffset,
    newText: jittered,
  });
}

/** `r := retrier.New(backoff, class)`: `r.SetJitter(0.5)` on the next line (jitter is 0 unless set). */
function resiliency(form: LibraryForm, fileText: string): RewriteResult {
  const description =
    'Call `SetJitter(0.5)` on the retrier: each back-off is moved by a random amount of up to ±50%.';
  const variable = /^(?:var\s+)?(\w+)\s*(?::=|=)/.exec(form.targetText.trim())?.[1];
  if (!variable || variable === '_')
    return refuse('library', 'the retrier is not kept in a variable to call SetJitter on', description);
  return plan('library', description, statementAfter(form, fileText, `${variable}.SetJitter(0.5)`));
}

/** `statement` on its own line right after the target's, indented like the target's line. */
function statementAfter(form: LibraryForm, fileText: string, statement: string): PlannedEdit {
  const lineStart = fileText.lastIndexOf('\n', form.target.startOffset - 1) + 1;
  const indent = /^[ \t]*/.exec(fileText.slice(lineStart))![0];
  const lineEnd = fileText.indexOf('\n', form.target.endOffset);
  const at = lineEnd < 0 ? fileText.length : lineEnd + 1;
  return { start: at, end: at, newText: `${lineEnd < 0 ? '\n' : ''}${indent}${statement}\n` };
}
