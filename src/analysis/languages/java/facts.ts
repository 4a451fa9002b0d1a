import { countedFailure } from '../tree-sitter/counted-failure.js';
import type {
  AssignmentFact,
  AssignTarget,
  CallFact,
  ClassFact,
  Expr,
  FileFacts,
  FunctionFact,
  ImportFact,
  ParamFact,
} from '../../flow/ir.js';
import { assignmentOp, newFunction } from '../../flow/ir.js';
import { CONNECT_CALL } from '../../context.js';
import { springPropertiesPrefix } from '../../flow/settings.js';
import {
  attachRetryFrames,
  pausedArgument,
  sleptParameter,
  type BodyCount,
  type CallSite,
} from '../../flow/waits.js';
import { snippet } from '../tree-sitter/findings.js';
import type { Node } from '../tree-sitter/runtime.js';
import { descendantsOfTypes, field, namedChildren, some } from '../tree-sitter/syntax.js';
import { lowerOnce } from '../tree-sitter/lowering.js';
import { handlerRestart, JAVA_GRAMMAR, javaRetryContext, reinvoked, retryDecision } from './context.js';
import {
  argumentsOf,
  calleeOf,
  partsOf,
  lowerJavaNode,
  RANDOM_METHOD,
  springPlaceholder,
  typeName,
  type CallParts,
  type JavaNames,
} from './lower.js';
import { importFact, importLine } from './module.js';
import { scheduledRetry } from './scheduled.js';
import { builtinWait, sleepByName } from './waits.js';

/**
 * The Java front end of the value-flow engine: one query over a file's tree fills the facts
 * (`flow/ir.ts`) — package and imports, classes and records with their fields and initialisers,
 * methods and constructors with their parameters, assignments (to locals, to fields of the class, to
 * members of other objects), calls (with the retry context around those that may be retried),
 * returns — and, for the file under analysis, the call sites a wait may be.
 *
 * Java reads a field of the enclosing class by its bare name: a name that no local or parameter of
 * the enclosing functions declares, and that an enclosing class declares as a field, is lowered as
 * that field (`member(self, name)`, or `member(Outer, name)` for an outer class's).
 */

export interface JavaFacts extends FileFacts {
  sites: CallSite[];
  /**
   * For the file under analysis, while its tree lives: lowers any expression of it with the names in
   * scope where it stands (for the library checks). Dropped with the tree (`detach`), so facts kept
   * for lookups hold no syntax nodes.
   */
  lower?(node: Node): Expr;
}

const FUNCTIONS = new Set([
  'method_declaration',
  'constructor_declaration',
  'compact_constructor_declaration',
  'lambda_expression',
]);
const CLASSES = new Set([
  'class_declaration',
  'interface_declaration',
  'enum_declaration',
  'record_declaration',
]);
const LOOPS = new Set(['for_statement', 'enhanced_for_statement', 'while_statement', 'do_statement']);
/** The node types facts are read from. */
const FACT_NODES = new Set([
  'package_declaration',
  'import_declaration',
  ...CLASSES,
  ...FUNCTIONS,
  'static_initializer',
  'field_declaration',
  'constant_declaration',
  'local_variable_declaration',
  'catch_formal_parameter',
  'assignment_expression',
  'update_expression',
  ...LOOPS,
  'try_statement',
  'try_with_resources_statement',
  'return_statement',
  'method_invocation',
  'object_creation_expression',
  'explicit_constructor_invocation',
]);
const PLATFORM_PACKAGE = /^(java|javax|jakarta|android|androidx|kotlin|scala)\./;
/** Lombok annotations that give every field of a class a getter. */
const LOMBOK_GETTER = /@(Data|Getter|Value)\b(?!\s*\()/;
/** A class name by convention: capitalised, not an upper-case constant. */
const TYPE_NAME = /^[A-Z]\w*[a-z]\w*$/;
/** Classes of `java.lang` (and `TimeUnit`, always imported) a file names without an import of the repository. */
const JAVA_LANG = new Set([
  'Thread',
  'Math',
  'StrictMath',
  'System',
  'String',
  'Integer',
  'Long',
  'Double',
  'Float',
  'Short',
  'Byte',
  'Boolean',
  'Character',
  'Number',
  'Object',
  'Runtime',
  'Exception',
  'RuntimeException',
  'InterruptedException',
  'Error',
  'Throwable',
  'StringBuilder',
  'Iterable',
  'Runnable',
  'Override',
  'Deprecated',
  'SuppressWarnings',
  'FunctionalInterface',
]);
const OVERRIDE_ANNOTATION = /^@(java\.lang\.)?Override$/;
const TEST_ANNOTATION =
  /^@(Test|ParameterizedTest|RepeatedTest|TestFactory|BeforeEach|BeforeAll|AfterEach|Before|After)\b/;
/** Spring's `@Value("${retry.delay:5000}")`: a property with the code's own default after the colon. */
const PROPERTY_VALUE = /^@Value\s*\(\s*"([^"]*)"\s*\)$/;

