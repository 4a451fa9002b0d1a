import { describe, expect, it } from 'vitest';
import { localReplacements, workspaceUses } from '../../src/analysis/languages/go/modules.js';

describe('Go workspaces and local replacements', () => {
  it('reads the directories of a go.work, in blocks and on single lines, without comments', () => {
    const work =
      'go 1.22\n\nuse (\n\t./libs/shared // the shared code\n\t"./services/billing"\n)\nuse ./tools\n';
    expect(workspaceUses(work)).toEqual(['./libs/shared', './services/billing', './tools']);
    expect(workspaceUses('go 1.22\n')).toEqual([]);
  });

  it('keeps only replacements that point at a local directory', () => {
    const mod = [
      'module example.com/worker',
      'replace example.com/platform v1.4.0 => ./third/platform',
      'replace (',
      '\texample.com/shared => ../shared',
      '\texample.com/fork => github.com/someone/fork v1.0.0',
      ')',
      'replace example.com/root => ..',
    ].join('\n');
    expect(localReplacements(mod)).toEqual([
      { module: 'example.com/platform', path: './third/platform' },
      { module: 'example.com/shared', path: '../shared' },
      { module: 'example.com/root', path: '..' },
    ]);
  });
});
