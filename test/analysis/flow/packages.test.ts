import { describe, expect, it } from 'vitest';
import type { ModuleHost } from '../../../src/analysis/analyzer.js';
import { FlowEngine, newTrail, scopeIn } from '../../../src/analysis/flow/engine.js';
import type { Expr, FileFacts } from '../../../src/analysis/flow/ir.js';
import { Program, type FrontEnd } from '../../../src/analysis/flow/program.js';

/**
 * The engine's package and type lookups, on facts written by hand: a front end here only hands
 * them out, so what is tested is the engine's resolution, whatever the language.
 */

function file(path: string, extra: Partial<FileFacts> = {}): FileFacts {
  return { path, imports: [], functions: [], classes: [], assignments: [], calls: [], ...extra };
}

/** A file's declarations written out as source would spell them. */
function declarations(facts: FileFacts): string {
  const lines = facts.classes.map((c) => `class ${c.name} {}`);
  for (const fn of facts.functions)
    lines.push(`func ${fn.className ? `(${fn.className}) ` : ''}${fn.name}() {}`);
  for (const write of facts.assignments) {
    const target = write.target;
    if (target.kind === 'name') lines.push(`var ${target.name} = 0`);
    else if (target.kind === 'field')
      lines.push(`func (${target.className}) set() { this.${target.name} = 0 }`);
  }
  return lines.join('\n');
}

function constant(name: string, value: number): FileFacts['assignments'][number] {
  return { target: { kind: 'name', name }, op: '=', value: { k: 'num', value }, line: 3 };
}

function repository(
  files: FileFacts[],
  front: Partial<FrontEnd> = {},
): { engine: FlowEngine; reads: string[] } {
  const byPath = new Map(files.map((f) => [f.path, f]));
  const reads: string[] = [];
  const host: ModuleHost = {
    read: async (path) => {
      reads.push(path);
      // The indexes read texts; each file's text is its declarations, as a source file would show them.
      const facts = byPath.get(path);
      return facts ? declarations(facts) : null;
    },
    list: async (dir) =>
      [...byPath.keys()].filter((p) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '.') === dir),
    files: async () => [...byPath.keys()],
  };
  const frontEnd: FrontEnd = {
    extensions: ['.x'],
    extract: async (path) => byPath.get(path) ?? null,
    modulePaths: (_from, module) => [module],
    submodule: (module, name) => `${module}/${name}`,
    ...front,
  };
  return { engine: new FlowEngine(new Program(host, frontEnd)), reads };
}

const name = (n: string): Expr => ({ k: 'name', name: n, line: 10 });