interface WalkState {
  fn?: FunctionFact;
  /** The class whose receiver `this` is. */
  cls?: ClassFact;
  /** Directly in a class body (field declarations). */
  classBody?: ClassFact;
  /** Inside a loop of the current function (a wait here may repeat). */
  repeats: boolean;
  /** Inside a test method: its waits are not reported. */
  test: boolean;
  /**
   * The condition and update of the innermost loop of the function, as offsets: a call there runs
   * before each pass again (what `loopHeaderOf` finds by walking up, known here from the walk down).
   */
  header?: readonly (readonly [number, number])[];
  chain: readonly ScopeEntry[];
}

/** A function (its locals hide fields) or a class (its fields and methods) around some code. */
type ScopeEntry = { declared: ReadonlySet<string> } | { members: Members };
const NONE: ReadonlySet<string> = new Set();

/** What a class declares, for bare names inside it. */
interface Members {
  name: string;
  fields: Set<string>;
  methods: Set<string>;
  /** Static fields and interface constants: read through the class's name. */
  statics: Set<string>;
  extendsSomething: boolean;
}

export function extractJavaFacts(path: string, root: Node, withSites: boolean): JavaFacts {
  const nodes = descendantsOfTypes(root, FACT_NODES);
  const declared = declaredNames(nodes);
  const members = new Map<number, Members>();
  const staticImports = new Set<string>();
  let wildcardStatics = false;
  let wildcardTypes = false;

  const membersOf = (cls: Node): Members => {
    let found = members.get(cls.id);
    if (!found) members.set(cls.id, (found = collectMembers(cls)));
    return found;
  };

  /**
   * The functions and classes around a node, outermost first: during the walk the open ones (the
   * tree's parent links cost a descent from the root each), afterwards found through the parents.
   */
  let active: readonly ScopeEntry[] | null = null;
  const chainOf = (node: Node): readonly ScopeEntry[] => {
    if (active) return active;
    const chain: ScopeEntry[] = [];
    for (let at = node.parent; at; at = at.parent) {
      if (FUNCTIONS.has(at.type)) chain.unshift({ declared: declared.get(at.id) ?? NONE });
      const cls = classOfBody(at);
      if (cls) chain.unshift({ members: membersOf(cls) });
    }
    return chain;
  };
  /** The bare name's meaning, looking outwards through functions (locals) and classes (fields). */
  const resolve = (node: Node, name: string, kind: 'fields' | 'methods'): Expr | null => {
    let innermost = true;
    let inherited: Expr | null = null;
    const chain = chainOf(node);
    for (let index = chain.length - 1; index >= 0; index -= 1) {
      const entry = chain[index]!;
      if ('declared' in entry) {
        if (kind === 'fields' && entry.declared.has(name)) return null;
        continue;
      }
      const own = entry.members;
      if (own[kind].has(name)) return receiver(innermost && !own.statics.has(name), own.name, name, node);
      // Perhaps inherited from a base class (the engine looks there), unless something around it
      // declares the name for certain. Constants and types keep their names.
      if (innermost && own.extendsSomething && !staticImports.has(name) && !wildcardStatics)
        if (kind === 'methods' || /^[a-z]/.test(name)) inherited = receiver(true, own.name, name, node);
      innermost = false;
    }
    return inherited;
  };
  /** Type names the file uses: those it neither declares nor imports are classes of its own package. */
  const typesUsed = new Set<string>();
  const names: JavaNames = {
    identifier: (node) => {
      const resolved = resolve(node, node.text, 'fields');
      if (resolved) return resolved;
      if (TYPE_NAME.test(node.text)) typesUsed.add(node.text);
      return { k: 'name', name: node.text, line: lineOf(node) };
    },
    ownCallee: (node, name) => resolve(node, name, 'methods') ?? { k: 'name', name, line: lineOf(node) },
  };

  const lower = lowerOnce((node, recurse) => lowerJavaNode(node, names, recurse));

  const facts: JavaFacts = {
    path,
    imports: [],
    functions: [],
    classes: [],
    assignments: [],
    calls: [],
    sites: [],
  };
  if (withSites) facts.lower = lower;
  const stats = new Map<number, BodyCount<Node> & { unitMs: number }>();
  const pending: { call: CallFact; node: Node; state: WalkState }[] = [];
  const waitsOnce: { call: CallFact; node: Node }[] = [];

  const open: { end: number; state: WalkState }[] = [];
  const enter = (node: Node, state: WalkState) => open.push({ end: node.endIndex, state });

  const assign = (
    target: AssignTarget,
    op: AssignmentFact['op'],
    value: Expr,
    state: WalkState,
    line: number,
  ) => facts.assignments.push({ target, op, value, fn: state.fn?.id, line });

  /** Where `x = …`, `this.x = …`, `obj.x = …` stores. */
  const targetOf = (left: Node, state: WalkState): AssignTarget | null => {
    if (left.type === 'identifier') {
      const meaning = names.identifier(left);
      if (meaning.k === 'name') return { kind: 'name', name: meaning.name };
      if (meaning.k === 'member' && meaning.object.k === 'self' && state.cls)
        return { kind: 'field', className: state.cls.name, name: meaning.name };
      if (meaning.k === 'member' && meaning.object.k === 'name')
        return { kind: 'field', className: meaning.object.name, name: meaning.name };
      return null;
    }
    if (left.type === 'field_access') {
      const object = field(left, 'object');
      const name = field(left, 'field')?.text ?? '';
      if (!object) return null;
      if ((object.type === 'this' || object.type === 'super') && state.cls)
        return { kind: 'field', className: state.cls.name, name };
      return { kind: 'member', object: lower(object), name };
    }
    return null;
  };

  const defineClass = (node: Node, state: WalkState, anonymousOf?: string) => {
    const name = anonymousOf ? `${anonymousOf}$${lineOf(node)}` : (field(node, 'name')?.text ?? '');
    const bases: string[] = anonymousOf ? [anonymousOf] : [];
    const superclass = field(node, 'superclass');
    if (superclass) bases.push(typeName(superclass.namedChild(0)));
    const interfaces =
      field(node, 'interfaces') ?? namedChildren(node).find((c) => c.type === 'extends_interfaces');
    if (interfaces)
      for (const type of descendantsOfTypes(
        interfaces,
        new Set(['type_identifier', 'scoped_type_identifier']),
      ))
        if (type.parent?.type !== 'scoped_type_identifier') bases.push(typeName(type));
    const cls: ClassFact = { name, line: lineOf(node), bases };
    const prefix = springPropertiesPrefix(modifiersOf(node));
    if (prefix !== null) cls.settings = { prefix, convention: 'spring' };
    if (node.type === 'record_declaration') {
      const components = field(node, 'parameters');
      cls.recordFields = components
        ? namedChildren(components)
            .map((c) => field(c, 'name')?.text ?? '')
            .filter((n) => n !== '')
        : [];
      // The accessors a record declares implicitly: `cfg.delay()` reads the component.
      for (const component of cls.recordFields) {
        const accessor = newFunction(
          facts.functions.length,
          component,
          { line: cls.line, endLine: cls.line },
          { className: name, isConstructor: false },
        );
        accessor.returns.push({ k: 'member', object: { k: 'self' }, name: component, line: cls.line });
        facts.functions.push(accessor);
      }
    }
    facts.classes.push(cls);
    const body = anonymousOf ? namedChildren(node).find((c) => c.type === 'class_body') : node;
    const chain = [...state.chain, { members: membersOf(node) }];
    // Classes are no boundary for a loop's header (`while (new Check() { … }.ok())`), functions are.
    if (body)
      enter(body, { cls, classBody: cls, repeats: false, test: state.test, chain, header: state.header });
  };

  const defineFunction = (node: Node, state: WalkState) => {
    const isLambda = node.type === 'lambda_expression';
    const isConstructor = node.type !== 'method_declaration' && !isLambda;
    const className = state.cls?.name;
    const name = isLambda ? '' : isConstructor ? (className ?? '') : (field(node, 'name')?.text ?? '');
    const fn = newFunction(
      facts.functions.length,
      name,
      { line: lineOf(node), endLine: node.endPosition.row + 1 },
      { className, parent: state.fn?.id, isConstructor },
    );
    facts.functions.push(fn);
    stats.set(fn.id, { calls: 0, control: false, sleep: null, unitMs: 1 });
    const parameters = field(node, 'parameters');
    if (parameters?.type === 'identifier') fn.params.push({ name: parameters.text });
    else if (parameters)
      for (const param of namedChildren(parameters)) {
        const fact = parameterOf(param);
        if (fact) fn.params.push(fact);
      }
    else if (node.type === 'compact_constructor_declaration' && state.cls?.recordFields)
      fn.params.push(...state.cls.recordFields.map((n) => ({ name: n })));
    const test = state.test || (!isLambda && hasAnnotation(node, TEST_ANNOTATION));
    const chain = [...state.chain, { declared: declared.get(node.id) ?? NONE }];
    const body = field(node, 'body');
    if (!body && node.type === 'method_declaration') fn.abstract = true;
    if (node.type === 'method_declaration' && hasAnnotation(node, OVERRIDE_ANNOTATION)) fn.overrides = true;
    if (isLambda && body && body.type !== 'block') {
      active = chain;
      fn.returns.push(lower(body));
      active = state.chain;
    }
    enter(node, { fn, cls: state.cls, repeats: false, test, chain });
  };

  const recordCall = (node: Node, state: WalkState) => {
    const line = lineOf(node);
    const parts = node.type === 'method_invocation' ? partsOf(node) : null;
    const args = parts ? parts.args : argumentsOf(node);
    let callee: Expr;
    let calleeName: string;
    let object: Node | null = null;
    if (node.type === 'explicit_constructor_invocation') {
      // `this(…)` delegates to another constructor, `super(…)` to the base class's.
      const which = field(node, 'constructor')?.type;
      calleeName = which === 'super' ? (state.cls?.bases[0] ?? '') : (state.cls?.name ?? '');
      callee = { k: 'name', name: calleeName, line };
    } else if (node.type === 'object_creation_expression') {
      calleeName = typeName(field(node, 'type'));
      callee = { k: 'name', name: calleeName, line };
    } else {
      object = parts!.object;
      calleeName = parts!.name;
      callee = calleeOf(node, names, lower, parts!);
    }
    if (state.fn) {
      const own = stats.get(state.fn.id)!;
      own.calls += 1;
      const name = parts?.name ?? '';
      if (object && RANDOM_METHOD.test(name)) state.fn.random = true;
      if (!own.sleep && parts) {
        const wait = builtinWait(parts);
        if (wait) {
          own.sleep = { argument: wait.argument };
          own.unitMs = wait.unitMs;
        }
      }
      if (node.type === 'method_invocation' && name === state.fn.name && (!object || object.type === 'this'))
        state.fn.recursive = true;
      if (node.type === 'method_invocation' && CONNECT_CALL.test(name)) state.fn.connects = true;
    }
    const call: CallFact = {
      callee,
      calleeName,
      args: args.map(lower),
      named: [],
      line,
      spread: false,
    };
    if (state.fn) call.fn = state.fn.id;
    facts.calls.push(call);
    if (!parts) return;
    const scheduled = scheduledRetry(node, parts);
    if (scheduled) {
      // The handler it runs in failed; the task starts the work again, plainly or through a callee that connects.
      if (!scheduled.via) call.retry = scheduled.frame;
      if (withSites && !state.test)
        facts.sites.push({
          call,
          anchor: snippet(node),
          args: args.map(snippet),
          named: [],
          direct: {
            delay: lower(scheduled.delay),
            argument: snippet(scheduled.delay),
            unitMs: scheduled.unitMs,
            confidence: 'high',
            byNameOnly: false,
          },
          ...(scheduled.via
            ? {
                restartVia: {
                  callees: scheduled.via.map((n) => calleeOf(n, names, lower)),
                  frame: scheduled.frame,
                },
              }
            : {}),
        });
      return;
    }
    const direct = directWait(parts);
    // Only calls the repository's own code can be behind (a method of the class, or of an object or
    // class named here), or waits the language knows.
    const own =
      !object ||
      object.type === 'this' ||
      object.type === 'super' ||
      (object.type === 'identifier' && callee.k === 'member' && callee.object.k !== 'name') ||
      (object.type === 'identifier' && TYPE_NAME.test(object.text));
    // A method of a local in a loop's condition may be the repository's too (`while (strategy.shouldRetry())`).
    if (!own && !direct && !inLoopHeader(node, state)) return;
    pending.push({ call, node, state });
    if (direct && !state.repeats && !state.fn?.recursive) waitsOnce.push({ call, node });
    // A call without arguments waits only through a pause helper's own delay (`pauseOf`).
    if (!withSites || state.test) return;
    facts.sites.push({
      call,
      anchor: snippet(node),
      args: args.map(snippet),
      named: [],
      direct: direct ?? undefined,
    });
  };

  const directWait = (parts: CallParts): CallSite['direct'] | null => {
    const builtin = builtinWait(parts);
    if (builtin)
      return {
        delay: lower(builtin.argument),
        argument: snippet(builtin.argument),
        unitMs: builtin.unitMs,
        confidence: 'high',
        byNameOnly: false,
      };
    const byName = sleepByName(parts);
    return byName
      ? {
          delay: lower(byName),
          argument: snippet(byName),
          unitMs: 1,
          confidence: 'medium',
          byNameOnly: true,
        }
      : null;
  };

  const visit = (node: Node, state: WalkState): void => {
    switch (node.type) {
      case 'package_declaration':
        facts.packageName = (node.namedChild(0)?.text ?? '').replace(/\s+/g, '');
        return;
      case 'import_declaration': {
        const line = importLine(node);
        // The platform's packages hold none of the repository's classes.
        if (!line.isStatic && line.wildcard && !PLATFORM_PACKAGE.test(line.path)) wildcardTypes = true;
        if (line.isStatic) {
          if (line.wildcard) wildcardStatics = true;
          else staticImports.add(line.path.slice(line.path.lastIndexOf('.') + 1));
        }
        facts.imports.push(importFact(line));
        return;
      }
      case 'class_declaration':
      case 'interface_declaration':
      case 'enum_declaration':
      case 'record_declaration':
        return defineClass(node, state);
      case 'method_declaration':
      case 'constructor_declaration':
      case 'compact_constructor_declaration':
      case 'lambda_expression':
        return defineFunction(node, state);
      case 'static_initializer':
        // Assignments in `static { … }` initialise the class's fields, as their declarations would.
        enter(node, { cls: state.cls, repeats: false, test: state.test, chain: state.chain });
        return;
      case 'field_declaration':
      case 'constant_declaration':
        if (state.classBody && !state.fn) declareFields(node, state.classBody, state);
        return;
      case 'local_variable_declaration':
        for (const declarator of namedChildren(node)) {
          if (declarator.type !== 'variable_declarator') continue;
          const name = field(declarator, 'name')?.text ?? '';
          const value = field(declarator, 'value');
          if (value) assign({ kind: 'name', name }, '=', lower(value), state, lineOf(declarator));
        }
        return;
      case 'assignment_expression': {
        const left = field(node, 'left');
        const right = field(node, 'right');
        const operator = field(node, 'operator')?.text ?? '=';
        const target = left ? targetOf(left, state) : null;
        if (target && right) assign(target, assignmentOp(operator), lower(right), state, lineOf(node));
        return;
      }
      case 'update_expression': {
        const operand = node.namedChild(0);
        const target = operand ? targetOf(operand, state) : null;
        if (target)
          assign(target, node.text.includes('--') ? '-=' : '+=', { k: 'num', value: 1 }, state, lineOf(node));
        return;
      }
      case 'enhanced_for_statement': {
        const name = field(node, 'name')?.text;
        const iterable = field(node, 'value');
        if (state.fn) stats.get(state.fn.id)!.control = true;
        if (name && iterable) {
          const each: Expr =
            iterable.type === 'array_creation_expression' || iterable.type === 'array_initializer'
              ? lower(iterable)
              : { k: 'todo', what: 'a loop value' };
          assign({ kind: 'name', name }, 'each', each, state, lineOf(node));
        }
        enter(node, { ...state, repeats: true, header: [] });
        return;
      }
      case 'for_statement':
      case 'while_statement':
      case 'do_statement': {
        if (state.fn) stats.get(state.fn.id)!.control = true;
        const header = [field(node, 'condition'), field(node, 'update')].flatMap((part) =>
          part ? [[part.startIndex, part.endIndex] as const] : [],
        );
        enter(node, { ...state, repeats: true, header });
        return;
      }
      case 'try_statement':
      case 'try_with_resources_statement':
        // A sleep helper restores the interrupt flag in a `catch (InterruptedException e)`: that is no retry of its own.
        if (state.fn && !onlyInterrupted(node)) stats.get(state.fn.id)!.control = true;
        return;
      case 'return_statement': {
        const value = node.namedChild(0);
        if (value && state.fn) state.fn.returns.push(lower(value));
        return;
      }
      case 'object_creation_expression': {
        recordCall(node, state);
        const body = namedChildren(node).find((c) => c.type === 'class_body');
        if (body) defineClass(node, state, typeName(field(node, 'type')));
        return;
      }
      case 'method_invocation':
      case 'explicit_constructor_invocation':
        recordCall(node, state);
        return;
    }
  };

  const declareFields = (node: Node, cls: ClassFact, state: WalkState) => {
    const modifiers = modifiersOf(node);
    const constant =
      node.type === 'constant_declaration' || (/\bstatic\b/.test(modifiers) && /\bfinal\b/.test(modifiers));
    const injected = propertyDefault(node);
    const topLevel = node.parent?.parent?.parent?.type === 'program';
    for (const declarator of namedChildren(node)) {
      if (declarator.type !== 'variable_declarator') continue;
      const name = field(declarator, 'name')?.text ?? '';
      const value = field(declarator, 'value');
      const expr = injected ?? (value ? lower(value) : null);
      if (!expr) continue;
      const line = lineOf(declarator);
      assign({ kind: 'field', className: cls.name, name }, '=', expr, state, line);
      // A constant of the file's class is also what a static import or `Config.NAME` of another file reads.
      if (constant && topLevel) assign({ kind: 'name', name }, '=', expr, state, line);
    }
    if (!/\bstatic\b/.test(modifiers)) lombokAccessors(node, cls, modifiers);
  };

  /**
   * Lombok writes getters and setters the code calls but does not show (`@Data`, `@Getter`,
   * `@Setter`, `@Value` on the class or the field): `getX()` reads the field, `setX(v)` stores `v`.
   */
  const lombokAccessors = (node: Node, cls: ClassFact, modifiers: string) => {
    const owner = node.parent?.parent;
    const classWide = owner
      ? owner.namedChild(0)?.type === 'modifiers'
        ? owner.namedChild(0)!.text
        : ''
      : '';
    const getters = LOMBOK_GETTER.test(classWide) || /@Getter\b/.test(modifiers);
    const setters =
      (/@(Data|Setter)\b/.test(classWide) || /@Setter\b/.test(modifiers)) && !/\bfinal\b/.test(modifiers);
    if (!getters && !setters) return;
    const declared = owner ? collectMembers(owner).methods : new Set<string>();
    const line = lineOf(node);
    for (const declarator of namedChildren(node)) {
      if (declarator.type !== 'variable_declarator') continue;
      const name = field(declarator, 'name')?.text ?? '';
      const suffix = name.charAt(0).toUpperCase() + name.slice(1);
      const accessor = (method: string) =>
        newFunction(
          facts.functions.length,
          method,
          { line, endLine: line },
          { className: cls.name, isConstructor: false },
        );
      if (getters && !declared.has(`get${suffix}`)) {
        const getter = accessor(`get${suffix}`);
        getter.returns.push({ k: 'member', object: { k: 'self' }, name, line });
        facts.functions.push(getter);
      }
      if (setters && !declared.has(`set${suffix}`)) {
        const setter = accessor(`set${suffix}`);
        setter.params.push({ name });
        facts.functions.push(setter);
        facts.assignments.push({
          target: { kind: 'field', className: cls.name, name },
          op: '=',
          value: { k: 'name', name, line },
          fn: setter.id,
          line,
        });
      }
    }
  };

  const top: WalkState = { repeats: false, test: false, chain: [] };
  for (const node of nodes) {
    while (open.length > 0 && node.startIndex >= open[open.length - 1]!.end) open.pop();
    const current = open[open.length - 1]?.state ?? top;
    active = current.chain;
    visit(node, current);
  }
  active = null;
  for (const fn of facts.functions) {
    const body = stats.get(fn.id);
    if (!body) continue;
    const paused = pausedArgument(fn, body, mentionsName);
    if (paused) fn.pauses = { delay: lower(paused), unitMs: body.unitMs };
    const index = sleptParameter(fn, body, mentionsName);
    if (index < 0) continue;
    const argument = lower(body.sleep!.argument!);
    fn.sleeps = { param: index, unitMs: body.unitMs * scaleOf(argument, fn.params[index]!.name) };
  }
  for (const fn of facts.functions) for (const param of fn.params) if (param.type) typesUsed.add(param.type);
  for (const call of facts.calls) if (call.callee.k === 'name') typesUsed.add(call.callee.name);
  facts.imports.push(...packageImports(facts, typesUsed, wildcardTypes));
  attachRetryFrames(pending, javaRetryContext, undefined, (node) =>
    countedFailure(node, JAVA_GRAMMAR.functions),
  );
  // A wait that does not repeat by a loop or recursion may still be followed by the failed call again.
  for (const { call, node } of waitsOnce) {
    const context = call.retry ? null : (reinvoked(node) ?? handlerRestart(node) ?? retryDecision(node));
    if (context) call.retry = { trigger: context.trigger, counters: [], evidence: context.evidence };
  }
  return facts;
}

