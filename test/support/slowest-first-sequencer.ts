import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Wall time of the slowest test files in a full run (s, maxWorkers 2, 2-core machine; the last three
 * from a run at load ~9, where the others took 1.0-1.3 times as long). Only their order matters: a
 * file missing here or off by a few seconds costs little, a slow file started last costs its whole
 * duration with the other worker idle.
 */
const KNOWN_SECONDS: Readonly<Record<string, number>> = {
  'test/release-rollbacks-strategies.test.ts': 84,
  'test/release-plan.test.ts': 82,
  'test/release-rollbacks.test.ts': 74,
  'test/feature-flags.test.ts': 72,
  'test/streams-promotion.test.ts': 70,
  'test/config-secrets.test.ts': 70,
  'test/prometheus-provider.test.ts': 60,
  'test/coordinator-handoff.test.ts': 53,
  'test/commands.test.ts': 51,
  'test/bad-input-corpus.test.ts': 78,
  'test/bad-input.test.ts': 63,
  // A unit file as slow as an integration one: without this line it would start among the last.
  'src/crew/backup/database-backup.test.ts': 55,
  // Issue 15 (alone, load 5-10): three server replicas and two failovers; a copy into PostgreSQL.
  'test/ha-control-plane.test.ts': 52,
  'test/store-copy.test.ts': 30,
};

/**
 * Longest-processing-time-first: the files of {@link KNOWN_SECONDS}, slowest first, then the other
 * integration files (`test/`, real processes), then the unit files (`src/`), so that the run ends on
 * short files and both workers finish together. Within a group vitest's own order is kept (its
 * cached durations where it has them; in a fresh clone, as in CI, it has none and goes by file size,
 * which would start a 70-s file among the last).
 */
export class SlowestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const weight = (spec: TestSpecification): number => {
      const file = relative(spec.project.config.root, spec.moduleId);
      return KNOWN_SECONDS[file] ?? (file.startsWith('test/') ? 1 : 0);
    };
    // Array.prototype.sort is stable: equal weights keep the base order.
    return (await super.sort(files)).sort((a, b) => weight(b) - weight(a));
  }
}
