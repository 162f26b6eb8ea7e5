import { describe, expect, it } from 'vitest';
import { incidentRecordMarkdown } from './incident-record-markdown.js';
import type { IncidentRecord } from './types.js';

const T0 = Date.UTC(2025, 0, 1, 10);

const incident: IncidentRecord = {
  name: 'shop-1.4.0-incident-1',
  release: 'shop-1.4.0',
  environment: 'production',
  services: ['shop'],
  rollbackType: 'traffic',
  reason: 'error rate 0.21 > 0.05 for 120 s',
  trigger: 'errorRate',
  triggerValues: { errorRate: 0.21, threshold: 0.05, window: '120 s', p99Ms: null },
  actor: 'controller',
  rolledBackTo: 'shop revision 1',
  detectedAt: T0,
  resolvedAt: T0 + 95_000,
  status: 'ROLLED_BACK',
  timeline: [
    { at: T0, stage: 'ROLLBACK', reason: 'RollbackStarted', actor: 'controller', message: 'to revision 1' },
  ],
  escalated: false,
};

describe('incidentRecordMarkdown', () => {
  it('should render the key facts, trigger values, timeline and status', () => {
    const lines = incidentRecordMarkdown(incident).split('\n');
    expect(lines[0]).toBe('# Incident record: shop-1.4.0-incident-1');
    expect(lines).toContain('- **Reason:** error rate 0.21 > 0.05 for 120 s');
    expect(lines).toContain('- **Rolled back to:** shop revision 1');
    expect(lines).toContain('- **Detected:** 2025-01-01T10:00:00.000Z');
    expect(lines).toContain('- **Resolved:** 2025-01-01T10:01:35.000Z');
    expect(lines).toContain('- **Time to restore:** 1m 35s');
    expect(lines).toContain('- **Escalated:** no');
    expect(lines).toContain('| errorRate | 0.21 |');
    expect(lines).toContain('| p99Ms | n/a |');
    expect(lines).toContain(
      '| 2025-01-01T10:00:00.000Z | ROLLBACK | RollbackStarted | controller | to revision 1 |',
    );
    expect(lines.filter((l) => l.startsWith('## '))).toEqual([
      '## Summary',
      '## Trigger values',
      '## Timeline',
      '## Status',
    ]);
    expect(lines).toContain('**ROLLED_BACK**');
  });

  it('should show an unresolved, escalated incident whose rollback failed', () => {
    const lines = incidentRecordMarkdown({
      ...incident,
      resolvedAt: null,
      status: 'FAILED',
      escalated: true,
    }).split('\n');
    expect(lines).toContain('- **Resolved:** _not resolved_');
    expect(lines).toContain('- **Time to restore:** _not restored_');
    expect(lines).toContain('- **Escalated:** yes');
    expect(lines).toContain('**FAILED** (the rollback failed)');
  });
});
