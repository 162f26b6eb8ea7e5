import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../store/index.js';
import { loadDriftHistory } from './drift-history.js';

const log = (entries: [reason: string, message: string, rollout?: string][]) => ({
  listEvents: async (): Promise<StoredEvent[]> =>
    entries.map(([reason, message, rollout], i) => ({
      id: i + 1,
      time: 100 + i,
      rollout: rollout ?? null,
      type: 'Warning',
      reason,
      message,
      actor: 'controller',
    })),
});

describe('loadDriftHistory', () => {
  it('should keep the last DriftDetected of each field that nothing closed, working directories included', async () => {
    const history = await loadDriftHistory(
      log([
        [
          'DriftDetected',
          'Rollout/planner: revisions[2].workingDirectory["prompt.txt"] (in /srv/planner): desired sha256:5271, observed sha256:1ef1 (driftPolicy alert: reported, not restored)',
        ],
        [
          'DriftDetected',
          'Rollout/planner: listeners[8080].weights: desired r1=50 r2=50, observed r1=100 (driftPolicy remediate: restoring)',
        ],
        [
          'DriftDetected',
          'Rollout/planner: listeners[8080].weights: desired r1=50 r2=50, observed r1=90 (driftPolicy alert: reported, not restored)',
        ],
        [
          'DriftDetected',
          "Rollout/web: replicaSets[r1].replicas: desired 1, observed 3 (the controller's next change to the Rollout replaces it)",
        ],
        [
          'DriftDetected',
          'FeatureFlags/search: spec.flags.search.state: desired ENABLED, observed DISABLED (driftPolicy alert: reported, not restored)',
        ],
        [
          'DriftResolved',
          'FeatureFlags/search: spec.flags.search.state no longer drifts (desired ENABLED; it was DISABLED)',
        ],
        [
          'DriftDetected',
          'Rollout/api: listeners[80].weights: desired r1=100, observed r2=100 (driftPolicy remediate: restoring)',
        ],
        [
          'DriftRemediated',
          'Rollout/api: driftPolicy remediate restored the desired state: listeners[80].weights back to r1=100 (was r2=100)',
        ],
        ['DriftDetected', '3 more drift change(s) in this pass: cutover drift lists the current drift'],
        [
          'DriftRemediationFailed',
          'Rollout/api: driftPolicy remediate could not restore the desired state: old',
        ],
        [
          'DriftRemediated',
          'Rollout/api: driftPolicy remediate restored the desired state: x back to 1 (was 2)',
        ],
        [
          'DriftRemediationFailed',
          'Rollout/planner: driftPolicy remediate could not restore the desired state: refused',
        ],
        [
          'WorkingDirectoryNotChecked',
          'The working directory of revision 4 (/srv/x) is not checked for drift: missing',
          'x',
        ],
      ]),
    );
    expect([...history.open.values()]).toEqual([
      {
        kind: 'Rollout',
        name: 'planner',
        field: 'revisions[2].workingDirectory["prompt.txt"]',
        desired: 'sha256:5271',
        observed: 'sha256:1ef1',
        since: 100,
      },
      {
        kind: 'Rollout',
        name: 'planner',
        field: 'listeners[8080].weights',
        desired: 'r1=50 r2=50',
        observed: 'r1=90',
        since: 102,
      },
    ]);
    expect([...history.open.keys()]).toEqual([
      'Rollout/planner\u0000revisions[2].workingDirectory["prompt.txt"]',
      'Rollout/planner\u0000listeners[8080].weights',
    ]);
    expect([...history.notChecked]).toEqual(['x/4']);
    expect([...history.failures]).toEqual([
      [
        'Rollout/planner',
        'Rollout/planner: driftPolicy remediate could not restore the desired state: refused',
      ],
    ]);
  });
});