/**
 * Java sees the classes of its own package without importing them: each type name the file uses and
 * neither declares nor imports is bound to the class of that name in the package (a file of the same
 * name, by Java's convention), so the engine opens that one file instead of every file of the
 * directory. Not when a wildcard import of a package other than the platform's could be where the
 * name comes from.
 */
function packageImports(facts: FileFacts, used: ReadonlySet<string>, wildcard: boolean): ImportFact[] {
  if (wildcard) return [];
  const known = new Set([...facts.classes.map((c) => c.name), ...facts.imports.map((i) => i.local)]);
  const prefix = facts.packageName ? `${facts.packageName}.` : '';
  return [...used]
    .filter((name) => TYPE_NAME.test(name) && !known.has(name) && !JAVA_LANG.has(name))
    .map((name) => ({ local: name, module: `${prefix}${name}` }));
}

/** Locals, parameters, catch and loop variables of each function (by node id): they hide fields. */
function declaredNames(nodes: readonly Node[]): Map<number, Set<string>> {
  const declared = new Map<number, Set<string>>();
  const open: { end: number; names: Set<string> }[] = [];
  const add = (name: string | undefined) => {
    if (name) open[open.length - 1]?.names.add(name);
  };
  for (const node of nodes) {
    while (open.length > 0 && node.startIndex >= open[open.length - 1]!.end) open.pop();
    const type = node.type;
    if (FUNCTIONS.has(type)) {
      const names = new Set<string>();
      declared.set(node.id, names);
      open.push({ end: node.endIndex, names });
      const parameters = field(node, 'parameters');
      if (parameters?.type === 'identifier') names.add(parameters.text);
      else if (parameters) for (const param of namedChildren(parameters)) names.add(parameterName(param));
      continue;
    }
    if (type === 'local_variable_declaration')
      for (const declarator of namedChildren(node))
        if (declarator.type === 'variable_declarator') add(field(declarator, 'name')?.text);
    if (type === 'catch_formal_parameter' || type === 'enhanced_for_statement')
      add(field(node, 'name')?.text);
  }
  return declared;
}

