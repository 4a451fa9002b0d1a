import { describe, expect, it } from 'vitest';
import { DEFAULT_ANALYSIS_OPTIONS } from '../../src/analysis/analyzer.js';
import { RustAnalyzer } from '../../src/analysis/languages/rust.js';
import { reparseVerdict } from '../../src/analysis/languages/tree-sitter/runtime.js';
import { applyEdits } from '../../src/suggest/edits.js';
import { rewriteRust } from '../../src/suggest/rust/index.js';
import { STRATEGY_NAMES } from '../../src/simulate/strategies.js';
import type { RepoReader } from '../../src/platforms/types.js';
import { readProjectFacts } from '../../src/review/project-facts.js';
import { describePatchRows } from './patch-table.js';
import { loadTable } from './rule-table.js';

const TABLES = ['fixtures/rust/retries.yml', 'fixtures/rust/crates.yml'];
/** Every case runs in a crate that depends on rand, so sleeps can be patched. */
const CARGO = '[package]\nname = "client"\n\n[dependencies]\nrand = "0.8.5"\n';
const RAND_08 = { rand: { version: '0.8' } };
const DEFAULT_PATH = 'src/client.rs';

describe('rust patches', () => {
  for (const table of TABLES) {
    it(`every finding in ${table} gets a patch that re-parses, for every strategy`, async () => {
      let findings = 0;
      for (const testCase of loadTable(table).invalid ?? []) {
        const path = testCase.filename ?? DEFAULT_PATH;
        const files: Record<string, string> = {
          'Cargo.toml': CARGO,
          ...testCase.files,
          [path]: testCase.code,
        };
        const found = await new RustAnalyzer().analyze(
          { path, text: testCase.code },
          { read: async (p) => files[p] ?? null },
          DEFAULT_ANALYSIS_OPTIONS,
        );
        for (const finding of found) {
          findings += 1;
          for (const strategy of STRATEGY_NAMES) {
            const result = rewriteRust(finding, testCase.code, { strategy, capMs: 30_000, project: RAND_08 });
            expect(result.kind === 'plan' ? 'plan' : `${testCase.name}: ${result.reason}`).toBe('plan');
            if (result.kind !== 'plan') continue;
            const patched = applyEdits(testCase.code, result.edits);
            expect(patched).not.toBe(testCase.code);
            expect(reparseVerdict('rust', testCase.code, patched)).toEqual({ valid: true });
          }
        }
      }
      expect(findings).toBeGreaterThanOrEqual((loadTable(table).invalid ?? []).length);
    });
  }

  it('uses the rand 0.9 API when the crate has rand 0.9, and gives the change in words without rand', async () => {
    const code =
      'async fn f() {\n    loop {\n        match get().await {\n            Ok(v) => return v,\n            Err(_) => tokio::time::sleep(Duration::from_secs(1)).await,\n        }\n    }\n}\n';
    const manifests: Record<string, string> = {
      'Cargo.toml': '[dependencies]\nrand = { version = "0.9", features = ["small_rng"] }\n',
    };
    const [modern] = await new RustAnalyzer().analyze(
      { path: 'src/lib.rs', text: code },
      { read: async (p) => manifests[p] ?? null },
      DEFAULT_ANALYSIS_OPTIONS,
    );
    const reader: RepoReader = {
      read: async (p) => manifests[p] ?? null,
      list: async () => Object.keys(manifests),
    };
    const project = (await readProjectFacts(reader, 'head', [modern!])).get('src/lib.rs');
    expect(project).toEqual({ rand: { version: '0.9' }, rustCrate: { dir: '', roots: ['src/lib.rs'] } });
    const patch = rewriteRust(modern!, code, { strategy: 'full', capMs: 30_000, project });
    expect(applyEdits(code, patch.kind === 'plan' ? patch.edits : [])).toContain(
      'Duration::from_secs(1).mul_f64(rand::rng().random_range(0.0..=1.0))',
    );
    const [bare] = await new RustAnalyzer().analyze(
      { path: 'src/lib.rs', text: code },
      { read: async () => null },
      DEFAULT_ANALYSIS_OPTIONS,
    );
    const words = rewriteRust(bare!, code, { strategy: 'full', capMs: 30_000, project: {} });
    expect(words.kind).toBe('refusal');
    expect(words.description).toContain('Add `rand = "0.9"` to the `[dependencies]` of Cargo.toml');
  });

  it('draws with rand::random and imports nothing inside a macro_rules! body, whose paths resolve where it is invoked', async () => {
    const code = [
      'macro_rules! with_retries {',
      '    ($op:expr, $pause_ms:expr) => {{',
      '        loop {',
      '            match $op {',
      '                Ok(value) => break Ok(value),',
      '                Err(_) => std::thread::sleep(std::time::Duration::from_millis($pause_ms)),',
      '            }',
      '        }',
      '    }};',
      '}',
      '',
      'pub fn load(store: &Store) -> Result<Blob, Error> {',
      '    with_retries!(store.fetch("blob"), 250)',
      '}',
      '',
    ].join('\n');
    const [finding] = await new RustAnalyzer().analyze(
      { path: DEFAULT_PATH, text: code },
      { read: async () => null },
      DEFAULT_ANALYSIS_OPTIONS,
    );
    expect(finding?.delay).toMatchObject({ kind: 'fixed', ms: 250 });
    const patch = rewriteRust(finding!, code, { strategy: 'full', capMs: 30_000, project: RAND_08 });
    expect(patch.kind).toBe('plan');
    const patched = applyEdits(code, patch.kind === 'plan' ? patch.edits : []);
    expect(patched).toContain('std::time::Duration::from_millis($pause_ms).mul_f64(rand::random::<f64>())');
    expect(patched).not.toContain('use rand::Rng');
  });
});

