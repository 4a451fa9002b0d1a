// npm links the bin on install, but a fresh `tsc` output is not executable; make it so for direct runs.
import { chmodSync } from 'node:fs';
chmodSync(new URL('../dist/cli.js', import.meta.url), 0o755);
