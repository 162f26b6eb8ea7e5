import { describe, expect, it } from 'vitest';
import { initialStatus } from '../engine/index.js';
import { rolloutResource } from '../server/index.js';
import { formatRollout } from './format.js';

describe('formatRollout', () => {
  it('should list the replica failures of the stable and the canary revision with their reason', () => {
    const status = {
      ...initialStatus(0),
      phase: 'Degraded' as const,
      message:
        'CrashLoopBackOff: replica web-r2-0 of revision 2 exited with code 3, restarted 4 times without a ready period',
      currentRevision: 2,
      stableRevision: 1,
      replicaFailures: [
        {
          revision: 2,
          replica: 'web-r2-0',
          reason: 'CrashLoopBackOff' as const,
          exitCode: 3,
          restarts: 4,
          since: 0,
        },
        {
          revision: 1,
          replica: 'web-r1-1',
          reason: 'RunContainerError' as const,
          exitCode: 127,
          restarts: 0,
          message: 'spawn failed: ENOENT',
          since: 0,
        },
      ],
    };
    const rollout = rolloutResource({
      name: 'web',
      spec: { port: 8080, template: { command: ['x'] }, strategy: { canary: { steps: [] } } },
      status,
      revisions: [],
      targetRevision: 2,
      createdAt: 0,
    });
    const text = formatRollout({ rollout, replicaSets: [], listeners: [], revisions: [], analysisRuns: [] });
    expect(text).toContain(
      'Status:         ✖ Degraded (CrashLoopBackOff: replica web-r2-0 of revision 2 exited',
    );
    expect(text).toContain(
      [
        'REPLICA FAILURES',
        '✖ CrashLoopBackOff: replica web-r2-0 of revision 2 exited with code 3, restarted 4 times without a ready period',
        '✖ RunContainerError: replica web-r1-1 of revision 1 cannot start: spawn failed: ENOENT (exit code 127), restarted 0 times without a ready period',
      ].join('\n'),
    );
  });

  it('should show the flag ramps a canary update holds', () => {
    const steps = [{ setFlag: { flag: 'new-planner', variant: 'on', percentage: 25 } }];
    const rollout = rolloutResource({
      name: 'web',
      spec: { port: 8080, template: { command: ['x'] }, strategy: { canary: { steps } } },
      status: {
        ...initialStatus(0),
        currentRevision: 2,
        stableRevision: 1,
        currentStepIndex: 1,
        flagRamps: [steps[0]!.setFlag],
      },
      revisions: [],
      targetRevision: 2,
      createdAt: 0,
    });
    const text = formatRollout({ rollout, replicaSets: [], listeners: [], revisions: [], analysisRuns: [] });
    expect(text).toContain('  FlagRamp:     new-planner: on for 25% of targeting keys');
  });

  it('should show the active replica and the last handoff step by step', () => {
    const handoff = {
      export: { httpGet: { path: '/export' } },
      import: { httpGet: { path: '/import', method: 'POST' as const } },
      singleton: true,
    };
    const rollout = rolloutResource({
      name: 'coord',
      spec: { port: 8080, template: { command: ['x'] }, strategy: { blueGreen: {} }, handoff },
      status: {
        ...initialStatus(0),
        currentRevision: 2,
        stableRevision: 1,
        activeReplica: { id: 'coord-r1-0', revision: 1, startedAt: 0 },
      },
      revisions: [],
      targetRevision: 2,
      createdAt: 0,
    });
    const text = formatRollout({
      rollout,
      replicaSets: [],
      listeners: [],
      revisions: [],
      analysisRuns: [],
      handoffs: [
        {
          name: 'coord-r2-handoff',
          rollout: 'coord',
          kind: 'Update',
          fromReplica: 'coord-r1-0',
          fromRevision: 1,
          toRevision: 2,
          toReplica: 'coord-r2-0',
          stopFirst: false,
          handoff,
          phase: 'Failed',
          pending: ['import'],
          steps: [
            {
              name: 'export',
              replica: 'coord-r1-0',
              startedAt: 10,
              finishedAt: 14,
              ok: true,
              detail: 'HTTP 200, 9 bytes',
            },
            {
              name: 'import',
              replica: 'coord-r2-0',
              startedAt: 14,
              finishedAt: 1014,
              ok: false,
              detail: 'timed out after 1000 ms',
            },
          ],
          state: { id: 1, sha256: 'ab'.repeat(32), size: 9, exportedAt: 14 },
          message: 'import coord-r2-0 failed: timed out after 1000 ms',
          createdAt: 0,
        },
      ],
    });
    expect(text).toContain('Active:         coord-r1-0 (revision 1), the only one receiving requests');
    expect(text).toContain(
      [
        'HANDOFF',
        '✖ coord-r2-handoff  Update Failed  coord-r1-0 → coord-r2-0: import coord-r2-0 failed: timed out after 1000 ms',
        '    state: 9 bytes, sha256 abababababab',
        '    ✔ export   coord-r1-0          4 ms  HTTP 200, 9 bytes',
        '    ✖ import   coord-r2-0       1000 ms  timed out after 1000 ms',
      ].join('\n'),
    );
  });
});
