import { describe, expect, it } from 'vitest';
import { skipReasonForContent, skipReasonForPath } from '../../src/analysis/file-filter.js';
import { DEFAULT_CONFIG } from '../../src/config.js';
import { filterOptionsFrom } from '../../src/review/analyze.js';

const filter = filterOptionsFrom(DEFAULT_CONFIG);

describe('test support outside test folders', () => {
  it.each([
    'sdk/testutil/retry/retry.go',
    'pkg/test-utils/wait.ts',
    'testing/test-common/src/main/kotlin/net/corda/testing/common/internal/Eventually.kt',
    'crates/backend/src/traits/testing.rs',
    'internal/mocks/client.go',
    'app/fake_queue.py',
    'src/integration/java/io/pinecone/helpers/RetryAssert.java',
    'service/src/it/java/com/acme/ClientIT.java',
    'service/src/functionalTest/kotlin/Checks.kt',
    'DeftPack.TestAutomation.Asserting/Retry.cs',
    'lib/rspec/wait/handler.rb',
    'src/Acme/Mocks/Client.cs',
    'src/Acme/FakeClock.cs',
  ])('skips %s by its path', (path) => {
    expect(skipReasonForPath(path, filter)).toBe('test file');
  });

  it.each([
    'src/retry/backoff.ts',
    'internal/client/dial.go',
    'app/services/testimonials.rb',
    'lib/Telemetry/Retry.cs',
  ])('keeps product code such as %s', (path) => {
    expect(skipReasonForPath(path, filter)).toBeNull();
  });

  it.each([
    [
      "import { expect, type Page } from '@playwright/test';\nexport async function clickRetry(page: Page) {}",
    ],
    ['import pytest\n\ndef eventually(check):\n    pass\n'],
    ['import static org.junit.jupiter.api.Assertions.assertTrue;\nclass RetryAssert {}'],
    ['using NUnit.Framework;\nnamespace Asserting { }'],
    ['package retry\n\nimport (\n\t"fmt"\n\t"testing"\n\t"time"\n)\n'],
    ["require 'rspec/core'\nmodule Wait; end"],
  ])('skips a file that imports a test framework', (text) => {
    expect(skipReasonForContent(text, filter)).toBe('test support (imports a test framework)');
  });

  it.each([
    [
      'await expect(async () => {\n  await page.getByText("Login").click();\n}).toPass({ interval: 1000 });\n',
    ],
    ['export async function seeded() {\n  expect(await db.count()).not.toBe(0);\n}\n'],
  ])('skips a file that asserts with a test runner without importing it', (text) => {
    expect(skipReasonForContent(text, filter)).toBe('test support (asserts with a test runner)');
  });

  it('keeps product code whose expect is something else', () => {
    expect(skipReasonForContent('const res = await request(app).get("/").expect(200);\n', filter)).toBeNull();
    expect(
      skipReasonForContent(
        'expect(value, "a positive number");\nreturn String(value).toUpperCase();\n',
        filter,
      ),
    ).toBeNull();
  });

  it('analyses such a file when tests are included, and keeps files that only mention a framework', () => {
    const text = 'import pytest\n';
    expect(skipReasonForContent(text, { ...filter, includeTests: true })).toBeNull();
    expect(skipReasonForContent('from unittest.mock import patch\nimport time\n', filter)).toBeNull();
    expect(skipReasonForContent("import { defineConfig } from 'vitest/config';\n", filter)).toBeNull();
    expect(skipReasonForContent('// retries like mocha does\nexport const x = 1;\n', filter)).toBeNull();
  });
});
