import { describe, expect, it } from 'vitest';
import { computeDora, type DoraQuery } from './dora.js';
import { RecordsQueryError } from './errors.js';
import type { DeploymentRecord, IncidentRecord } from './types.js';

const H = 3_600_000;
const DAY = 24 * H;
/** 2025-01-01T00:00:00Z */
const T0 = Date.UTC(2025, 0, 1);

function deployment(over: Partial<DeploymentRecord> & Pick<DeploymentRecord, 'release'>): DeploymentRecord {
  return {
    version: '1.0.0',
    type: 'standard',
    services: ['shop'],
    environment: 'production',
    team: 'payments',
    summary: '',
    changes: [],
    createdAt: T0,
    deployStartedAt: T0,
    finishedAt: T0,
    timeline: [],
    issues: [],
    metrics: {},
    status: 'SUCCESS',
    incidents: [],
    ...over,
  };
}

function incident(over: Partial<IncidentRecord> & Pick<IncidentRecord, 'name'>): IncidentRecord {
  return {
    release: 'r',
    environment: 'production',
    services: ['shop'],
    rollbackType: 'traffic',
    reason: '',
    trigger: 'errorRate',
    triggerValues: {},
    actor: 'controller',
    rolledBackTo: 'shop revision 1',
    detectedAt: T0,
    resolvedAt: T0,
    status: 'ROLLED_BACK',
    timeline: [],
    escalated: false,
    ...over,
  };
}

// Lead times by hand (deployStartedAt - earliest committedAt, else createdAt):
//   a: 1h - (-2h) = 3h = 10800 s (earliest commit is the second change; createdAt ignored)
//   b: 12h - 10h  = 2h =  7200 s (no committedAt: createdAt)
//   c: 25h - 23.5h     =  5400 s
//   d: 26h - 25h  = 1h =  3600 s (no changes: createdAt)
const records: DeploymentRecord[] = [
  deployment({
    release: 'a',
    createdAt: T0 - H,
    deployStartedAt: T0 + H,
    changes: [
      { description: 'one', committedAt: T0 - H },
      { description: 'two', committedAt: T0 - 2 * H },
      { description: 'note without commit time' },
    ],
  }),
  deployment({
    release: 'b',
    services: ['shop', 'cart'],
    createdAt: T0 + 10 * H,
    deployStartedAt: T0 + 12 * H,
    changes: [{ description: 'no commit time' }],
    status: 'ROLLBACK',
  }),
  deployment({
    release: 'c',
    services: ['cart'],
    createdAt: T0 + DAY,
    deployStartedAt: T0 + DAY + H,
    changes: [{ description: 'fix', committedAt: T0 + DAY - H / 2 }],
    status: 'FAILED',
  }),
  deployment({
    release: 'd',
    environment: 'staging',
    createdAt: T0 + DAY + H,
    deployStartedAt: T0 + DAY + 2 * H,
  }),
  // Outside [T0, T0 + 2 days): exactly at `to` (exclusive) and 1 ms before `from`.
  deployment({ release: 'e', deployStartedAt: T0 + 2 * DAY, status: 'FAILED' }),
  deployment({ release: 'f', deployStartedAt: T0 - 1, status: 'ROLLBACK' }),
];

// Restore times by hand: i1 600 s, i2 300 s, i5 90 s; i3 unresolved, i4 detected before the period.
const incidents: IncidentRecord[] = [
  incident({
    name: 'i1',
    services: ['shop', 'cart'],
    detectedAt: T0 + 12 * H + 300_000,
    resolvedAt: T0 + 12 * H + 900_000,
  }),
  incident({ name: 'i2', services: ['cart'], detectedAt: T0 + DAY + H, resolvedAt: T0 + DAY + H + 300_000 }),
  incident({
    name: 'i3',
    services: ['cart'],
    detectedAt: T0 + DAY + 3 * H,
    resolvedAt: null,
    status: 'RUNNING',
  }),
  incident({ name: 'i4', environment: 'staging', detectedAt: T0 - H, resolvedAt: T0 - H + 60_000 }),
  incident({
    name: 'i5',
    environment: 'staging',
    detectedAt: T0 + DAY + 5 * H,
    resolvedAt: T0 + DAY + 5 * H + 90_000,
  }),
];

