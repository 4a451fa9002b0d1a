import type { Finding, WaitForm } from '../../analysis/finding.js';
import { withLoadedTree, type Node } from '../../analysis/languages/tree-sitter/runtime.js';
import { field, namedChildren, nodeSpanning } from '../../analysis/languages/tree-sitter/syntax.js';
import { formatDuration } from '../../simulate/duration.js';
import { formatNumber, jitterCode } from '../ecmascript/jitter-code.js';
import { inlineCode } from '../inline-code.js';
import { plan, refuse, type PlannedEdit, type RewriteResult } from '../plan.js';
import type { SuggestOptions } from '../types.js';
import { CELERY_BACKOFF_MAX_MS, URLLIB3_JITTER_FACTORS } from '../../simulate/libraries/python.js';
import { counterNote, introducedCounter } from '../loop-counter.js';
import { PYTHON_COUNTER } from './counter.js';
import { importedName, osImport, randomImport } from './source.js';

/**
 * Python rewrites. A fixed `time.sleep(N)` becomes `time.sleep(random.uniform(0, N))` (full jitter;
 * the other strategies in their own shape) with `import random` added; each retry library gets its
 * own jitter switch (RULES.md section 3). The suggestion is re-parsed with the Python grammar by
 * `validatePatch` before it is offered.
 */

type CallForm = Extract<WaitForm, { kind: 'call-argument' }>;
type LibraryForm = Extract<WaitForm, { kind: 'library-option' }>;

const SECONDS_PER_MS = 0.001;
const MS_PER_SECOND = 1_000;
/** Full jitter as the templates write it: `random.random() * X`, rewritten as `random.uniform(0, X)`. */
const FULL_TEMPLATE = /^random\.random\(\) \* (.+)$/s;
/** celery counts retries in `self.request.retries`: the attempt number a jittered countdown grows with. */
const CELERY_ATTEMPT = 'self.request.retries';

export function rewritePython(finding: Finding, fileText: string, options: SuggestOptions): RewriteResult {
  const form = finding.form;
  if (form.kind === 'call-argument') return rewriteSleep(finding, form, fileText, options);
  const target = withLoadedTree('python', fileText, (tree) => {
    const node = nodeSpanning(tree.rootNode, form.target.startOffset, form.target.endOffset);
    return node && node.text === form.targetText ? describeNode(node) : null;
  });
  if (!target)
    return refuse(
      'library',
      'the library option is not where the finding says (the file changed)',
      `Turn on ${form.library}'s jitter.`,
    );
  switch (form.library) {
    case 'tenacity':
      return tenacity(finding, form, fileText, options);
    case 'backoff':
      return removeKeyword(
        form,
        fileText,
        'library',
        'Remove `jitter=None`: backoff then waits with its default `full_jitter`, a random time up to each computed wait.',
      );
    case 'retrying':
      return addKeyword(
        form,
        fileText,
        target,
        `wait_jitter_max=${formatNumber(baseMs(finding) ?? MS_PER_SECOND)}`,
        'library',
        `Add \`wait_jitter_max\`: retrying then adds a random 0–${formatDuration(baseMs(finding) ?? MS_PER_SECOND)} to every wait.`,
      );
    case 'urllib3': {
      const factor = (baseMs(finding) ?? MS_PER_SECOND) * SECONDS_PER_MS;
      const jitter = formatNumber(factor * URLLIB3_JITTER_FACTORS);
      return addKeyword(
        form,
        fileText,
        target,
        `backoff_jitter=${jitter}`,
        'library',
        `Add \`backoff_jitter=${jitter}\` (urllib3 ≥ 2): every backoff gains a random 0–${jitter} s, so clients that failed together retry apart.`,
      );
    }
    case 'celery':
      return celery(finding, form, fileText, options, target);
    default:
      return refuse('library', `no Python rewrite for ${form.library}`, `Turn on ${form.library}'s jitter.`);
  }
}

interface TargetShape {
  type: string;
  /** For calls: where a new keyword argument goes (before the closing parenthesis) and whether there are arguments. */
  insertAt?: number;
  hasArguments?: boolean;
}

function describeNode(node: Node): TargetShape {
  if (node.type !== 'call') return { type: node.type };
  const args = field(node, 'arguments');
  const list = args ? namedChildren(args) : [];
  return {
    type: 'call',
    insertAt: list.length ? list[list.length - 1]!.endIndex : args ? args.startIndex + 1 : node.endIndex,
    hasArguments: list.length > 0,
  };
}