/** The class a class body belongs to, when `node` is one. */
function classOfBody(node: Node): Node | null {
  if (node.type !== 'class_body' && node.type !== 'interface_body' && node.type !== 'enum_body') return null;
  return node.parent;
}

function collectMembers(cls: Node): Members {
  const fields = new Set<string>();
  const methods = new Set<string>();
  const statics = new Set<string>();
  const anonymous = cls.type === 'object_creation_expression';
  const name = anonymous
    ? `${typeName(field(cls, 'type'))}$${lineOf(cls)}`
    : (field(cls, 'name')?.text ?? '');
  const body = anonymous ? namedChildren(cls).find((c) => c.type === 'class_body') : field(cls, 'body');
  if (cls.type === 'record_declaration') {
    const components = field(cls, 'parameters');
    for (const component of components ? namedChildren(components) : []) {
      const component_name = field(component, 'name')?.text;
      if (component_name) {
        fields.add(component_name);
        methods.add(component_name);
      }
    }
  }
  const isInterface = cls.type === 'interface_declaration';
  for (const member of body ? namedChildren(body) : []) {
    if (member.type === 'field_declaration' || member.type === 'constant_declaration') {
      const isStatic =
        isInterface ||
        member.type === 'constant_declaration' ||
        /\bstatic\b/.test(member.namedChild(0)?.text ?? '');
      for (const declarator of namedChildren(member)) {
        if (declarator.type !== 'variable_declarator') continue;
        const fieldName = field(declarator, 'name')?.text ?? '';
        fields.add(fieldName);
        if (isStatic) statics.add(fieldName);
      }
    } else if (member.type === 'method_declaration') methods.add(field(member, 'name')?.text ?? '');
    else if (member.type === 'enum_body_declarations') {
      for (const inner of namedChildren(member)) {
        if (inner.type === 'field_declaration')
          for (const declarator of namedChildren(inner))
            if (declarator.type === 'variable_declarator') fields.add(field(declarator, 'name')?.text ?? '');
        if (inner.type === 'method_declaration') methods.add(field(inner, 'name')?.text ?? '');
      }
    }
  }
  return {
    name,
    fields,
    methods,
    statics,
    extendsSomething: anonymous || field(cls, 'superclass') !== null,
  };
}

