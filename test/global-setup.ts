import { spawnSync } from 'node:child_process';

/**
 * Integration tests spawn real processes (`bin/cutover.js`, the data plane) from `dist/`, and the
 * browser tests load the dashboard from it, so the build must match the sources under test. Build
 * once (server and dashboard) before any test file runs. Type errors are
 * the typecheck gate's job (`npm test` runs `tsc --noEmit` first); tsc still emits on them.
 * Incremental: a run of one test file rebuilds only what changed (~7 s instead of ~20 s on a loaded
 * 2-core machine). tsc keeps its state in `dist/tsconfig.build.tsbuildinfo`, so removing `dist/`
 * forces a full build; the package leaves it out (`files` in package.json).
 */
export default function setup(): void {
  const result = spawnSync(
    process.execPath,
    [
      'node_modules/typescript/bin/tsc',
      '-p',
      'tsconfig.build.json',
      '--incremental',
      '--tsBuildInfoFile',
      'dist/tsconfig.build.tsbuildinfo',
    ],
    {
      encoding: 'utf8',
    },
  );
  if (result.status !== 0 && !result.stdout.includes('error TS')) {
    throw new Error(`build failed: ${result.stderr || result.stdout}`);
  }
  // The dashboard's assets too: the browser tests load them from the server under test.
  const ui = spawnSync(
    process.execPath,
    ['node_modules/vite/bin/vite.js', 'build', '--config', 'ui/vite.config.ts', '--logLevel', 'error'],
    { encoding: 'utf8' },
  );
  if (ui.status !== 0) throw new Error(`dashboard build failed: ${ui.stderr || ui.stdout}`);
}
