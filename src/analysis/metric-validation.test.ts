import { describe, expect, it } from 'vitest';
import type { Metric } from '../spec/types.js';
import { validateMetric, validateMetrics } from './metric-validation.js';

const metric = (overrides: Partial<Metric> = {}): Metric => ({
  name: 'm',
  provider: { builtin: { metric: 'error-rate' } },
  ...overrides,
});

describe('validateMetric', () => {
  // [fields, expected problems]
  const rows: [Partial<Metric>, string[]][] = [
    [{}, []],
    [{ count: 3, interval: '10s', failureLimit: 3 }, []],
    [{ count: 3 }, ['spec.metrics[0].count: count > 1 needs an interval']],
    [{ count: 1 }, []],
    [{ count: '{{args.count}}' }, []],
    [
      { count: 2, interval: '10s', failureLimit: 3 },
      ['spec.metrics[0].count: count must be >= failureLimit (3)'],
    ],
    [
      { count: 2, interval: '10s', inconclusiveLimit: 3 },
      ['spec.metrics[0].count: count must be >= inconclusiveLimit (3)'],
    ],
    [
      { count: 2, interval: '10s', consecutiveSuccessLimit: 3 },
      ['spec.metrics[0].count: count must be >= consecutiveSuccessLimit (3)'],
    ],
    [{ count: -1 }, ['spec.metrics[0].count: count must be >= 0']],
    [{ count: 'three' }, ['spec.metrics[0].count: expected an integer, got "three"']],
    [
      { interval: 'soon' },
      ['spec.metrics[0].interval: expected a duration such as 30s, 5m or an integer number of seconds'],
    ],
    [
      { initialDelay: '5x' },
      ['spec.metrics[0].initialDelay: expected a duration such as 30s, 5m or an integer number of seconds'],
    ],
    [
      { failureLimit: -1 },
      [
        'spec.metrics[0].failureLimit: failureLimit -1 disables it and needs consecutiveSuccessLimit > 0, otherwise the metric can never end',
      ],
    ],
    [{ failureLimit: -1, consecutiveSuccessLimit: 2, interval: '10s' }, []],
    [
      { failureLimit: -2 },
      ['spec.metrics[0].failureLimit: failureLimit must be >= 0 (or -1 with consecutiveSuccessLimit)'],
    ],
    [{ inconclusiveLimit: -1 }, ['spec.metrics[0].inconclusiveLimit: inconclusiveLimit must be >= 0']],
    [
      { consecutiveErrorLimit: -1 },
      ['spec.metrics[0].consecutiveErrorLimit: consecutiveErrorLimit must be >= 0'],
    ],
    [
      { consecutiveSuccessLimit: -1 },
      ['spec.metrics[0].consecutiveSuccessLimit: consecutiveSuccessLimit must be >= 0'],
    ],
    [{ successCondition: 'result <= 0.01' }, []],
    [{ successCondition: 'result < {{args.max}}' }, []],
    [{ name: '' }, ['spec.metrics[0].name: expected a non-empty name']],
    [
      { provider: {} },
      ['spec.metrics[0].provider: expected one provider (builtin, prometheus, web, job, judge, sequential)'],
    ],
    [
      { provider: { datadog: { query: 'up' } } },
      [
        'spec.metrics[0].provider.datadog: unknown provider (known: builtin, prometheus, web, job, judge, sequential)',
      ],
    ],
    [
      { provider: { prometheus: { query: 'up', timeout: -1 } } },
      ['spec.metrics[0].provider.prometheus.timeout: expected a number of seconds >= 0, got -1'],
    ],
    [
      { provider: { builtin: { metric: 'error-rate' }, web: {} } },
      ['spec.metrics[0].provider: expected one provider, got builtin, web'],
    ],
  ];
  it.each(rows)('should check %o', (fields, problems) => {
    expect(validateMetric(metric(fields), 'spec.metrics[0]')).toEqual(problems);
  });

  it('should report a condition that does not parse with its column', () => {
    const [problem] = validateMetric(metric({ failureCondition: 'result >>> 1' }), 'spec.metrics[2]');
    expect(problem).toMatch(
      /^spec\.metrics\[2\]\.failureCondition: expected an expression but found '>' \(column 9/,
    );
  });

  it('should report the builtin provider configuration with its path', () => {
    const problems = validateMetric(
      metric({
        provider: {
          builtin: { metric: 'p99' as 'latency', quantile: 2, revision: 'old' as 'stable', window: 'x' },
        },
      }),
      'm',
    );
    expect(problems).toEqual([
      'm.provider.builtin.metric: expected one of error-rate, request-rate, latency, mirror-mismatch-rate, got "p99"',
      'm.provider.builtin.quantile: expected a number in (0, 1) exclusive, got 2',
      'm.provider.builtin.revision: expected one of canary, stable, preview, active, mirror or experiment:<template name>, got "old"',
      'm.provider.builtin.window: expected a positive duration such as 10s or 1m, got "x"',
    ]);
  });
});

describe('validateMetrics', () => {
  it('should reject duplicate names and an empty list', () => {
    expect(validateMetrics([])).toEqual(['spec.metrics: expected at least one metric']);
    expect(validateMetrics([metric(), metric()])).toEqual([
      'spec.metrics[1].name: duplicate metric name "m"',
    ]);
  });
});
