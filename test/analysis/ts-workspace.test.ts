import { describe, expect, it } from 'vitest';
import { packagePaths, readManifest, splitSpecifier } from '../../src/analysis/languages/ts/workspace.js';

describe('workspace packages', () => {
  it.each([
    ['@shop/shared', { name: '@shop/shared', subpath: '' }],
    ['@shop/shared/lib/retry', { name: '@shop/shared', subpath: 'lib/retry' }],
    ['shared', { name: 'shared', subpath: '' }],
    ['shared/retry', { name: 'shared', subpath: 'retry' }],
  ])('splits %s into the package and its subpath', (specifier, expected) => {
    expect(splitSpecifier(specifier)).toEqual(expected);
  });

  it('reads no package from a manifest without a name, or one that is not JSON', () => {
    expect(readManifest('packages/a/package.json', '{ "private": true }')).toBeNull();
    expect(readManifest('packages/a/package.json', '{ nope')).toBeNull();
    expect(readManifest('packages/a/package.json', '[1, 2]')).toBeNull();
  });

  it('maps build output named by main and types back to the source under src/', () => {
    const pkg = readManifest(
      'packages/shared/package.json',
      '{ "name": "@shop/shared", "main": "dist/index.js", "types": "dist/index.d.ts" }',
    )!;
    expect(packagePaths(pkg, '').slice(0, 2)).toEqual([
      'packages/shared/src/index',
      'packages/shared/dist/index',
    ]);
    expect(packagePaths(pkg, 'retry')).toEqual(['packages/shared/src/retry', 'packages/shared/retry']);
  });

  it('follows an exports map: exact subpaths, conditions (types first), and patterns', () => {
    const pkg = readManifest(
      'libs/core/package.json',
      JSON.stringify({
        name: '@acme/core',
        exports: {
          '.': { import: './esm/index.js', types: './src/index.ts' },
          './retry': './src/retry.mjs',
          './settings/*': './src/settings/*.ts',
        },
      }),
    )!;
    expect(packagePaths(pkg, '')[0]).toBe('libs/core/src/index.ts');
    expect(packagePaths(pkg, 'retry')[0]).toBe('libs/core/src/retry.mjs');
    expect(packagePaths(pkg, 'settings/http')[0]).toBe('libs/core/src/settings/http.ts');
  });

  it('reads a package at the repository root with the root as its directory', () => {
    const pkg = readManifest('package.json', '{ "name": "app", "exports": "./lib/index.js" }')!;
    expect(pkg.dir).toBe('');
    expect(packagePaths(pkg, '').slice(0, 2)).toEqual(['src/index.js', 'lib/index.js']);
  });
});
