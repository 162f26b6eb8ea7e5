import { spawnSync } from 'node:child_process';

/**
 * Integration tests spawn real processes (`bin/cutover.js`, the data plane) from `dist/`, so the
 * build must match the sources under test. Build once before any test file runs. Type errors are
 * the typecheck gate's job (`npm test` runs `tsc --noEmit` first); tsc still emits on them.
 */
export default function setup(): void {
  const result = spawnSync(
    process.execPath,
    ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'],
    {
      encoding: 'utf8',
    },
  );
  if (result.status !== 0 && !result.stdout.includes('error TS')) {
    throw new Error(`build failed: ${result.stderr || result.stdout}`);
  }
}
