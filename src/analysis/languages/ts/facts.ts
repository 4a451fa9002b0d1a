import { ts } from 'ts-morph';
import type {
  AssignmentFact,
  AssignTarget,
  CallFact,
  ClassFact,
  Expr,
  FileFacts,
  FunctionFact,
  ImportFact,
} from '../../flow/ir.js';
import { newFunction } from '../../flow/ir.js';
import { attachRetryFrames, MAX_HELPER_CALLS, sleptParameter, type BodyCount } from '../../flow/waits.js';
import { containsRandom } from './random.js';
import { isObjectAssign, lowerTs, type LowerContext } from './lower.js';
import { retryContext } from './retry-context.js';
import { isLoop, mentionsName, unwrap } from './scope.js';
import type { Wait } from './waits.js';

/**
 * The TS/JS front end of the value-flow engine: one walk over a file's syntax tree (no type checker)
 * fills the facts (`flow/ir.ts`) — imports and re-exports (ESM and `require`), functions and arrow
 * functions with their parameters and defaults, classes with fields, initialisers and constructor
 * parameter properties, assignments (`this.x = …`, `exports.x = …`), calls with the retry context
 * around those that may be retried, and returns.
 *
 * Object literals become classes of their own whose fields are their properties (a `const CONFIG`
 * literal takes the constant's name, `export default {…}` the name `default`), so options and config
 * objects are fields the engine follows; spreads and `Object.assign` sources are its bases.
 */

export interface TsFacts extends FileFacts {
  /** Source offsets of each function (by id), to find the function around a node. */
  spans: { start: number; end: number }[];
  /**
   * Functions (by id) that are a wait and nothing more, whatever they wait (`wait(t)` sleeping 5000
   * regardless): their callers are the waits, so the wait inside is never judged through them.
   */
  waiters: Set<number>;
  /** The class whose `this` a function sees when it is no method (an arrow function inside one). */
  thisClass: Map<number, string>;
}

/** What the analyser of one file needs besides the facts: the fact of each call node. */
export interface TsWalk {
  facts: TsFacts;
  callOf: Map<ts.Node, CallFact>;
}

/** Deeper syntax is generated or hostile: the walk gives up (no facts) rather than overflow. */
const MAX_WALK_DEPTH = 1_000;
/** Callees that wait their argument: the body of a helper calling one of these is a sleep helper. */
const TIMER = /^(setTimeout|sleep|delay|wait)$/;
/** A destructured options parameter: a name no caller can pass by name. */
const NOTHING = ts.factory.createIdentifier('');
const OPTIONS_PARAM = (index: number) => `{options#${index}}`;

interface WalkState {
  fn?: FunctionFact;
  /** The class whose `this` is in scope (kept inside arrow functions of a method). */
  cls?: string;
  classBody?: ClassFact;
  repeats: boolean;
  /**
   * Inside an anonymous callback (`new Promise((r) => …)`, `.catch((e) => …)`): its code counts as the
   * enclosing function's (it runs on its behalf, with its `this`), but its returns are not that function's.
   */
  inline?: boolean;
}

const ASSIGN_OPS: Partial<Record<ts.SyntaxKind, AssignmentFact['op']>> = {
  [ts.SyntaxKind.EqualsToken]: '=',
  [ts.SyntaxKind.PlusEqualsToken]: '+=',
  [ts.SyntaxKind.MinusEqualsToken]: '-=',
  [ts.SyntaxKind.AsteriskEqualsToken]: '*=',
  [ts.SyntaxKind.SlashEqualsToken]: '/=',
  [ts.SyntaxKind.AsteriskAsteriskEqualsToken]: '**=',
  [ts.SyntaxKind.LessThanLessThanEqualsToken]: '<<=',
  [ts.SyntaxKind.QuestionQuestionEqualsToken]: '=',
  [ts.SyntaxKind.BarBarEqualsToken]: '=',
};

