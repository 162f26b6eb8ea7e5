import { describe, expect, it } from 'vitest';
import type { AnalysisTemplate, Metric, RolloutAnalysis } from '../spec/types.js';
import { AnalysisTemplateError } from './errors.js';
import { resolveRunSecrets, secretEnvName } from './secret-args.js';
import { buildAnalysisRun, buildAnalysisRunSpec, revealSecretArgs } from './template.js';

const template = (
  name: string,
  spec: Partial<AnalysisTemplate['spec']> & { metrics: Metric[] },
): AnalysisTemplate => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'AnalysisTemplate',
  metadata: { name },
  spec,
});
const metric = (overrides: Partial<Metric> = {}): Metric => ({
  name: 'error-rate',
  provider: { builtin: { metric: 'error-rate' } },
  ...overrides,
});
const analysis = (overrides: Partial<RolloutAnalysis> = {}): RolloutAnalysis => ({
  templates: [{ templateName: 'a' }],
  ...overrides,
});

function templateError(fn: () => unknown): AnalysisTemplateError {
  try {
    fn();
  } catch (error) {
    if (error instanceof AnalysisTemplateError) return error;
    throw error;
  }
  throw new Error('expected an AnalysisTemplateError');
}

describe('buildAnalysisRunSpec', () => {
  it('should merge the metrics of several templates in order', () => {
    const spec = buildAnalysisRunSpec(
      [
        template('a', { metrics: [metric({ name: 'x' })] }),
        template('b', { metrics: [metric({ name: 'y' })] }),
      ],
      analysis(),
      { env: {} },
    );
    expect(spec.metrics.map((m) => m.name)).toEqual(['x', 'y']);
  });

  it('should reject a metric name used by two templates', () => {
    const error = templateError(() =>
      buildAnalysisRunSpec(
        [template('a', { metrics: [metric()] }), template('b', { metrics: [metric()] })],
        analysis(),
        {
          env: {},
        },
      ),
    );
    expect(error.code).toBe('CUTOVER_E_ANALYSIS_TEMPLATE');
    expect(error.fieldPath).toBe('spec.metrics[0].name');
    expect(error.template).toBe('b');
  });

  it('should substitute args everywhere, rollout values overriding template defaults', () => {
    const spec = buildAnalysisRunSpec(
      [
        template('a', {
          args: [
            { name: 'max', value: '0.5' },
            { name: 'count' },
            { name: 'role', value: 'canary' },
            { name: 'q', value: '0.99' },
          ],
          metrics: [
            metric({
              name: 'latency-{{args.role}}',
              successCondition: 'result < {{ args.max }}',
              interval: '10s',
              count: '{{args.count}}',
              failureLimit: '{{args.count}}',
              provider: {
                builtin: {
                  metric: 'latency',
                  revision: '{{args.role}}' as 'canary',
                  quantile: '{{args.q}}' as unknown as number,
                },
              },
            }),
          ],
        }),
      ],
      analysis({
        args: [
          { name: 'max', value: '0.25' },
          { name: 'count', value: '3' },
          { name: 'unused', value: 'x' },
        ],
      }),
      { env: {} },
    );
    expect(spec.metrics[0]).toEqual({
      name: 'latency-canary',
      successCondition: 'result < 0.25',
      interval: '10s',
      count: 3,
      failureLimit: 3,
      provider: { builtin: { metric: 'latency', revision: 'canary', quantile: 0.99 } },
    });
    expect(spec.args).toEqual([
      { name: 'max', value: '0.25' },
      { name: 'count', value: '3' },
      { name: 'role', value: 'canary' },
      { name: 'q', value: '0.99' },
    ]);
  });

  const webMetric = (url: string, header: string): Metric => ({
    name: 'quality',
    provider: { web: { url, headers: [{ key: 'Authorization', value: header }] } },
  });
  const secretArgs: AnalysisTemplate['spec']['args'] = [
    { name: 'region', valueFrom: { env: 'REGION' } },
    { name: 'token', valueFrom: { secretKeyRef: { name: 'api-creds', key: 'token' } } },
  ];
  const sources = {
    env: { REGION: 'eu-west-9', CUTOVER_SECRET_API_CREDS_TOKEN: 's3cret' },
    envAllow: ['REGION'],
  };

  // Regression (issue 9): secret values were substituted into the stored run, shown by the API.
  it('should keep secret args (secretKeyRef, env) as placeholders in provider fields and record only their references', () => {
    const spec = buildAnalysisRunSpec(
      [
        template('a', {
          args: secretArgs,
          metrics: [webMetric('http://127.0.0.1:9/q?region={{args.region}}', 'Bearer {{ args.token }}')],
        }),
      ],
      analysis(),
      sources,
    );
    expect(spec.metrics[0]).toEqual(
      webMetric('http://127.0.0.1:9/q?region={{args.region}}', 'Bearer {{ args.token }}'),
    );
    expect(spec.args).toEqual([
      { name: 'region', valueFrom: { env: 'REGION' } },
      { name: 'token', valueFrom: { secretKeyRef: { name: 'api-creds', key: 'token' } } },
    ]);
    expect(JSON.stringify(spec)).not.toMatch(/s3cret|eu-west-9/);
    const revealed = revealSecretArgs(spec.metrics[0]!, resolveRunSecrets(spec, sources));
    expect(revealed).toEqual(webMetric('http://127.0.0.1:9/q?region=eu-west-9', 'Bearer s3cret'));
  });

  it('should refuse a secret arg outside provider fields, where it would be shown', () => {
    const error = templateError(() =>
      buildAnalysisRunSpec(
        [
          template('a', {
            args: secretArgs,
            metrics: [metric({ successCondition: 'result != "{{args.token}}"' })],
          }),
        ],
        analysis(),
        sources,
      ),
    );
    expect(error.fieldPath).toBe('spec.metrics[0].successCondition');
    expect(error.message).toMatch(/\{\{args\.token\}\} is a secret .* may only be used in provider fields/);
  });

  it('should mask secret values in the problems of the substituted metrics', () => {
    const error = templateError(() =>
      buildAnalysisRunSpec(
        [template('a', { args: secretArgs, metrics: [webMetric('{{args.token}}', 'x')] })],
        analysis(),
        sources,
      ),
    );
    expect(error.message).toContain('expected an http:// or https:// URL, got "*****"');
    expect(error.message).not.toContain('s3cret');
  });

  it('should refuse valueFrom.env outside the operator allow-list, saying how to allow it', () => {
    const error = templateError(() =>
      buildAnalysisRunSpec(
        [
          template('a', {
            args: [{ name: 'key', valueFrom: { env: 'AWS_SECRET_ACCESS_KEY' } }],
            metrics: [metric()],
          }),
        ],
        analysis(),
        { env: { AWS_SECRET_ACCESS_KEY: 'aws-key' } },
      ),
    );
    expect(error.code).toBe('CUTOVER_E_ANALYSIS_ENV_NOT_ALLOWED');
    expect(error.fieldPath).toBe('spec.args[0].valueFrom.env');
    expect(error.message).toContain('CUTOVER_ANALYSIS_ENV_ALLOW=AWS_SECRET_ACCESS_KEY');
    expect(error.message).not.toContain('aws-key');
  });

  it('should name the secret environment variable upper-cased with non-alphanumerics as _', () => {
    expect(secretEnvName('db-creds', 'api.token')).toBe('CUTOVER_SECRET_DB_CREDS_API_TOKEN');
  });

  // [args of the template, rollout args, env, field path, message]
  const argErrors: [
    AnalysisTemplate['spec']['args'],
    RolloutAnalysis['args'],
    Record<string, string>,
    string,
    RegExp,
  ][] = [
    [[{ name: 'max' }], undefined, {}, 'spec.args[0]', /args\.max was not resolved/],
    [
      [{ name: 'max' }],
      [{ name: 'max', valueFrom: { env: 'MAX' } }],
      {},
      'args[0].valueFrom.env',
      /MAX is not set/,
    ],
    [
      [{ name: 't', valueFrom: { secretKeyRef: { name: 'x', key: 'y' } } }],
      undefined,
      {},
      'spec.args[0].valueFrom.secretKeyRef',
      /set environment variable CUTOVER_SECRET_X_Y/,
    ],
    [
      [{ name: 'f', valueFrom: { fieldRef: { fieldPath: 'metadata.labels' } } }],
      undefined,
      {},
      'spec.args[0].valueFrom.fieldRef.fieldPath',
      /unsupported fieldPath/,
    ],
  ];
  it.each(argErrors)('should reject unresolvable args %o', (args, rolloutArgs, env, fieldPath, message) => {
    const error = templateError(() =>
      buildAnalysisRunSpec([template('a', { args, metrics: [metric()] })], analysis({ args: rolloutArgs }), {
        env,
        envAllow: ['MAX'],
      }),
    );
    expect(error.fieldPath).toBe(fieldPath);
    expect(error.message).toMatch(message);
  });

  it('should reject a placeholder naming an undeclared arg', () => {
    const error = templateError(() =>
      buildAnalysisRunSpec(
        [template('a', { metrics: [metric({ successCondition: 'result < {{args.nope}}' })] })],
        analysis(),
        {
          env: {},
        },
      ),
    );
    expect(error.fieldPath).toBe('spec.metrics[0].successCondition');
  });

  it('should reject an integer field that is not an integer after substitution', () => {
    const error = templateError(() =>
      buildAnalysisRunSpec(
        [
          template('a', {
            args: [{ name: 'n', value: 'many' }],
            metrics: [metric({ count: '{{args.n}}', interval: '1m' })],
          }),
        ],
        analysis(),
        { env: {} },
      ),
    );
    expect(error.fieldPath).toBe('spec.metrics[0].count');
  });

  it('should reject two templates giving one arg different values', () => {
    const error = templateError(() =>
      buildAnalysisRunSpec(
        [
          template('a', { args: [{ name: 'n', value: '1' }], metrics: [metric({ name: 'x' })] }),
          template('b', { args: [{ name: 'n', value: '2' }], metrics: [metric({ name: 'y' })] }),
        ],
        analysis(),
        { env: {} },
      ),
    );
    expect(error.message).toMatch(/specified multiple times with different values/);
  });

  it('should reject a dryRun or measurementRetention rule that matches no metric', () => {
    expect(
      templateError(() =>
        buildAnalysisRunSpec(
          [template('a', { metrics: [metric()] })],
          analysis({ dryRun: [{ metricName: 'latency' }] }),
          {
            env: {},
          },
        ),
      ).fieldPath,
    ).toBe('dryRun[0].metricName');
    const spec = buildAnalysisRunSpec(
      [template('a', { metrics: [metric()], measurementRetention: [{ metricName: 'error', limit: 20 }] })],
      analysis({ dryRun: [{ metricName: '*' }] }),
      { env: {} },
    );
    expect(spec.dryRun).toEqual([{ metricName: '*' }]);
    expect(spec.measurementRetention).toEqual([{ metricName: 'error', limit: 20 }]);
  });

  it('should reject resolved metrics that break the rules', () => {
    const error = templateError(() =>
      buildAnalysisRunSpec([template('a', { metrics: [metric({ count: 5 })] })], analysis(), { env: {} }),
    );
    expect(error.message).toContain('spec.metrics[0].count: count > 1 needs an interval');
  });
});