describePatchRows('fixtures/rust/patches.yml', new RustAnalyzer(), DEFAULT_PATH);

describe("rust patches that reuse the repository's jitter helper", () => {
  const backoff = {
    name: 'backoff',
    path: 'src/retry.rs',
    takesAttempt: true,
    signature: { owner: '', params: [{ name: 'attempt', type: 'u32' }], returns: 'Duration' },
  };
  const crate = { ...RAND_08, rustCrate: { dir: '', roots: ['src/lib.rs'] } };

  async function findingIn(code: string, path = DEFAULT_PATH) {
    const files: Record<string, string> = { 'Cargo.toml': CARGO, [path]: code };
    const [finding] = await new RustAnalyzer().analyze(
      { path, text: code },
      { read: async (p) => files[p] ?? null },
      DEFAULT_ANALYSIS_OPTIONS,
    );
    return finding!;
  }

  function patched(code: string, result: ReturnType<typeof rewriteRust>): string {
    expect(result.kind).toBe('plan');
    return applyEdits(code, result.kind === 'plan' ? result.edits : []);
  }

  it("calls the crate's helper by its crate:: path with the loop's attempt", async () => {
    const code = [
      'pub fn fetch(client: &Client) -> Result<Body, Error> {',
      '    for attempt in 0..5 {',
      '        match client.get() {',
      '            Ok(body) => return Ok(body),',
      '            Err(_) => std::thread::sleep(Duration::from_secs(2)),',
      '        }',
      '    }',
      '    client.get()',
      '}',
      '',
    ].join('\n');
    const finding = await findingIn(code);
    const result = rewriteRust(finding, code, {
      strategy: 'full',
      capMs: 30_000,
      project: crate,
      repoHelper: backoff,
    });
    expect(patched(code, result)).toContain(
      'Err(_) => std::thread::sleep(crate::retry::backoff(attempt as u32)),',
    );
    // A helper that jitters a given Duration, in a public inline module of a nested module's file.
    const jitter = {
      name: 'jitter',
      path: 'src/client/spread.rs',
      takesAttempt: false,
      signature: {
        owner: 'full',
        params: [{ name: 'd', type: 'std::time::Duration' }],
        returns: 'std::time::Duration',
      },
    };
    const nested = await findingIn(code, 'src/client/fetch.rs');
    const jittered = rewriteRust(nested, code, {
      strategy: 'full',
      capMs: 30_000,
      project: crate,
      repoHelper: jitter,
    });
    expect(patched(code, jittered)).toContain(
      'std::thread::sleep(crate::client::spread::full::jitter(Duration::from_secs(2)))',
    );
  });

  it('brings a counter for a helper that takes the attempt when the loop counts nothing', async () => {
    const code = [
      'pub async fn consume(stream: &Stream) -> Record {',
      '    loop {',
      '        match stream.read().await {',
      '            Ok(record) => return record,',
      '            Err(_) => tokio::time::sleep(Duration::from_secs(5)).await,',
      '        }',
      '    }',
      '}',
      '',
    ].join('\n');
    const finding = await findingIn(code);
    expect(finding.attemptVar).toBeUndefined();
    const result = rewriteRust(finding, code, {
      strategy: 'full',
      capMs: 30_000,
      project: crate,
      repoHelper: backoff,
    });
    const after = patched(code, result);
    expect(after).toBe(
      [
        'pub async fn consume(stream: &Stream) -> Record {',
        '    let mut attempt = 0;',
        '    loop {',
        '        attempt += 1;',
        '        match stream.read().await {',
        '            Ok(record) => return record,',
        '            Err(_) => tokio::time::sleep(crate::retry::backoff(attempt)).await,',
        '        }',
        '    }',
        '}',
        '',
      ].join('\n'),
    );
    expect(reparseVerdict('rust', code, after)).toEqual({ valid: true });
  });

  it('calls a helper of a nested module that the file already names by its crate:: path', async () => {
    const code = [
      'use crate::util::backoff::Policy;',
      '',
      'fn f(policy: &Policy) {',
      '    loop {',
      '        match get(policy) {',
      '            Ok(v) => return v,',
      '            Err(_) => std::thread::sleep(Duration::from_secs(1)),',
      '        }',
      '    }',
      '}',
      '',
    ].join('\n');
    const finding = await findingIn(code);
    const repoHelper = { ...backoff, path: 'src/util/backoff.rs' };
    const result = rewriteRust(finding, code, {
      strategy: 'full',
      capMs: 30_000,
      project: crate,
      repoHelper,
    });
    expect(patched(code, result)).toContain('std::thread::sleep(crate::util::backoff::backoff(attempt))');
  });

  it('keeps its own patch when the crate cannot name the helper', async () => {
    const code =
      'fn f() {\n    loop {\n        match get() {\n            Ok(v) => return v,\n            Err(_) => std::thread::sleep(Duration::from_secs(1)),\n        }\n    }\n}\n';
    const finding = await findingIn(code);
    const own = patched(
      code,
      rewriteRust(finding, code, { strategy: 'full', capMs: 30_000, project: crate }),
    );
    const both = { ...RAND_08, rustCrate: { dir: '', roots: ['src/lib.rs', 'src/main.rs'] } };
    const nearMisses = [
      // `mod backoff;` in util/mod.rs may be private: only util and below would see it.
      { repoHelper: { ...backoff, path: 'src/util/backoff.rs' }, project: crate },
      // Another crate of the workspace.
      { repoHelper: { ...backoff, path: 'crates/retry/src/lib.rs' }, project: crate },
      // A binary of src/bin/ is a crate of its own.
      { repoHelper: { ...backoff, path: 'src/bin/worker.rs' }, project: crate },
      // A library and a binary: which of the two declares the module is not known.
      { repoHelper: backoff, project: both },
      // Milliseconds as a number: no Duration to sleep.
      { repoHelper: { ...backoff, signature: { ...backoff.signature, returns: 'u64' } }, project: crate },
    ];
    for (const { repoHelper, project } of nearMisses) {
      const result = rewriteRust(finding, code, { strategy: 'full', capMs: 30_000, project, repoHelper });
      expect(patched(code, result)).toBe(own);
    }
    expect(own).not.toContain('backoff');
  });
});