export function extractTsFacts(path: string, file: ts.SourceFile): TsWalk | null {
  const facts: TsFacts = {
    path,
    imports: [],
    functions: [],
    classes: [],
    assignments: [],
    calls: [],
    spans: [],
    waiters: new Set(),
    thisClass: new Map(),
  };
  const callOf = new Map<ts.Node, CallFact>();
  const stats = new Map<number, BodyCount<ts.Node>>();
  const pending: { call: CallFact; node: ts.CallExpression; state: WalkState }[] = [];
  const objectNames = new Map<ts.Node, string>();
  /** Functions with methods on their prototype (`Client.prototype.open = function …`): ES5 classes. */
  const prototypeClasses = new Set(
    [...file.text.matchAll(/\b([A-Za-z_$][\w$]*)\.prototype\.[A-Za-z_$][\w$]*\s*=(?!=)/g)].map((m) => m[1]!),
  );
  /** Functions whose body is one statement: a wait and nothing more, when that statement waits. */
  const singleStatement = new Set<number>();
  const line = (node: ts.Node) => file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1;
  const endLine = (node: ts.Node) => file.getLineAndCharacterOfPosition(node.getEnd()).line + 1;

  const context: LowerContext = { objectClass: (node) => objectNames.get(node) ?? null };
  const lower = (node: ts.Expression): Expr => lowerTs(node, file, context);

  /** An object literal (or `Object.assign(…)`) as a class: its properties are fields, its spreads bases. */
  const defineObject = (
    node: ts.ObjectLiteralExpression | ts.CallExpression,
    name: string,
    state: WalkState,
  ) => {
    if (objectNames.has(node)) return;
    objectNames.set(node, name);
    const cls: ClassFact = { name, line: line(node), bases: [], literal: { spreads: [] } };
    if (state.fn) cls.literal!.fn = state.fn.id;
    facts.classes.push(cls);
    const sources = ts.isObjectLiteralExpression(node) ? [node] : [];
    if (ts.isCallExpression(node)) {
      for (const arg of node.arguments) {
        const inner = unwrap(arg);
        if (ts.isObjectLiteralExpression(inner)) sources.push(inner);
        else cls.literal!.spreads.push(lower(inner));
      }
    }
    for (const object of sources) {
      for (const property of object.properties) {
        if (ts.isSpreadAssignment(property)) {
          cls.literal!.spreads.push(lower(property.expression));
          continue;
        }
        const key = property.name && propertyKey(property.name);
        if (key === null || key === undefined) continue;
        let value: Expr;
        if (ts.isPropertyAssignment(property)) {
          const initializer = unwrap(property.initializer);
          if (ts.isObjectLiteralExpression(initializer)) defineObject(initializer, `${name}:${key}`, state);
          value = lower(property.initializer);
        } else if (ts.isShorthandPropertyAssignment(property)) value = lower(property.name);
        else value = { k: 'todo', what: 'a method' };
        facts.assignments.push({
          target: { kind: 'field', className: name, name: key },
          op: '=',
          value,
          fn: state.fn?.id,
          line: line(property),
        });
      }
    }
  };

  const objectName = (node: ts.Node, state: WalkState, preferred?: string): string =>
    preferred && !state.fn ? preferred : `{}@${line(node)}:${node.getStart(file)}`;

  /** Records object literals in an expression before it is lowered (nested ones included). */
  const prepare = (node: ts.Expression, state: WalkState, preferred?: string) => {
    const inner = unwrap(node);
    if (ts.isObjectLiteralExpression(inner)) defineObject(inner, objectName(inner, state, preferred), state);
    else if (ts.isCallExpression(inner) && isObjectAssign(unwrap(inner.expression)))
      defineObject(inner, objectName(inner, state, preferred), state);
  };

  const assign = (
    target: AssignTarget,
    value: Expr,
    op: AssignmentFact['op'],
    state: WalkState,
    at: ts.Node,
  ) => facts.assignments.push({ target, op, value, fn: state.fn?.id, line: line(at) });

  /** Names declared in each function (`let`, `const`, `var`, parameters); undefined: the module. */
  const declared = new Map<number | undefined, Set<string>>();
  const declare = (name: string, state: WalkState) => {
    let names = declared.get(state.fn?.id);
    if (!names) declared.set(state.fn?.id, (names = new Set()));
    names.add(name);
  };
  /** `x = …` / `x++` of a variable: a fact of the function that declares it, or of the module. */
  const update = (name: string, value: Expr, op: AssignmentFact['op'], state: WalkState, at: ts.Node) => {
    let fn = state.fn;
    while (fn && !declared.get(fn.id)?.has(name))
      fn = fn.parent === undefined ? undefined : facts.functions[fn.parent];
    facts.assignments.push({ target: { kind: 'name', name }, op, value, fn: fn?.id, line: line(at) });
  };

  const defineFunction = (
    node: ts.SignatureDeclaration & ts.Node,
    name: string,
    state: WalkState,
    className?: string,
    constructorFunction = false,
  ): WalkState => {
    const fn = newFunction(
      facts.functions.length,
      name,
      { line: line(node), endLine: endLine(node) },
      {
        className,
        parent: state.fn?.id,
        isConstructor: constructorFunction || ts.isConstructorDeclaration(node),
      },
    );
    facts.functions.push(fn);
    facts.spans.push({ start: node.getStart(file), end: node.getEnd() });
    const body = (node as { body?: ts.Node }).body;
    if (body && (!ts.isBlock(body) || body.statements.length === 1)) singleStatement.add(fn.id);
    stats.set(fn.id, { calls: 0, control: false, sleep: null });
    const inner: WalkState = {
      fn,
      // Arrow functions keep the `this` of the code around them.
      cls: className ?? (ts.isArrowFunction(node) ? state.cls : undefined),
      repeats: false,
    };
    if (!className && inner.cls) facts.thisClass.set(fn.id, inner.cls);
    for (const [index, parameter] of node.parameters.entries()) {
      if (parameter.dotDotDotToken) break;
      if (ts.isIdentifier(parameter.name)) {
        declare(parameter.name.text, inner);
        if (parameter.initializer) prepare(parameter.initializer, inner);
        const type =
          parameter.type && ts.isTypeReferenceNode(parameter.type)
            ? parameter.type.typeName.getText(file)
            : undefined;
        fn.params.push({
          name: parameter.name.text,
          ...(parameter.initializer ? { default: lower(parameter.initializer) } : {}),
          ...(type ? { type } : {}),
        });
        // `constructor(private delay = 500)`: a parameter property is a field set from the parameter.
        if (className && ts.isConstructorDeclaration(node) && ts.getModifiers(parameter)?.length)
          assign(
            { kind: 'field', className, name: parameter.name.text },
            { k: 'name', name: parameter.name.text, line: line(parameter) },
            '=',
            inner,
            parameter,
          );
        continue;
      }
      // `{ delay = 1000, retries } = {}`: one positional options object, read property by property.
      const options = OPTIONS_PARAM(index);
      if (parameter.initializer) prepare(parameter.initializer, inner);
      fn.params.push({
        name: options,
        ...(parameter.initializer ? { default: lower(parameter.initializer) } : {}),
      });
      destructure(parameter.name, { k: 'name', name: options, line: line(parameter) }, inner, parameter);
    }
    return inner;
  };

  /** `const { a, b: c = 5 } = source`: each name is the property of the source, or its default. */
  const destructure = (pattern: ts.BindingName, source: Expr, state: WalkState, at: ts.Node) => {
    if (ts.isIdentifier(pattern)) {
      declare(pattern.text, state);
      assign({ kind: 'name', name: pattern.text }, source, '=', state, at);
      return;
    }
    if (!ts.isObjectBindingPattern(pattern)) {
      for (const element of pattern.elements)
        if (ts.isBindingElement(element))
          destructure(element.name, { k: 'todo', what: 'an array element' }, state, at);
      return;
    }
    for (const element of pattern.elements) {
      if (element.dotDotDotToken) continue;
      const key = element.propertyName
        ? propertyKey(element.propertyName)
        : ts.isIdentifier(element.name)
          ? element.name.text
          : null;
      const read: Expr =
        key === null
          ? { k: 'todo', what: 'a computed key' }
          : { k: 'member', object: source, name: key, line: line(element) };
      if (element.initializer) prepare(element.initializer, state);
      const value: Expr = element.initializer
        ? { k: 'either', options: [read, lower(element.initializer)] }
        : read;
      destructure(element.name, value, state, element);
    }
  };

  const recordImport = (fact: ImportFact) => facts.imports.push(fact);
  const isImportedMember = (callee: ts.Expression): boolean => {
    if (!ts.isPropertyAccessExpression(callee)) return false;
    const object = unwrap(callee.expression);
    return ts.isIdentifier(object) && facts.imports.some((i) => i.local === object.text);
  };

  /** `require('m')`, `require('m').x`, `await import('m')`: the module and member a value is. */
  const requireOf = (node: ts.Expression): { module: string; name?: string } | null => {
    const inner = unwrap(
      ts.isAwaitExpression(unwrap(node)) ? (unwrap(node) as ts.AwaitExpression).expression : node,
    );
    if (ts.isPropertyAccessExpression(inner)) {
      const base = requireOf(inner.expression);
      return base && base.name === undefined ? { module: base.module, name: inner.name.text } : null;
    }
    if (
      ts.isCallExpression(inner) &&
      (inner.expression.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(inner.expression) && inner.expression.text === 'require')) &&
      inner.arguments[0] &&
      ts.isStringLiteral(inner.arguments[0])
    )
      return { module: inner.arguments[0].text };
    return null;
  };

  const variable = (declaration: ts.VariableDeclaration, state: WalkState) => {
    const init = declaration.initializer;
    if (!init) return;
    const required = requireOf(init);
    if (required) {
      if (ts.isIdentifier(declaration.name)) {
        recordImport({
          local: declaration.name.text,
          module: required.module,
          ...(required.name ? { name: required.name } : {}),
        });
      } else if (ts.isObjectBindingPattern(declaration.name) && required.name === undefined) {
        for (const element of declaration.name.elements) {
          if (!ts.isIdentifier(element.name)) continue;
          const imported = element.propertyName ? propertyKey(element.propertyName) : element.name.text;
          if (imported) recordImport({ local: element.name.text, module: required.module, name: imported });
        }
      }
      return;
    }
    const value = unwrap(init);
    if (ts.isIdentifier(declaration.name) && (ts.isArrowFunction(value) || ts.isFunctionExpression(value)))
      return;
    if (ts.isIdentifier(declaration.name)) prepare(init, state, declaration.name.text);
    else prepare(init, state);
    destructure(declaration.name, lower(init), state, declaration);
  };

  const exportsTarget = (node: ts.Expression): 'module' | string | null => {
    const inner = unwrap(node);
    if (ts.isPropertyAccessExpression(inner)) {
      const object = unwrap(inner.expression);
      if (ts.isIdentifier(object) && object.text === 'module' && inner.name.text === 'exports')
        return 'module';
      if (ts.isIdentifier(object) && object.text === 'exports') return inner.name.text;
      if (exportsTarget(object) === 'module') return inner.name.text;
    }
    return null;
  };

  const binaryAssignment = (node: ts.BinaryExpression, state: WalkState) => {
    const op = ASSIGN_OPS[node.operatorToken.kind];
    if (!op) return;
    const left = unwrap(node.left);
    const exported = state.fn ? null : exportsTarget(left);
    if (exported === 'module') {
      // `module.exports = { RETRY_DELAY: 1000 }`: each property is a name of the module.
      const right = unwrap(node.right);
      if (ts.isObjectLiteralExpression(right)) {
        for (const property of right.properties) {
          if (!ts.isPropertyAssignment(property)) continue;
          const key = propertyKey(property.name);
          if (key) {
            prepare(property.initializer, state);
            assign({ kind: 'name', name: key }, lower(property.initializer), '=', state, property);
          }
        }
      }
      return;
    }
    prepare(node.right, state);
    const value = lower(node.right);
    if (exported) {
      assign({ kind: 'name', name: exported }, value, op, state, node);
      return;
    }
    if (ts.isIdentifier(left)) {
      update(left.text, value, op, state, node);
      return;
    }
    if (ts.isPropertyAccessExpression(left)) {
      const object = unwrap(left.expression);
      if (object.kind === ts.SyntaxKind.ThisKeyword && state.cls)
        assign({ kind: 'field', className: state.cls, name: left.name.text }, value, op, state, node);
      else assign({ kind: 'member', object: lower(object), name: left.name.text }, value, op, state, node);
    }
  };

  const recordCall = (node: ts.CallExpression | ts.NewExpression, state: WalkState) => {
    const callee = unwrap(node.expression);
    const calleeName = ts.isIdentifier(callee)
      ? callee.text
      : ts.isPropertyAccessExpression(callee)
        ? callee.name.text
        : '';
    const args = node.arguments ?? ts.factory.createNodeArray<ts.Expression>();
    for (const arg of args) prepare(arg, state);
    const fn = state.fn;
    if (fn && ts.isCallExpression(node)) {
      const own = stats.get(fn.id)!;
      own.calls += 1;
      if (containsRandomCall(node)) fn.random = true;
      if (!own.sleep && TIMER.test(calleeName)) {
        // `setTimeout(resolve, ms)` waits its second argument; `sleep(ms)`, `timers.setTimeout(ms)` the first.
        const delay = calleeName === 'setTimeout' && ts.isIdentifier(callee) ? args[1] : args[0];
        own.sleep = { argument: delay ?? null };
      }
      if (calleeName === fn.name && (ts.isIdentifier(callee) || isThisMember(callee))) fn.recursive = true;
    }
    const spread = args.some((a) => ts.isSpreadElement(a));
    const call: CallFact = {
      callee: lower(callee),
      calleeName,
      args: args.filter((a) => !ts.isSpreadElement(a)).map(lower),
      named: [],
      line: line(node),
      spread,
    };
    if (fn) call.fn = fn.id;
    facts.calls.push(call);
    callOf.set(node, call);
    if (
      ts.isCallExpression(node) &&
      (ts.isIdentifier(callee) || isThisMember(callee) || isImportedMember(callee))
    )
      // Only calls the repository's own code can be behind get a retry frame (a function, a method of
      // `this`, a function of an imported module): a frame is what a caller's wait is judged by.
      pending.push({ call, node, state });
  };

  const visit = (node: ts.Node, state: WalkState, depth: number): boolean => {
    if (depth > MAX_WALK_DEPTH) return false;
    let next = state;
    if (ts.isImportDeclaration(node)) {
      imports(node, recordImport);
      return true;
    }
    if (ts.isImportEqualsDeclaration(node)) {
      const reference = node.moduleReference;
      if (ts.isExternalModuleReference(reference) && ts.isStringLiteral(reference.expression))
        recordImport({ local: node.name.text, module: reference.expression.text });
      return true;
    }
    if (ts.isExportDeclaration(node)) {
      reexports(node, recordImport, (local, exported) =>
        assign(
          { kind: 'name', name: exported },
          { k: 'name', name: local, line: line(node) },
          '=',
          state,
          node,
        ),
      );
      return true;
    }
    if (ts.isExportAssignment(node)) {
      prepare(node.expression, state, 'default');
      assign({ kind: 'name', name: 'default' }, lower(node.expression), '=', state, node);
    } else if (ts.isEnumDeclaration(node)) {
      // `enum RetryDelay { Short = 500, Long = 4000 }`: an object whose members are its fields.
      const cls: ClassFact = { name: node.name.text, line: line(node), bases: [], literal: { spreads: [] } };
      facts.classes.push(cls);
      let next = 0;
      for (const member of node.members) {
        const key = propertyKey(member.name);
        const value: Expr | null = member.initializer
          ? lower(member.initializer)
          : next >= 0
            ? { k: 'num', value: next }
            : null;
        next = member.initializer
          ? ts.isNumericLiteral(member.initializer)
            ? Number(member.initializer.text) + 1
            : -1
          : next + 1;
        if (key && value)
          assign({ kind: 'field', className: cls.name, name: key }, value, '=', state, member);
      }
      return true;
    } else if (ts.isFunctionDeclaration(node) && node.body) {
      const name = node.name?.text ?? 'default';
      if (prototypeClasses.has(name)) {
        // `function Client(url, interval) { this.interval = interval }` with `Client.prototype.m = …`:
        // a class written the ES5 way, this function its constructor.
        facts.classes.push({ name, line: line(node), bases: [] });
        next = defineFunction(node, name, state, name, true);
      } else next = defineFunction(node, name, state);
    } else if (ts.isClassDeclaration(node) || ts.isClassExpression(node)) {
      const name =
        node.name?.text ??
        (ts.isVariableDeclaration(node.parent) && ts.isIdentifier(node.parent.name)
          ? node.parent.name.text
          : 'default');
      const bases: string[] = [];
      for (const clause of node.heritageClauses ?? [])
        if (clause.token === ts.SyntaxKind.ExtendsKeyword)
          for (const type of clause.types) bases.push(type.expression.getText(file));
      const cls: ClassFact = { name, line: line(node), bases };
      facts.classes.push(cls);
      next = { cls: name, classBody: cls, repeats: false };
    } else if (state.classBody && ts.isPropertyDeclaration(node)) {
      const key = propertyKey(node.name);
      const init = node.initializer && unwrap(node.initializer);
      if (key && init && (ts.isArrowFunction(init) || ts.isFunctionExpression(init))) {
        next = defineFunction(init, key, state, state.classBody.name);
        return walkFunctionBody(init, next, depth);
      }
      if (key && node.initializer) {
        prepare(node.initializer, state);
        assign(
          { kind: 'field', className: state.classBody.name, name: key },
          lower(node.initializer),
          '=',
          state,
          node,
        );
      }
    } else if (
      (ts.isMethodDeclaration(node) ||
        ts.isConstructorDeclaration(node) ||
        ts.isSetAccessorDeclaration(node) ||
        ts.isGetAccessorDeclaration(node)) &&
      node.body
    ) {
      const name = ts.isConstructorDeclaration(node) ? 'constructor' : (propertyKey(node.name) ?? '');
      // A method of an object literal belongs to that object, never to the module's functions.
      const owner = state.classBody?.name ?? objectNames.get(node.parent) ?? '{}';
      next = defineFunction(node, name, state, owner);
      if (ts.isGetAccessorDeclaration(node) && state.classBody) {
        // `get delay() { return 1000 }`: the field reads what the getter returns.
        const returned = singleReturn(node);
        if (returned)
          assign({ kind: 'field', className: state.classBody.name, name }, lower(returned), '=', next, node);
      }
    } else if (ts.isArrowFunction(node) || ts.isFunctionExpression(node)) {
      const name = functionNameOf(node);
      const owner = prototypeOwner(node);
      if (name === null) next = { ...state, inline: true };
      else
        return walkFunctionBody(
          node,
          defineFunction(node, name, state, owner && prototypeClasses.has(owner) ? owner : undefined),
          depth,
        );
    } else if (ts.isVariableDeclaration(node)) {
      variable(node, state);
    } else if (ts.isBinaryExpression(node)) {
      binaryAssignment(node, state);
    } else if (
      (ts.isPrefixUnaryExpression(node) || ts.isPostfixUnaryExpression(node)) &&
      (node.operator === ts.SyntaxKind.PlusPlusToken || node.operator === ts.SyntaxKind.MinusMinusToken)
    ) {
      // `attempt++` steps a counter by one.
      const operand = unwrap(node.operand);
      const op = node.operator === ts.SyntaxKind.PlusPlusToken ? '+=' : '-=';
      const one: Expr = { k: 'num', value: 1 };
      if (ts.isIdentifier(operand)) update(operand.text, one, op, state, node);
      else if (ts.isPropertyAccessExpression(operand)) {
        const object = unwrap(operand.expression);
        if (object.kind === ts.SyntaxKind.ThisKeyword && state.cls)
          assign({ kind: 'field', className: state.cls, name: operand.name.text }, one, op, state, node);
        else assign({ kind: 'member', object: lower(object), name: operand.name.text }, one, op, state, node);
      }
    } else if (ts.isCallExpression(node) || ts.isNewExpression(node)) {
      recordCall(node, state);
    } else if (ts.isReturnStatement(node)) {
      if (node.expression && state.fn && !state.inline) {
        prepare(node.expression, state);
        state.fn.returns.push(lower(node.expression));
      }
    } else if (isLoop(node)) {
      if (state.fn) stats.get(state.fn.id)!.control = true;
      next = { ...state, repeats: true };
      if (ts.isForOfStatement(node) && ts.isVariableDeclarationList(node.initializer)) {
        const variable = node.initializer.declarations[0];
        const list = unwrap(node.expression);
        if (variable && ts.isIdentifier(variable.name)) {
          declare(variable.name.text, state);
          assign(
            { kind: 'name', name: variable.name.text },
            ts.isArrayLiteralExpression(list) ? lower(list) : { k: 'todo', what: 'a loop value' },
            'each',
            state,
            node,
          );
        }
      }
    } else if (ts.isTryStatement(node)) {
      if (state.fn) stats.get(state.fn.id)!.control = true;
    }
    let ok = true;
    ts.forEachChild(node, (child) => {
      if (ok && !visit(child, next, depth + 1)) ok = false;
    });
    return ok;
  };

  /** A function's body: an expression body is what it returns. */
  const walkFunctionBody = (
    fn: ts.ArrowFunction | ts.FunctionExpression,
    state: WalkState,
    depth: number,
  ): boolean => {
    if (ts.isArrowFunction(fn) && !ts.isBlock(fn.body)) {
      prepare(fn.body, state);
      state.fn!.returns.push(lower(fn.body));
    }
    let ok = true;
    ts.forEachChild(fn, (child) => {
      if (ok && !visit(child, state, depth + 1)) ok = false;
    });
    return ok;
  };

  if (!visit(file, { repeats: false }, 0)) return null;
  for (const fn of facts.functions) {
    const body = stats.get(fn.id)!;
    const index = sleptParameter(fn, body, (node, name) => mentionsName(node, name));
    if (index >= 0) fn.sleeps = { param: index, unitMs: 1 };
    if (body.sleep && !body.control && body.calls <= MAX_HELPER_CALLS && singleStatement.has(fn.id))
      facts.waiters.add(fn.id);
  }
  attachRetryFrames(pending, (node) => {
    // The probe's delay mentions nothing: a call is never the wait at the top of a recursive retry.
    const probe: Wait = {
      call: 'sleep-helper',
      anchor: node,
      delay: NOTHING,
      jittered: false,
      confidence: 'high',
    };
    return retryContext(probe, file);
  });
  return { facts, callOf };
}

