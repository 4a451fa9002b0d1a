import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_SCHEMA_PATH, configJsonSchema } from '../src/config-schema.js';
import { DEFAULT_CONFIG, parseConfig } from '../src/config.js';

describe('parseConfig keeps every valid option next to a bad one', () => {
  it('keeps fail_on when another option has a typo in its value', () => {
    const { config, errors } = parseConfig('fail_on: warning\nstrategy: sideways\n', '.jitterbot.yml');
    expect(config.fail_on).toBe('warning');
    expect(config.strategy).toBe(DEFAULT_CONFIG.strategy);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^\.jitterbot\.yml: strategy: /);
  });

  it('keeps fail_on next to an unknown option, and names the option once', () => {
    const { config, errors } = parseConfig('fail_on: note\nfail_onn: warning\nclients: 40\n', 'x.yml');
    expect(config).toMatchObject({ fail_on: 'note', clients: 40 });
    expect(errors).toEqual(['x.yml: fail_onn: unknown option']);
  });

  it('drops only the bad key of a nested option', () => {
    const text = 'rules:\n  fixed-delay-retry: error\n  unjittered-backoff: off\nfail_on: warning\n';
    const { config, errors } = parseConfig(text, 'x.yml');
    expect(config.rules).toEqual({
      'fixed-delay-retry': 'warning',
      'unjittered-backoff': 'off',
      'clamped-jitter': 'warning',
      'clamped-server-hint': 'note',
      'negligible-jitter': 'note',
      'fake-jitter': 'warning',
    });
    expect(config.fail_on).toBe('warning');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^x\.yml: rules\.fixed-delay-retry: /);
  });

  it('falls back for a whole list when one element is bad', () => {
    const { config, errors } = parseConfig('paths:\n  ignore: [docs/**, 7]\nmin_delay_ms: 50\n', 'x.yml');
    expect(config.paths.ignore).toEqual([]);
    expect(config.min_delay_ms).toBe(50);
    expect(errors).toEqual([expect.stringMatching(/^x\.yml: paths\.ignore\.1: /)]);
  });

  it('reports a file that is not a mapping, with the defaults', () => {
    expect(parseConfig('- fail_on\n', 'x.yml')).toEqual({
      config: DEFAULT_CONFIG,
      errors: ['x.yml: (top level): expected a mapping of options'],
    });
  });
});

describe('the published JSON Schema', () => {
  it('is the one generated from the zod schema (run `npm run schema` after changing options)', () => {
    const committed = JSON.parse(readFileSync(CONFIG_SCHEMA_PATH, 'utf8')) as unknown;
    expect(committed).toEqual(configJsonSchema());
  });

  it('describes every option the docs list', () => {
    const schema = configJsonSchema() as { properties: Record<string, { description?: string }> };
    for (const [name, property] of Object.entries(schema.properties)) {
      if (name === 'rules' || name === 'paths') continue;
      expect(property.description, name).toBeTruthy();
    }
  });
});

describe('spread rules and the negligible-jitter threshold', () => {
  it('default to their levels and 10 %, and take overrides', () => {
    expect(parseConfig('', 'x.yml').config.rules).toMatchObject({
      'clamped-jitter': 'warning',
      'clamped-server-hint': 'note',
      'negligible-jitter': 'note',
    });
    expect(parseConfig('', 'x.yml').config.negligible_jitter).toBe(0.1);
    const { config, errors } = parseConfig(
      'rules:\n  clamped-jitter: off\nnegligible_jitter: 0.25\n',
      'x.yml',
    );
    expect(errors).toEqual([]);
    expect(config.rules['clamped-jitter']).toBe('off');
    expect(config.negligible_jitter).toBe(0.25);
  });

  it('rejects a threshold above the whole wait', () => {
    const { config, errors } = parseConfig('negligible_jitter: 2\n', 'x.yml');
    expect(config.negligible_jitter).toBe(0.1);
    expect(errors).toEqual([expect.stringMatching(/^x\.yml: negligible_jitter: /)]);
  });
});
