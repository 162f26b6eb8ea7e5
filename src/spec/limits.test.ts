import { describe, expect, it } from 'vitest';
import { type FieldIssue, validateResource } from './index.js';
import { MAX_DURATION_SECONDS, MAX_REPLICAS } from './limits.js';

const template = (extra: Record<string, unknown> = {}) => ({ command: ['node', 'server.js'], ...extra });
const rollout = (spec: Record<string, unknown> = {}) => ({
  apiVersion: 'cutover.dev/v1alpha1',
  kind: 'Rollout',
  metadata: { name: 'web' },
  spec: { port: 8080, template: template(), strategy: { recreate: {} }, ...spec },
});
const analysis = (metric: Record<string, unknown>) => ({
  apiVersion: 'cutover.dev/v1alpha1',
  kind: 'AnalysisTemplate',
  metadata: { name: 'error-rate' },
  spec: { metrics: [{ name: 'm', provider: { builtin: { metric: 'error-rate' } }, ...metric }] },
});

function firstIssue(value: unknown): FieldIssue | undefined {
  const result = validateResource(value);
  return result.ok ? undefined : result.issues[0];
}

const probe = (httpGet: Record<string, unknown>) => template({ readinessProbe: { httpGet } });

/**
 * Issue 9 (3): apply accepted values the data plane cannot start (an env value with NUL or over
 * 128 KiB, CR/LF in a probe path or header, a header name with a space) and values with no upper
 * bound (1,000,000 replicas, a 1e12 s pause). Each is refused at its field path.
 */
describe('spec limits', () => {
  const cases: [string, unknown, string, RegExp][] = [
    ['1,000,000 replicas', rollout({ replicas: 1_000_000 }), 'spec.replicas', /0\.\.1000/],
    [
      'a 1e12 s pause',
      rollout({ strategy: { canary: { steps: [{ pause: { duration: 1e12 } }] } } }),
      'spec.strategy.canary.steps.0.pause.duration',
      /at most 30 days/,
    ],
    [
      'a 31-day pause as a string',
      rollout({ strategy: { canary: { steps: [{ pause: { duration: '744h' } }] } } }),
      'spec.strategy.canary.steps.0.pause.duration',
      /at most 30 days/,
    ],
    [
      'progressDeadlineSeconds of 1e12',
      rollout({ progressDeadlineSeconds: 1e12 }),
      'spec.progressDeadlineSeconds',
      /30 days/,
    ],
    [
      'an env value with NUL',
      rollout({ template: template({ env: { A: 'x\0y' } }) }),
      'spec.template.env.A',
      /NUL/,
    ],
    [
      'an env value over 128 KiB',
      rollout({ template: template({ env: { A: 'x'.repeat(128 * 1024) } }) }),
      'spec.template.env.A',
      /131071 bytes/,
    ],
    [
      'command and env over the ARG_MAX budget',
      rollout({
        template: template({
          env: Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`V${i}`, 'x'.repeat(120_000)])),
        }),
      }),
      'spec.template.env',
      /1048576/,
    ],
    [
      'a command argument with NUL',
      rollout({ template: { command: ['node', 'a\0b'] } }),
      'spec.template.command.1',
      /without NUL/,
    ],
    [
      'CR/LF in a probe path',
      rollout({ template: probe({ path: '/healthz\r\nX-Evil: 1' }) }),
      'spec.template.readinessProbe.httpGet.path',
      /control characters/,
    ],
    [
      'a space in a probe path',
      rollout({ template: probe({ path: '/a b' }) }),
      'spec.template.readinessProbe.httpGet.path',
      /no spaces/,
    ],
    [
      'CR/LF in a probe header value',
      rollout({ template: probe({ httpHeaders: [{ name: 'X-A', value: 'a\r\nb' }] }) }),
      'spec.template.readinessProbe.httpGet.httpHeaders.0.value',
      /no control characters/,
    ],
    [
      'a probe header name with a space',
      rollout({ template: probe({ httpHeaders: [{ name: 'X A', value: 'a' }] }) }),
      'spec.template.readinessProbe.httpGet.httpHeaders.0.name',
      /no spaces/,
    ],
    [
      'a probe period of 1e9 s',
      rollout({ template: template({ livenessProbe: { tcpSocket: {}, periodSeconds: 1e9 } }) }),
      'spec.template.livenessProbe.periodSeconds',
      /30 days/,
    ],
    [
      'maxSurge of 1e9',
      rollout({ strategy: { rolling: { maxSurge: 1e9 } } }),
      'spec.strategy.rolling.maxSurge',
      /0\.\.1000/,
    ],
    [
      'a metric interval of 1e12 s',
      analysis({ interval: 1e12 }),
      'spec.metrics.0.interval',
      /at most 30 days/,
    ],
    [
      'a measurement count of 1e9',
      analysis({ interval: '1s', count: 1e9 }),
      'spec.metrics.0.count',
      /0\.\.100000/,
    ],
  ];
  it.each(cases)('should refuse %s', (_what, value, path, message) => {
    const issue = firstIssue(value);
    expect(issue?.path.join('.')).toBe(path);
    expect(issue?.message).toMatch(message);
  });

  it('should accept values at the bounds', () => {
    const atBounds = rollout({
      replicas: MAX_REPLICAS,
      progressDeadlineSeconds: MAX_DURATION_SECONDS,
      template: template({ env: { A: 'x'.repeat(128 * 1024 - 3) } }),
      strategy: { canary: { steps: [{ pause: { duration: '720h' } }] } },
    });
    expect(validateResource(atBounds).ok).toBe(true);
  });
});