function receiver(innermost: boolean, className: string, name: string, node: Node): Expr {
  const line = lineOf(node);
  return {
    k: 'member',
    object: innermost ? { k: 'self' } : { k: 'name', name: className, line },
    name,
    line,
  };
}

/** `long delay`, `long... delays`, a lambda's inferred `x`. */
function parameterName(param: Node): string {
  if (param.type === 'identifier') return param.text;
  if (param.type === 'spread_parameter') {
    const declarator = namedChildren(param).find((c) => c.type === 'variable_declarator');
    return declarator ? (field(declarator, 'name')?.text ?? '') : '';
  }
  return field(param, 'name')?.text ?? '';
}

function parameterOf(param: Node): ParamFact | null {
  if (param.type === 'formal_parameter') {
    const fact: ParamFact = { name: parameterName(param) };
    const type = typeName(field(param, 'type'));
    if (type) fact.type = type;
    const injected = propertyDefault(param);
    if (injected) fact.default = injected;
    return fact;
  }
  if (param.type === 'spread_parameter' || param.type === 'identifier') return { name: parameterName(param) };
  return null;
}

function modifiersOf(node: Node): string {
  return namedChildren(node).find((c) => c.type === 'modifiers')?.text ?? '';
}

/** The `modifiers` of a declaration when they hold an annotation (the first child, when present). */
function annotations(node: Node): Node[] {
  const modifiers = node.namedChild(0);
  return modifiers?.type === 'modifiers' && modifiers.text.includes('@') ? namedChildren(modifiers) : [];
}

