import { defineConfig } from 'vitest/config';
import { SlowestFirstSequencer } from './test/support/slowest-first-sequencer.js';

/** Per-file limits of both projects (ms): real processes on a loaded 2-core machine. */
const TIMEOUTS = { testTimeout: 60_000, hookTimeout: 60_000 };

export default defineConfig({
  test: {
    // Integration tests start real processes and bind real ports; two workers match the 2-core machines.
    maxWorkers: 2,
    // Once per run (the root project's): the projects below do not repeat it.
    globalSetup: ['test/global-setup.ts'],
    // Slow files first, so that no worker ends the run alone on one (see the sequencer).
    sequence: { sequencer: SlowestFirstSequencer },
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts'],
          ...TIMEOUTS,
          // ~130 small files: a fresh process and module graph for each cost ~1.5 s per file, more
          // than most of them take to run. They share one process per worker instead; none mocks
          // a module or leaves a global changed (vi.stubEnv is undone in the same file).
          isolate: false,
        },
      },
      { test: { name: 'integration', include: ['test/**/*.test.ts'], ...TIMEOUTS } },
    ],
  },
});
