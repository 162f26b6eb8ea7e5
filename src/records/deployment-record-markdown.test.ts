import { describe, expect, it } from 'vitest';
import { deploymentRecordMarkdown } from './deployment-record-markdown.js';
import type { DeploymentRecord } from './types.js';

const T0 = Date.UTC(2025, 0, 1, 10);

const record: DeploymentRecord = {
  release: 'shop-1.4.0',
  version: '1.4.0',
  type: 'standard',
  services: ['shop', 'cart'],
  environment: 'production',
  team: 'payments',
  people: {
    deployer: 'user:dana',
    approvers: ['user:mia (manager)'],
    qa: ['agent:pre-deployment-validator (VALIDATE: 2/2 suite(s) passed)'],
  },
  summary: 'Adds gift cards.',
  changes: [
    { id: 'abc123', description: 'gift card checkout', committedAt: Date.UTC(2024, 11, 31, 9) },
    { description: 'copy fixes' },
  ],
  createdAt: T0 - 3_600_000,
  deployStartedAt: T0,
  finishedAt: T0 + 754_000,
  timeline: [
    {
      at: T0 + 60_000,
      stage: 'DEPLOY',
      reason: 'StageSucceeded',
      actor: 'controller',
      message: 'canary at 100%',
    },
    { at: T0, stage: 'DEPLOY', reason: 'StageStarted', message: 'weights a|b' },
  ],
  issues: ['p99 420 ms > 400 ms for 60 s'],
  metrics: {
    errorRate: 0.012345,
    p99Ms: 420.4,
    requests: 1000,
    baselineP99Ms: 350.2,
    cpuRatio: 0.23456,
    note: null,
  },
  status: 'ROLLBACK',
  incidents: ['shop-1.4.0-incident-1'],
};

describe('deploymentRecordMarkdown', () => {
  const md = deploymentRecordMarkdown(record);
  const lines = md.split('\n');

  it('should have the sections in order', () => {
    const headings = lines.filter((l) => l.startsWith('#'));
    expect(headings).toEqual([
      '# Deployment record: shop-1.4.0',
      '## Summary',
      '## Team',
      '## Changes',
      '## Timeline',
      '## Issues',
      '## Metrics',
      '## Incidents',
      '## Final status',
    ]);
  });

  it('should list the summary facts with ISO UTC times and the deploy duration', () => {
    expect(lines).toContain('Adds gift cards.');
    expect(lines).toContain('- **Version:** 1.4.0');
    expect(lines).toContain('- **Services:** shop, cart');
    expect(lines).toContain('- **Deploy started:** 2025-01-01T10:00:00.000Z');
    expect(lines).toContain('- **Deploy duration:** 12m 34s');
    expect(lines).toContain('payments');
  });

  it("should name the deployer, the approver and QA in Team (seed 004's template)", () => {
    expect(lines).toContain('- **Deployer:** user:dana');
    expect(lines).toContain('- **Approver:** user:mia (manager)');
    expect(lines).toContain('- **QA:** agent:pre-deployment-validator (VALIDATE: 2/2 suite(s) passed)');
  });

  it('should list changes with id and commit time when known', () => {
    expect(lines).toContain('- `abc123` gift card checkout (committed 2024-12-31T09:00:00.000Z)');
    expect(lines).toContain('- copy fixes');
  });

  it('should render the timeline as a table sorted by time with escaped cells', () => {
    const start = lines.indexOf('| Time (UTC) | Stage | Reason | Actor | Message |');
    expect(start).toBeGreaterThan(0);
    expect(lines[start + 1]).toBe('|---|---|---|---|---|');
    expect(lines[start + 2]).toBe('| 2025-01-01T10:00:00.000Z | DEPLOY | StageStarted | - | weights a\\|b |');
    expect(lines[start + 3]).toBe(
      '| 2025-01-01T10:01:00.000Z | DEPLOY | StageSucceeded | controller | canary at 100% |',
    );
  });

  it('should render issues, metrics (n/a for null), incidents and the final status', () => {
    expect(lines).toContain('- p99 420 ms > 400 ms for 60 s');
    expect(lines).toContain('| errorRate | 1.23 % |');
    expect(lines).toContain('| p99Ms | 420 ms |');
    expect(lines).toContain('| baselineP99Ms | 350 ms |');
    expect(lines).toContain('| cpuRatio | 23.5 % |');
    expect(lines).toContain('| note | n/a |');
    // (420.4 - 350.2) / 350.2
    expect(lines).toContain('| latency change (p99 vs baseline) | +20.0 % |');
    expect(lines).toContain('- shop-1.4.0-incident-1');
    expect(lines.slice(lines.indexOf('## Final status'))).toContain('**ROLLBACK**');
  });

  it('should say so when a section is empty', () => {
    const empty = deploymentRecordMarkdown({
      ...record,
      team: '',
      changes: [],
      timeline: [],
      issues: [],
      metrics: {},
      incidents: [],
      status: 'SUCCESS',
    }).split('\n');
    const lineAfter = (heading: string) => empty[empty.indexOf(heading) + 2];
    expect(lineAfter('## Team')).toBe('_Not set._');
    expect(lineAfter('## Changes')).toBe('_None recorded._');
    expect(lineAfter('## Timeline')).toBe('_No entries._');
    expect(lineAfter('## Issues')).toBe('_None._');
    expect(lineAfter('## Metrics')).toBe('_None recorded._');
    expect(lineAfter('## Incidents')).toBe('_None._');
    expect(lineAfter('## Final status')).toBe('**SUCCESS**');
  });
});