function hasAnnotation(node: Node, pattern: RegExp): boolean {
  return annotations(node).some((m) => pattern.test(m.text));
}

/**
 * `@Value("${retry.delay:5000}")` on a field or parameter: the key of Spring Boot's application
 * config, or else the code's own default (none: a value from outside).
 */
function propertyDefault(node: Node): Expr | null {
  for (const annotation of annotations(node)) {
    const text = PROPERTY_VALUE.exec(annotation.text.replace(/\s+/g, ' '))?.[1];
    const setting = text === undefined ? null : springPlaceholder(text, lineOf(annotation));
    if (setting) return setting;
  }
  return null;
}

/** A `try` whose only catch is `InterruptedException`: a sleep guarded against interruption, not a retry. */
function onlyInterrupted(node: Node): boolean {
  const catches = namedChildren(node).filter((c) => c.type === 'catch_clause');
  return (
    catches.length > 0 &&
    catches.every((c) => /^\s*catch\s*\(\s*(final\s+)?(java\.lang\.)?InterruptedException\b/.test(c.text))
  );
}

/** Whether a call is in the condition or update of the innermost loop around it in its function. */
function inLoopHeader(call: Node, state: WalkState): boolean {
  return !!state.header?.some(([start, end]) => call.startIndex >= start && call.endIndex <= end);
}

function mentionsName(node: Node, name: string): boolean {
  return some(node, (n) => n.type === 'identifier' && n.text === name);
}

/** How many units of the slept argument one unit of the parameter is (`Thread.sleep(seconds * 1000)`). */
function scaleOf(expr: Expr, param: string): number {
  const fold = (e: Expr): number | null => {
    switch (e.k) {
      case 'num':
        return e.value;
      case 'name':
        return e.name === param ? 1 : null;
      case 'binary': {
        const left = fold(e.left);
        const right = fold(e.right);
        if (left === null || right === null) return null;
        if (e.op === '*') return left * right;
        if (e.op === '/' && right !== 0) return left / right;
        return null;
      }
      default:
        return null;
    }
  };
  const factor = fold(expr);
  return factor !== null && factor > 0 && Number.isFinite(factor) ? factor : 1;
}

function lineOf(node: Node): number {
  return node.startPosition.row + 1;
}
