import { defineConfig } from 'vitest/config';
import { SlowestFirstSequencer } from './test/support/slowest-first-sequencer.js';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests start real processes and bind real ports; two workers match the 2-core machines.
    maxWorkers: 2,
    globalSetup: ['test/global-setup.ts'],
    // Slow files first, so that no worker ends the run alone on one (see the sequencer).
    sequence: { sequencer: SlowestFirstSequencer },
  },
});
