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
});