describe('buildAnalysisRun', () => {
  const base = {
    name: 'app-2-step-1',
    rollout: 'app',
    revision: 2,
    revisions: { stable: 1, canary: 2 },
    kind: 'step' as const,
    env: {},
    now: 1000,
  };

  it('should create a Pending run from templates', () => {
    const run = buildAnalysisRun({
      ...base,
      templates: [{ ref: { templateName: 'a' }, template: template('a', { metrics: [metric()] }) }],
      analysis: analysis(),
    });
    expect(run.status).toMatchObject({ phase: 'Pending', startedAt: 1000 });
    expect(run.status.metricResults.map((r) => r.name)).toEqual(['error-rate']);
  });

  it('should resolve podTemplateHashValue to revision numbers', () => {
    const run = buildAnalysisRun({
      ...base,
      templates: [
        {
          ref: { templateName: 'a' },
          template: template('a', {
            args: [
              { name: 's', valueFrom: { podTemplateHashValue: 'Stable' } },
              { name: 'l', valueFrom: { podTemplateHashValue: 'Latest' } },
            ],
            metrics: [metric({ name: 'r{{args.s}}-{{args.l}}' })],
          }),
        },
      ],
      analysis: analysis(),
    });
    expect(run.spec.metrics[0]?.name).toBe('r1-2');
  });

  it('should give a completed Error run when a template is missing or invalid', () => {
    const missing = buildAnalysisRun({
      ...base,
      templates: [{ ref: { templateName: 'gone' }, template: undefined }],
      analysis: analysis(),
    });
    expect(missing.status).toMatchObject({
      phase: 'Error',
      message: 'AnalysisTemplate not found: gone',
      finishedAt: 1000,
    });
    const invalid = buildAnalysisRun({
      ...base,
      templates: [
        {
          ref: { templateName: 'a' },
          template: template('a', { args: [{ name: 'x' }], metrics: [metric()] }),
        },
      ],
      analysis: analysis(),
    });
    expect(invalid.status.phase).toBe('Error');
    expect(invalid.status.message).toMatch(
      /^analysis spec invalid: spec\.args\[0\]: args\.x was not resolved/,
    );
  });
});
