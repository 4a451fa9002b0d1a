import { scanCommand, type ScanFlags } from '../../src/commands/scan.js';

export const DEFAULT_FLAGS: ScanFlags = {
  format: 'json',
  failOn: 'warning',
  includeUncommitted: false,
  includeTests: false,
  includeVendored: false,
  includeGenerated: false,
  color: false,
  verbose: false,
};

/** Runs `jitterbot scan` in-process with captured output. */
export async function scan(
  path: string,
  flags: Partial<ScanFlags> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await scanCommand(
    path,
    { ...DEFAULT_FLAGS, ...flags },
    { version: '0.0.0-test' },
    {
      stdout: { write: (text: string) => (stdout += text), isTTY: false },
      stderr: { write: (text: string) => (stderr += text), isTTY: false },
    },
  );
  return { code, stdout, stderr };
}
