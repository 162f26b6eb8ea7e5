import { describe, expect, it } from 'vitest';
import { computeDora } from '../records/index.js';
import { formatAnalytics } from './format-analytics.js';

describe('formatAnalytics', () => {
  it('should print the DORA keys rounded and each service against the 99.5% target', () => {
    const base = {
      version: '1',
      type: 'standard',
      team: '',
      summary: '',
      changes: [],
      createdAt: 0,
      finishedAt: 0,
      timeline: [],
      issues: [],
      metrics: {},
      incidents: [],
      deployStartedAt: 1000,
      environment: 'production',
    };
    const report = computeDora(
      [
        { ...base, release: 'a', services: ['api'], status: 'SUCCESS' as const },
        { ...base, release: 'b', services: ['web'], status: 'ROLLBACK' as const },
      ],
      [],
      { from: 0, to: 86_400_000 },
    );
    const lines = formatAnalytics(report).split('\n');
    expect(lines).toContain('Change failure rate:    50.0% (1 of 2)');
    expect(lines).toContain('SUCCESS RATE (target 99.5%)');
    expect(lines.find((l) => l.startsWith('api'))).toMatch(/^api\s+production\s+1\s+1\s+100\.0%\s+met$/);
    expect(lines.find((l) => l.startsWith('web'))).toMatch(/^web\s+production\s+1\s+0\s+0\.0%\s+MISSED$/);
  });
});