describe('package scope', () => {
  const mates = (_path: string, listing: readonly string[]) => listing.filter((p) => !p.endsWith('_test.x'));

  it('finds a constant declared in another file of the same package', async () => {
    const wait = file('client/retry.x', { packageName: 'client' });
    const config = file('client/config.x', {
      packageName: 'client',
      assignments: [constant('RetryWait', 5000)],
    });
    const { engine } = repository([wait, config], { packageMates: mates });
    const value = await engine.evaluate(name('RetryWait'), scopeIn(wait, undefined), newTrail());
    expect(value).toEqual({ kind: 'const', ms: 5000 });
  });

  it('finds a declaration in the file that asked the package first, when mates leave out the asking file', async () => {
    // Go's mates of a file are the other files of its directory: the first to ask must still be found
    // by the others.
    const others = (path: string, listing: readonly string[]) => listing.filter((p) => p !== path);
    const first = file('client/config.x', {
      packageName: 'client',
      assignments: [constant('RetryWait', 5000)],
      calls: [],
    });
    const second = file('client/retry.x', { packageName: 'client' });
    const { engine } = repository([first, second], { packageMates: others });
    expect(await engine.evaluate(name('Other'), scopeIn(first, undefined), newTrail())).toMatchObject({
      kind: 'unknown',
    });
    const value = await engine.evaluate(name('RetryWait'), scopeIn(second, undefined), newTrail());
    expect(value).toEqual({ kind: 'const', ms: 5000 });
  });

  it('parses only the files of a large package that spell the name looked up', async () => {
    const wait = file('client/retry.x', { packageName: 'client' });
    const others = Array.from({ length: 60 }, (_, i) =>
      file(`client/part${i}.x`, { packageName: 'client', assignments: [constant(`Other${i}`, i)] }),
    );
    const config = file('client/config.x', {
      packageName: 'client',
      assignments: [constant('RetryWait', 5000)],
    });
    const extracted: string[] = [];
    const byPath = new Map([wait, config, ...others].map((f) => [f.path, f]));
    const { engine } = repository([wait, config, ...others], {
      packageMates: mates,
      extract: async (path) => {
        extracted.push(path);
        return byPath.get(path) ?? null;
      },
    });
    const value = await engine.evaluate(name('RetryWait'), scopeIn(wait, undefined), newTrail());
    expect(value).toEqual({ kind: 'const', ms: 5000 });
    expect(extracted).toEqual(['client/config.x']);
  });

  it('ignores files of another package and files the language leaves out of the package', async () => {
    const wait = file('client/retry.x', { packageName: 'client' });
    const other = file('client/gen.x', {
      packageName: 'client_gen',
      assignments: [constant('RetryWait', 1)],
    });
    const test = file('client/retry_test.x', {
      packageName: 'client',
      assignments: [constant('RetryWait', 2)],
    });
    const { engine } = repository([wait, other, test], { packageMates: mates });
    const value = await engine.evaluate(name('RetryWait'), scopeIn(wait, undefined), newTrail());
    expect(value.kind).toBe('unknown');
  });

  it('has no package mates in a language without packages', async () => {
    const wait = file('client/retry.x');
    const config = file('client/config.x', { assignments: [constant('RetryWait', 5000)] });
    const { engine, reads } = repository([wait, config]);
    const value = await engine.evaluate(name('RetryWait'), scopeIn(wait, undefined), newTrail());
    expect(value.kind).toBe('unknown');
    expect(reads).toEqual([]);
  });

  it('resolves an import of a package directory through any of its files', async () => {
    const wait = file('cmd/main.x', {
      packageName: 'main',
      imports: [{ local: 'settings', module: 'internal/settings/' }],
    });
    const a = file('internal/settings/a.x', { packageName: 'settings' });
    const b = file('internal/settings/b.x', {
      packageName: 'settings',
      assignments: [constant('Backoff', 250)],
    });
    const { engine } = repository([wait, a, b], { packageMates: mates });
    const expr: Expr = { k: 'member', object: name('settings'), name: 'Backoff', line: 10 };
    const value = await engine.evaluate(expr, scopeIn(wait, undefined), newTrail());
    expect(value).toEqual({ kind: 'const', ms: 250 });
  });

  it('finds a method and the field writes of a type in another file of its package', async () => {
    const type = file('client/client.x', {
      packageName: 'client',
      classes: [{ name: 'Client', line: 1, bases: [] }],
    });
    const methods = file('client/connect.x', {
      packageName: 'client',
      functions: [
        {
          id: 0,
          name: 'init',
          className: 'Client',
          line: 1,
          endLine: 3,
          params: [],
          returns: [],
          random: false,
          isConstructor: true,
          recursive: false,
        },
      ],
      assignments: [
        {
          target: { kind: 'field', className: 'Client', name: 'pause' },
          op: '=',
          value: { k: 'num', value: 3000 },
          fn: 0,
          line: 2,
        },
      ],
    });
    const { engine } = repository([type, methods], { packageMates: mates });
    const expr: Expr = { k: 'member', object: { k: 'self' }, name: 'pause', line: 10 };
    const trail = newTrail();
    const value = await engine.evaluate(
      expr,
      { facts: type, className: 'Client', counters: new Set() },
      trail,
    );
    expect(value).toEqual({ kind: 'const', ms: 3000 });
    expect(trail.evidence.join('\n')).toContain('client/connect.x:2');
  });
});

describe('types found anywhere', () => {
  const options = file('src/Options/RetryOptions.x', {
    classes: [{ name: 'RetryOptions', line: 1, bases: [] }],
    assignments: [
      {
        target: { kind: 'field', className: 'RetryOptions', name: 'Delay' },
        op: '=',
        value: { k: 'num', value: 2000 },
        line: 2,
      },
    ],
  });
  const user = file('src/Client/Client.x', {
    functions: [
      {
        id: 0,
        name: 'Send',
        line: 1,
        endLine: 9,
        params: [{ name: 'options', type: 'RetryOptions' }],
        returns: [],
        random: false,
        isConstructor: false,
        recursive: false,
      },
    ],
  });
  const expr: Expr = { k: 'member', object: name('options'), name: 'Delay', line: 5 };

  it('finds a type by its declaration when the language says types are found anywhere', async () => {
    const { engine } = repository([user, options], { typesAnywhere: true });
    const value = await engine.evaluate(expr, scopeIn(user, 0), newTrail());
    expect(value).toEqual({ kind: 'const', ms: 2000 });
  });

  it('does not look for types outside scope otherwise', async () => {
    const { engine } = repository([user, options]);
    const value = await engine.evaluate(expr, scopeIn(user, 0), newTrail());
    expect(value.kind).toBe('unknown');
  });

  it('resolves a module given as a path suffix under an unknown source root', async () => {
    const importer = file('app/src/main/x/com/acme/Client.x', {
      imports: [{ local: 'RetryOptions', module: 'com.acme.opts.RetryOptions', name: 'RetryOptions' }],
      functions: user.functions,
    });
    const deep = { ...options, path: 'lib/src/main/x/com/acme/opts/RetryOptions.x' };
    const { engine } = repository([importer, deep], {
      modulePaths: (_from, module) => [`**/${module.replace(/\./g, '/')}.x`],
    });
    const value = await engine.evaluate(expr, scopeIn(importer, 0), newTrail());
    expect(value).toEqual({ kind: 'const', ms: 2000 });
  });
});
