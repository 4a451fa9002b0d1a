import { describe, expect, it } from 'vitest';
import type { ModuleHost } from '../../../src/analysis/analyzer.js';
import { FlowEngine, newTrail, scopeIn } from '../../../src/analysis/flow/engine.js';
import type { Expr, FileFacts } from '../../../src/analysis/flow/ir.js';
import { Program, type FrontEnd } from '../../../src/analysis/flow/program.js';
import {
  exampleSiblings,
  lookupSetting,
  parseSettings,
  settingsPathCandidates,
  settingValue,
  springPropertiesPrefix,
} from '../../../src/analysis/flow/settings.js';

describe('config files', () => {
  it('reads .properties keys with their lines, comments and continuations', () => {
    const settings = parseSettings(
      'app.properties',
      '# comment\n! also a comment\nretry.delay = 2000\nretry.max: 3\nurl http://x\nlong = a \\\n  b\n',
    )!;
    expect(settings.get('retry.delay')).toEqual({ key: 'retry.delay', value: '2000', line: 3 });
    expect(settings.get('retry.max')?.value).toBe('3');
    expect(settings.get('url')?.value).toBe('http://x');
    expect(settings.get('long')).toMatchObject({ value: 'a b', line: 6 });
  });

  it('reads nested YAML and JSON (tab-indented too) as dotted keys with the line of the key', () => {
    const yaml = parseSettings(
      'application.yml',
      'app:\n  retry:\n    wait-duration: 500ms\n  hosts:\n    - a\n',
    )!;
    expect(yaml.get('app.retry.wait-duration')).toEqual({
      key: 'app.retry.wait-duration',
      value: '500ms',
      line: 3,
    });
    expect(yaml.get('app.hosts.0')?.value).toBe('a');
    const json = parseSettings('config.json', '{\n\t"a": {\n\t\t"reconnectTimeout": 15000\n\t}\n}\n')!;
    expect(json.get('a.reconnectTimeout')).toMatchObject({ value: 15000, line: 3 });
    expect(parseSettings('broken.json', '{ "a": ')).toBeNull();
  });

  it('matches Spring keys by relaxed binding only when asked', () => {
    const settings = parseSettings('application.yml', 'app:\n  retry-delay: 2s\n')!;
    expect(lookupSetting(settings, 'app.retryDelay', true)?.key).toBe('app.retry-delay');
    expect(lookupSetting(settings, 'app.retryDelay', false)).toBeNull();
  });

  it('reads numbers, duration strings and random values', () => {
    expect(settingValue(15000)).toEqual({ kind: 'number', value: 15000 });
    expect(settingValue(' 20000 ')).toEqual({ kind: 'number', value: 20000 });
    expect(settingValue('500ms')).toEqual({ kind: 'number', value: 500 });
    expect(settingValue('2s')).toEqual({ kind: 'number', value: 2000 });
    expect(settingValue('PT1M30S')).toEqual({ kind: 'number', value: 90000 });
    expect(settingValue('${random.int(500,2000)}')).toEqual({ kind: 'random' });
    expect(settingValue('${RETRY_DELAY}')).toEqual({ kind: 'other' });
    expect(settingValue('${RETRY_DELAY:750ms}')).toEqual({ kind: 'number', value: 750 });
    expect(settingValue('${RETRY_DELAY:${random.int(1,5)}}')).toEqual({ kind: 'other' });
    expect(settingValue(true)).toEqual({ kind: 'other' });
  });

  it('places a path literal by the code, the root and the classpath, and knows committed examples', () => {
    expect(settingsPathCandidates('src/config.ts', '../config.json')).toEqual(['config.json']);
    expect(settingsPathCandidates('app/Main.java', 'conf/a.properties')).toEqual([
      'app/conf/a.properties',
      'conf/a.properties',
    ]);
    expect(settingsPathCandidates('svc/src/main/java/a/B.java', '/app.properties')).toEqual([
      'svc/src/main/resources/app.properties',
    ]);
    expect(exampleSiblings('config.json')).toContain('config.example.json');
    expect(exampleSiblings('config.json')).toContain('config.json.dist');
  });

  it('finds the prefix of @ConfigurationProperties', () => {
    expect(springPropertiesPrefix('@ConfigurationProperties(prefix = "a.b")')).toBe('a.b');
    expect(springPropertiesPrefix('@Component @ConfigurationProperties("a.b")')).toBe('a.b');
    expect(springPropertiesPrefix('@Component')).toBeNull();
  });
});

describe('reading a key through the engine', () => {
  const files: Record<string, string> = {
    'src/Loader.java': 'class Loader { String path = "conf/app.properties"; }',
    'conf/app.properties': 'retry.delay = 2000\n',
  };
  const loader: FileFacts = {
    path: 'src/Loader.java',
    imports: [],
    functions: [],
    classes: [],
    assignments: [],
    calls: [],
  };

  function engine(): { engine: FlowEngine; reads: string[] } {
    const reads: string[] = [];
    const host: ModuleHost = {
      read: async (path) => {
        reads.push(path);
        return files[path] ?? null;
      },
      files: async () => Object.keys(files),
    };
    const front: FrontEnd = {
      extensions: ['.java'],
      extract: async () => loader,
      modulePaths: () => [],
      submodule: (m, n) => `${m}.${n}`,
    };
    return { engine: new FlowEngine(new Program(host, front)), reads };
  }

  it('reads the file only when a delay depends on one of its keys', async () => {
    const { engine: flow, reads } = engine();
    const trail = newTrail();
    expect(await flow.evaluate({ k: 'num', value: 5 }, scopeIn(loader, undefined), trail)).toEqual({
      kind: 'const',
      ms: 5,
    });
    expect(reads).toEqual([]);
    const read: Expr = { k: 'setting', key: 'retry.delay', line: 1 };
    expect(await flow.evaluate(read, scopeIn(loader, undefined), trail)).toEqual({ kind: 'const', ms: 2000 });
    expect(reads).toEqual(['src/Loader.java', 'conf/app.properties']);
    expect(trail.evidence).toEqual([
      '`retry.delay` = 2000 (conf/app.properties:1)',
      '`conf/app.properties` is named at src/Loader.java:1',
    ]);
  });

  it('falls back to the code default for a key no file sets, and is unknown without one', async () => {
    const { engine: flow } = engine();
    const missing: Expr = { k: 'setting', key: 'retry.other', line: 1 };
    expect((await flow.evaluate(missing, scopeIn(loader, undefined), newTrail())).kind).toBe('unknown');
    const withDefault: Expr = { ...missing, fallback: { k: 'num', value: 700 } };
    expect(await flow.evaluate(withDefault, scopeIn(loader, undefined), newTrail())).toEqual({
      kind: 'const',
      ms: 700,
    });
  });
});
