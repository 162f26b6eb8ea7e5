import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Time the tests of the slowest files took in a full run (s, from `--reporter=json`: first test's
 * start to last test's end, so without beforeAll / afterAll; maxWorkers 2, 2-core machine at load
 * ~5, another suite running beside). Only their order matters: a file missing here or off by a few
 * seconds costs little, a slow file started last costs its whole duration with the other worker
 * idle. Refresh from a JSON report when a file moves by more than ~10 s.
 */
const KNOWN_SECONDS: Readonly<Record<string, number>> = {
  'test/release-rollbacks.test.ts': 82,
  'test/release-gates.test.ts': 74,
  'test/release-plan.test.ts': 74,
  'test/streams-promotion.test.ts': 74,
  'test/config-secrets.test.ts': 66,
  'test/release-rollbacks-strategies.test.ts': 65,
  'test/feature-flags.test.ts': 63,
  'test/commands.test.ts': 60,
  'test/coordinator-handoff.test.ts': 54,
  'test/prometheus-provider.test.ts': 53,
  'test/secret-masking.test.ts': 50,
  'test/store-copy.test.ts': 49,
  // Issue 15: three server replicas and two failovers; a copy into PostgreSQL.
  'test/ha-control-plane.test.ts': 46,
  'test/kubernetes-controller.test.ts': 45,
  'test/releases-dashboard.test.ts': 40,
  'test/crash-loop.test.ts': 39,
  'test/control-plane-restart.test.ts': 38,
  'test/canary.test.ts': 36,
  'test/bad-input.test.ts': 35,
  'test/bad-input-corpus.test.ts': 32,
  'test/kubernetes-platform.test.ts': 32,
  'test/analysis-abort.test.ts': 31,
  'test/rolling-recreate.test.ts': 31,
  'test/blue-green.test.ts': 29,
  // Plus a browser's start in beforeAll.
  'test/dashboard.test.ts': 29,
  'test/release-workflow.test.ts': 29,
  'test/drift.test.ts': 28,
  'test/coordinator-strategies.test.ts': 26,
  'test/demo.test.ts': 26,
  'test/analysis-visibility.test.ts': 25,
  'test/api-auth.test.ts': 24,
  'test/dataplane-crash.test.ts': 23,
  'test/stateful-rolling.test.ts': 21,
  'test/model-update-rule.test.ts': 20,
  'test/streams-cut.test.ts': 20,
  // Unit files as slow as integration ones: without these lines they would start among the last.
  'src/traffic/session-affinity.test.ts': 17,
  'src/crew/backup/database-backup.test.ts': 15,
  'src/platform/local/lifecycle.test.ts': 11,
  'src/platform/local/local-platform.test.ts': 11,
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
