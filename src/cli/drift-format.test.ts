import { describe, expect, it } from 'vitest';
import { formatDrift } from './commands/drift-commands.js';

describe('formatDrift', () => {
  it('should say when no pass ran yet, and when there is no drift', () => {
    expect(formatDrift({ checkedAt: null, intervalSeconds: 30, items: [] })).toBe(
      'no drift pass yet (every 30 s)',
    );
    expect(formatDrift({ checkedAt: 0, intervalSeconds: 30, items: [] })).toBe(
      'no drift (last checked 1970-01-01T00:00:00.000Z, every 30 s)',
    );
  });

  it('should list each finding with both values and the policy', () => {
    const text = formatDrift({
      checkedAt: 60_000,
      intervalSeconds: 30,
      items: [
        {
          kind: 'Rollout',
          name: 'web',
          aspect: 'dataPlane',
          field: 'listeners[8080].weights',
          desired: 'r1=90 r2=10',
          observed: 'r1=100',
          policy: 'alert',
          remediable: true,
          since: 30_000,
        },
        {
          kind: 'Rollout',
          name: 'web',
          aspect: 'workingDirectory',
          field: 'revisions[2].workingDirectory["prompt.txt"]',
          desired: 'sha256:1111111111111111',
          observed: 'sha256:2222222222222222',
          policy: 'remediate',
          remediable: false,
          since: 30_000,
        },
      ],
    });
    const lines = text.split('\n').map((l) => l.split(/ {2,}/));
    expect(lines).toEqual([
      ['OBJECT', 'FIELD', 'DESIRED', 'OBSERVED', 'POLICY', 'SINCE'],
      [
        'Rollout/web',
        'listeners[8080].weights',
        'r1=90 r2=10',
        'r1=100',
        'alert',
        '1970-01-01T00:00:30.000Z',
      ],
      [
        'Rollout/web',
        'revisions[2].workingDirectory["prompt.txt"]',
        'sha256:1111111111111111',
        'sha256:2222222222222222',
        'remediate (not restorable)',
        '1970-01-01T00:00:30.000Z',
      ],
      [''],
      ['2 finding(s), last checked 1970-01-01T00:01:00.000Z, every 30 s'],
    ]);
  });
});
