import { describe, expect, it } from 'vitest';
import type { ModuleHost } from '../../../src/analysis/analyzer.js';
import { joinValues } from '../../../src/analysis/delay.js';
import { FlowEngine, newTrail, scopeIn } from '../../../src/analysis/flow/engine.js';
import type { Expr, FileFacts, FunctionFact } from '../../../src/analysis/flow/ir.js';
import { newFunction } from '../../../src/analysis/flow/ir.js';
import { Program, type FrontEnd } from '../../../src/analysis/flow/program.js';

/**
 * How the engine follows a value, on facts written by hand (whatever the language): declared field
 * types, factories, parameters set again in their body, settings from outside next to a default,
 * and schedules with equal steps.
 */

function file(path: string, extra: Partial<FileFacts> = {}): FileFacts {
  return { path, imports: [], functions: [], classes: [], assignments: [], calls: [], ...extra };
}

function engineOver(files: FileFacts[], texts: Record<string, string> = {}): FlowEngine {
  const byPath = new Map(files.map((f) => [f.path, f]));
  const host: ModuleHost = {
    read: async (path) => texts[path] ?? (byPath.has(path) ? '' : null),
    list: async () => [],
    files: async () => [...byPath.keys()],
  };
  const front: FrontEnd = {
    extensions: ['.x'],
    extract: async (path) => byPath.get(path) ?? null,
    modulePaths: (_from, module) => [module],
    submodule: (module, name) => `${module}/${name}`,
  };
  return new FlowEngine(new Program(host, front));
}

const num = (value: number): Expr => ({ k: 'num', value });
const name = (n: string): Expr => ({ k: 'name', name: n, line: 1 });
const member = (object: Expr, n: string): Expr => ({ k: 'member', object, name: n, line: 1 });
const call = (callee: Expr, named: [string, Expr][] = [], args: Expr[] = []): Expr => ({
  k: 'call',
  callee,
  args,
  named,
  line: 1,
});

function fn(id: number, fnName: string, extra: Partial<FunctionFact> = {}): FunctionFact {
  return {
    ...newFunction(id, fnName, { line: id + 1, endLine: id + 1 }, { isConstructor: false }),
    ...extra,
  };
}

describe('value flow', () => {
  it('types a field by its declared type, and a value by what its factory returns', async () => {
    // type Config struct { Wait }; type Client struct { cfg Config }; func Defaults() Config { return Config{Wait: 5} }
    const defaults = fn(0, 'Defaults', { returns: [call(name('Config'), [['Wait', num(5)]])] });
    const run = fn(1, 'Run', { className: 'Client' });
    const facts = file('a.x', {
      classes: [
        { name: 'Config', line: 1, bases: [], recordFields: ['Wait'] },
        { name: 'Client', line: 2, bases: [], recordFields: ['cfg'], fieldTypes: { cfg: 'Config' } },
      ],
      functions: [defaults, run],
      calls: [
        {
          callee: name('Config'),
          calleeName: 'Config',
          args: [],
          named: [['Wait', num(5)]],
          line: 1,
          spread: false,
        },
      ],
      assignments: [
        { target: { kind: 'name', name: 'cfg' }, op: '=', value: call(name('Defaults')), fn: 0, line: 3 },
      ],
    });
    const engine = engineOver([facts]);
    const viaField = await engine.evaluate(
      member(member({ k: 'self' }, 'cfg'), 'Wait'),
      scopeIn(facts, 1),
      newTrail(),
    );
    expect(viaField).toEqual({ kind: 'const', ms: 5 });
    const viaFactory = await engine.evaluate(member(name('cfg'), 'Wait'), scopeIn(facts, 0), newTrail());
    expect(viaFactory).toEqual({ kind: 'const', ms: 5 });
  });

  it('follows a parameter that its body sets again', async () => {
    // func do(sleep) { sleep = sleep + rand(); wait(sleep) }
    const doFn = fn(0, 'do', { params: [{ name: 'sleep' }] });
    const facts = file('a.x', {
      functions: [doFn],
      assignments: [
        {
          target: { kind: 'name', name: 'sleep' },
          op: '=',
          value: { k: 'binary', op: '+', left: name('sleep'), right: { k: 'random', what: 'rand' } },
          fn: 0,
          line: 2,
        },
      ],
    });
    const value = await engineOver([facts]).evaluate(name('sleep'), scopeIn(facts, 0), newTrail());
    expect(value.kind).toBe('random');
  });

  it('judges a setting from outside the repository by the default next to it', () => {
    const env = { kind: 'unknown', reason: 'an environment variable', external: true } as const;
    expect(joinValues([env, { kind: 'const', ms: 3 }])).toEqual({ kind: 'const', ms: 3 });
    expect(joinValues([env]).kind).toBe('unknown');
    expect(joinValues([env, { kind: 'unknown', reason: 'unresolved' }, { kind: 'const', ms: 3 }]).kind).toBe(
      'unknown',
    );
  });

  it('reads a schedule of equal steps as linear', async () => {
    const facts = file('a.x');
    const table: Expr = { k: 'table', items: [num(1000), num(3000), num(5000)] };
    const value = await engineOver([facts]).evaluate(table, scopeIn(facts, undefined), newTrail());
    expect(value).toEqual({ kind: 'linear', baseMs: 1000 });
  });

  it('finds struct literals of a type in other files, and drops writes in functions nobody calls', async () => {
    const run = fn(0, 'Run', { className: 'Client' });
    const client = file('client.x', {
      classes: [{ name: 'Client', line: 1, bases: [], recordFields: ['wait'] }],
      functions: [run],
    });
    const option = fn(0, 'WithWait', { params: [{ name: 'd' }] });
    const setter = fn(1, '', { parent: 0, params: [{ name: 'c', type: 'Client' }] });
    const other = file('new.x', {
      functions: [option, setter],
      calls: [
        {
          callee: name('Client'),
          calleeName: 'Client',
          args: [],
          named: [['wait', num(2)]],
          line: 1,
          spread: false,
        },
      ],
      assignments: [
        {
          target: { kind: 'member', object: name('c'), name: 'wait' },
          op: '=',
          value: name('d'),
          fn: 1,
          line: 2,
        },
      ],
      imports: [{ local: '*', module: 'client.x' }],
    });
    const engine = engineOver([client, other], { 'new.x': 'c := &Client{wait: 2}\nc.wait = d\n' });
    const value = await engine.evaluate(member({ k: 'self' }, 'wait'), scopeIn(client, 0), newTrail());
    expect(value).toEqual({ kind: 'const', ms: 2 });
  });
});