function baseMs(finding: Finding): number | undefined {
  return finding.delay.kind === 'fixed' ? finding.delay.ms : finding.delay.baseMs;
}

/** `random.random() * X` → `random.uniform(0, X)`: the same distribution, in the idiom Python readers expect. */
function pythonic(expression: string): string {
  const full = FULL_TEMPLATE.exec(expression);
  if (!full) return expression;
  const bound = full[1]!.replace(/^\((.*)\)$/s, '$1');
  return `random.uniform(0, ${bound})`;
}

function jittered(finding: Finding, current: string, attempt: string | undefined, options: SuggestOptions) {
  return jitterCode({
    language: 'python',
    delay: finding.delay,
    current,
    currentIsCapped: /^min\(/.test(current.trim()),
    ...(attempt === undefined ? {} : { attempt }),
    unitScale: SECONDS_PER_MS,
    options,
  });
}

/** `time.sleep(N)` → `time.sleep(random.uniform(0, N))`, or the repository's own helper. */
function rewriteSleep(
  finding: Finding,
  form: CallForm,
  fileText: string,
  options: SuggestOptions,
): RewriteResult {
  if (fileText.slice(form.argument.startOffset, form.argument.endOffset) !== form.argumentText) {
    return refuse(
      options.strategy,
      'the delay argument is not where the finding says (the file changed)',
      `Randomise the delay ${inlineCode(form.argumentText)}.`,
    );
  }
  const argument = { start: form.argument.startOffset, end: form.argument.endOffset };
  const helper = options.repoHelper;
  // A helper that takes the attempt, in a loop that counts nothing: the patch brings the counter.
  const counter =
    helper?.takesAttempt && finding.attemptVar === undefined
      ? introducedCounter(PYTHON_COUNTER, fileText, form.argument.startOffset)
      : null;
  const attempt = finding.attemptVar ?? counter?.name;
  if (helper && helper.path.endsWith('.py') && (!helper.takesAttempt || attempt !== undefined)) {
    const call = `${helper.name}(${helper.takesAttempt ? attempt : form.argumentText})`;
    const imported = importedName(fileText, helper.importSpecifier ?? moduleOf(helper.path), helper.name);
    if (imported) {
      const edits: PlannedEdit[] = [{ ...argument, newText: call.replace(helper.name, imported.reference) }];
      if (imported.edit) edits.push(imported.edit);
      if (counter) edits.push(...counter.edits);
      const counted = counter ? counterNote(PYTHON_COUNTER, counter) : '';
      return plan(
        options.strategy,
        `Wait ${inlineCode(call)} instead of ${inlineCode(form.argumentText)}: the repository already has a jitter helper, ${inlineCode(helper.name)} in ${inlineCode(helper.path)}.${counted}`,
        ...edits,
      );
    }
  }
  const code = jittered(finding, form.argumentText, finding.attemptVar, options);
  if (!code)
    return refuse(
      options.strategy,
      'no jitter template for Python',
      `Randomise the delay ${inlineCode(form.argumentText)}.`,
    );
  const expression = pythonic(code.expression);
  const unitNote =
    /\bmin\(/.test(expression) && !/\bmin\(/.test(form.argumentText)
      ? ` ${inlineCode(form.argumentText)} is in seconds, so the cap is written in them too.`
      : '';
  return plan(
    code.strategy,
    code.description + unitNote,
    { ...argument, newText: expression },
    ...importsFor(expression, fileText),
  );
}

/** The imports a jitter expression needs: `random` for draws, `os` for a golden-ratio index. */
function importsFor(expression: string, fileText: string): PlannedEdit[] {
  const edits: PlannedEdit[] = [];
  const random = /\brandom\./.test(expression) ? randomImport(fileText) : null;
  if (random) edits.push(random);
  const os = /\bos\.environ\b/.test(expression) ? osImport(fileText) : null;
  if (os) edits.push(os);
  return edits;
}

/** `app/utils/backoff.py` → `app.utils.backoff` (a `src/` layout root is not part of the module name). */
function moduleOf(path: string): string {
  return path
    .replace(/\.py$/, '')
    .replace(/\/__init__$/, '')
    .replace(/^src\//, '')
    .replace(/\//g, '.');
}

/** `wait=wait_fixed(5)` → `wait=wait_random_exponential(multiplier=5, max=30)`. */
function tenacity(
  finding: Finding,
  form: LibraryForm,
  fileText: string,
  options: SuggestOptions,
): RewriteResult {
  const multiplier = formatNumber((baseMs(finding) ?? MS_PER_SECOND) * SECONDS_PER_MS);
  const max = formatNumber(options.capMs * SECONDS_PER_MS);
  const prefixed = /^tenacity\./.test(form.targetText.trim());
  const imported = prefixed
    ? { reference: 'tenacity.wait_random_exponential', edit: null }
    : importedName(fileText, 'tenacity', 'wait_random_exponential');
  if (!imported) return refuse('library', 'the file could not be parsed', 'Use `wait_random_exponential`.');
  const replacement = `${imported.reference}(multiplier=${multiplier}, max=${max})`;
  const edits: PlannedEdit[] = [
    { start: form.target.startOffset, end: form.target.endOffset, newText: replacement },
  ];
  if (imported.edit) edits.push(imported.edit);
  return plan(
    'library',
    `Wait with \`wait_random_exponential\` (tenacity's full jitter): a random time up to ${multiplier} s × 2ⁿ, capped at ${max} s, so clients that failed together retry apart.`,
    ...edits,
  );
}

/** Removes a keyword argument together with the comma before it. */
function removeKeyword(
  form: LibraryForm,
  fileText: string,
  strategy: 'library',
  description: string,
): RewriteResult {
  let start = form.target.startOffset;
  const before = /,\s*$/.exec(fileText.slice(0, start));
  if (before) start -= before[0].length;
  return plan(strategy, description, { start, end: form.target.endOffset, newText: '' });
}

/** Adds `keyword=value` as the call's last argument. */
function addKeyword(
  form: LibraryForm,
  fileText: string,
  target: TargetShape,
  argument: string,
  strategy: 'library' | SuggestOptions['strategy'],
  description: string,
): RewriteResult {
  if (target.type !== 'call' || target.insertAt === undefined)
    return refuse(strategy, 'the library call is not where the finding says', description);
  return plan(strategy, description, {
    start: target.insertAt,
    end: target.insertAt,
    newText: `${target.hasArguments ? ', ' : ''}${argument}`,
  });
}

function celery(
  finding: Finding,
  form: LibraryForm,
  fileText: string,
  options: SuggestOptions,
  target: TargetShape,
): RewriteResult {
  if (/^retry_jitter\s*=/.test(form.targetText)) {
    return removeKeyword(
      form,
      fileText,
      'library',
      'Remove `retry_jitter=False`: celery then draws each `retry_backoff` countdown at random up to its exponential value (full jitter).',
    );
  }
  const seconds = (baseMs(finding) ?? MS_PER_SECOND) * SECONDS_PER_MS;
  if (target.type === 'call' && /\bautoretry_for\s*=/.test(form.targetText)) {
    const factor = Math.max(1, Math.round(seconds));
    return addKeyword(
      form,
      fileText,
      target,
      `retry_backoff=${factor}`,
      'library',
      `Add \`retry_backoff=${factor}\`: celery then waits a random time up to ${factor} s × 2ⁿ (capped by \`retry_backoff_max\`, ${formatDuration(CELERY_BACKOFF_MAX_MS)} by default) before each automatic retry, jittered by default.`,
    );
  }
  // `self.retry(countdown=N)` and a bare `self.retry()`: a jittered countdown that grows with the retry count.
  const current = target.type === 'call' ? formatNumber(seconds) : form.targetText;
  // Growing from a countdown already past the cap would shorten it; such countdowns keep their bound.
  const attempt = seconds * MS_PER_SECOND < options.capMs ? CELERY_ATTEMPT : undefined;
  const code = jittered(finding, current, attempt, options);
  if (!code) return refuse(options.strategy, 'no jitter template for Python', 'Randomise the countdown.');
  const expression = pythonic(code.expression);
  const main: PlannedEdit =
    target.type === 'call'
      ? {
          start: target.insertAt!,
          end: target.insertAt!,
          newText: `${target.hasArguments ? ', ' : ''}countdown=${expression}`,
        }
      : { start: form.target.startOffset, end: form.target.endOffset, newText: expression };
  return plan(
    code.strategy,
    `${code.description} The countdown is in seconds.`,
    main,
    ...importsFor(expression, fileText),
  );
}