describe('computeDora', () => {
  const period = { from: T0, to: T0 + 2 * DAY };

  it.each<{
    name: string;
    query: DoraQuery;
    deployments: number;
    perDay: number;
    lead: number | null;
    failed: number;
    ratio: number | null;
    restore: number | null;
    restoreSamples: number;
    series: [number, number][];
  }>([
    {
      name: 'all services and environments',
      query: period,
      deployments: 4,
      perDay: 2,
      lead: (5400 + 7200) / 2,
      failed: 2,
      ratio: 0.5,
      restore: 300,
      restoreSamples: 3,
      series: [
        [2, 1],
        [2, 1],
      ],
    },
    {
      name: 'service shop (listed among several services counts)',
      query: { ...period, service: 'shop' },
      deployments: 3,
      perDay: 1.5,
      lead: 7200,
      failed: 1,
      ratio: 1 / 3,
      restore: (90 + 600) / 2,
      restoreSamples: 2,
      series: [
        [2, 1],
        [1, 0],
      ],
    },
    {
      name: 'environment production',
      query: { ...period, environment: 'production' },
      deployments: 3,
      perDay: 1.5,
      lead: 7200,
      failed: 2,
      ratio: 2 / 3,
      restore: (300 + 600) / 2,
      restoreSamples: 2,
      series: [
        [2, 1],
        [1, 1],
      ],
    },
    {
      name: 'service shop in production',
      query: { ...period, service: 'shop', environment: 'production' },
      deployments: 2,
      perDay: 1,
      lead: (10800 + 7200) / 2,
      failed: 1,
      ratio: 0.5,
      restore: 600,
      restoreSamples: 1,
      series: [
        [2, 1],
        [0, 0],
      ],
    },
    {
      name: 'a service with no records',
      query: { ...period, service: 'nope' },
      deployments: 0,
      perDay: 0,
      lead: null,
      failed: 0,
      ratio: null,
      restore: null,
      restoreSamples: 0,
      series: [
        [0, 0],
        [0, 0],
      ],
    },
    {
      name: 'a half-day period (to is exclusive: b at exactly 12h is out)',
      query: { from: T0, to: T0 + 12 * H },
      deployments: 1,
      perDay: 2,
      lead: 10800,
      failed: 0,
      ratio: 0,
      restore: null,
      restoreSamples: 0,
      series: [[1, 0]],
    },
    {
      name: 'a period not aligned on UTC days',
      query: { from: T0 + 6 * H, to: T0 + DAY + 6 * H },
      deployments: 3,
      perDay: 3,
      lead: 5400,
      failed: 2,
      ratio: 2 / 3,
      restore: 300,
      restoreSamples: 3,
      series: [
        [1, 1],
        [2, 1],
      ],
    },
  ])('should compute the four keys for $name', (c) => {
    const report = computeDora(records, incidents, c.query);
    expect(report.from).toBe(c.query.from);
    expect(report.to).toBe(c.query.to);
    expect(report.service).toBe(c.query.service ?? null);
    expect(report.environment).toBe(c.query.environment ?? null);
    expect(report.deploymentFrequency).toEqual({ deployments: c.deployments, perDay: c.perDay });
    expect(report.leadTimeForChanges).toEqual({ medianSeconds: c.lead, samples: c.deployments });
    expect(report.changeFailureRate.failed).toBe(c.failed);
    expect(report.changeFailureRate.total).toBe(c.deployments);
    if (c.ratio === null) expect(report.changeFailureRate.ratio).toBeNull();
    else expect(report.changeFailureRate.ratio).toBeCloseTo(c.ratio, 12);
    expect(report.timeToRestore).toEqual({ medianSeconds: c.restore, samples: c.restoreSamples });
    expect(report.series.map((s) => [s.deployments, s.failures])).toEqual(c.series);
  });

  it('should label the series with one YYYY-MM-DD per UTC day, ending at the day of to - 1 ms', () => {
    expect(computeDora(records, incidents, period).series.map((s) => s.day)).toEqual([
      '2025-01-01',
      '2025-01-02',
    ]);
    expect(computeDora([], [], { from: T0 + 23 * H, to: T0 + 2 * DAY + 1 }).series.map((s) => s.day)).toEqual(
      ['2025-01-01', '2025-01-02', '2025-01-03'],
    );
  });

  it.each([
    { from: T0, to: T0 },
    { from: T0, to: T0 - 1 },
    { from: Number.NaN, to: T0 },
    { from: T0, to: Number.POSITIVE_INFINITY },
  ])('should reject the period from=$from to=$to', (query) => {
    expect(() => computeDora([], [], query)).toThrow(RecordsQueryError);
    try {
      computeDora([], [], query);
    } catch (error) {
      expect((error as RecordsQueryError).code).toBe('CUTOVER_E_RECORDS_QUERY');
    }
  });
});

describe('computeDora: deployment success rate per service and environment', () => {
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
  };
  const record = (
    release: string,
    services: string[],
    environment: string,
    status: 'SUCCESS' | 'ROLLBACK' | 'FAILED',
  ) => ({
    ...base,
    release,
    services,
    environment,
    status,
    deployStartedAt: 1000,
  });

  it('should give each service and environment its rate against the 99.5% target', () => {
    const records = [
      ...Array.from({ length: 199 }, (_, i) => record(`a${i}`, ['api'], 'production', 'SUCCESS')),
      record('a-bad', ['api'], 'production', 'ROLLBACK'),
      record('w1', ['web'], 'production', 'SUCCESS'),
      record('w2', ['web'], 'production', 'FAILED'),
      record('w3', ['web'], 'staging', 'SUCCESS'),
    ];
    const report = computeDora(records, [], { from: 0, to: 10_000 });
    expect(report.successRate.target).toBe(0.995);
    expect(report.successRate.items).toEqual([
      {
        service: 'api',
        environment: 'production',
        total: 200,
        succeeded: 199,
        ratio: 0.995,
        meetsTarget: true,
      },
      { service: 'web', environment: 'production', total: 2, succeeded: 1, ratio: 0.5, meetsTarget: false },
      { service: 'web', environment: 'staging', total: 1, succeeded: 1, ratio: 1, meetsTarget: true },
    ]);
    expect(computeDora(records, [], { from: 0, to: 10_000, service: 'web' }).successRate.items).toHaveLength(
      2,
    );
  });
});