/** `Client.prototype.open = function …`: the class the function is a method of. */
function prototypeOwner(fn: ts.Node): string | null {
  const parent = fn.parent;
  if (!parent || !ts.isBinaryExpression(parent) || parent.right !== fn) return null;
  const left = unwrap(parent.left);
  if (!ts.isPropertyAccessExpression(left)) return null;
  const prototype = unwrap(left.expression);
  if (!ts.isPropertyAccessExpression(prototype) || prototype.name.text !== 'prototype') return null;
  const owner = unwrap(prototype.expression);
  return ts.isIdentifier(owner) ? owner.text : null;
}

/** A property's key as written (`delay`, `'delay'`, `#delay`), or null when computed. */
function propertyKey(name: ts.PropertyName | ts.BindingName): string | null {
  if (ts.isIdentifier(name) || ts.isPrivateIdentifier(name)) return name.text;
  if (ts.isStringLiteral(name) || ts.isNumericLiteral(name)) return name.text;
  return null;
}

function isThisMember(node: ts.Expression): boolean {
  return ts.isPropertyAccessExpression(node) && unwrap(node.expression).kind === ts.SyntaxKind.ThisKeyword;
}

function containsRandomCall(node: ts.CallExpression): boolean {
  return (
    containsRandom(node.expression) ||
    (ts.isCallExpression(node) &&
      containsRandom(node) &&
      !node.arguments.some((a) => ts.isArrowFunction(a) || ts.isFunctionExpression(a)))
  );
}

/** The name an anonymous function is known by: the variable, property or field it is assigned to. */
function functionNameOf(fn: ts.Node): string | null {
  if ((ts.isFunctionExpression(fn) || ts.isFunctionDeclaration(fn)) && fn.name) return fn.name.text;
  const parent = fn.parent;
  if (parent && ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  if (parent && ts.isPropertyAssignment(parent)) return propertyKey(parent.name);
  if (parent && ts.isBinaryExpression(parent) && parent.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
    const left = unwrap(parent.left);
    if (ts.isPropertyAccessExpression(left)) return left.name.text;
    if (ts.isIdentifier(left)) return left.text;
  }
  return null;
}

function singleReturn(fn: ts.FunctionLikeDeclaration): ts.Expression | null {
  if (!fn.body || !ts.isBlock(fn.body) || fn.body.statements.length !== 1) return null;
  const only = fn.body.statements[0]!;
  return ts.isReturnStatement(only) && only.expression ? only.expression : null;
}

function imports(node: ts.ImportDeclaration, record: (fact: ImportFact) => void): void {
  if (!ts.isStringLiteral(node.moduleSpecifier)) return;
  const module = node.moduleSpecifier.text;
  const clause = node.importClause;
  if (!clause) return;
  if (clause.name) record({ local: clause.name.text, module, name: 'default' });
  const bindings = clause.namedBindings;
  if (!bindings) return;
  if (ts.isNamespaceImport(bindings)) record({ local: bindings.name.text, module });
  else
    for (const element of bindings.elements)
      record({ local: element.name.text, module, name: (element.propertyName ?? element.name).text });
}

/** `export * from 'm'` pulls every name of `m` in; `export { a as b } from 'm'` binds one. */
function reexports(
  node: ts.ExportDeclaration,
  record: (fact: ImportFact) => void,
  alias: (local: string, exported: string) => void,
): void {
  const module =
    node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier) ? node.moduleSpecifier.text : null;
  const clause = node.exportClause;
  if (!clause) {
    if (module) record({ local: '*', module });
    return;
  }
  if (!ts.isNamedExports(clause)) return;
  for (const element of clause.elements) {
    const local = (element.propertyName ?? element.name).text;
    if (module) record({ local: element.name.text, module, name: local });
    else if (local !== element.name.text) alias(local, element.name.text);
  }
}
