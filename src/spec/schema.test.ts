import { describe, expect, it } from 'vitest';
import { argoRollout } from './argo-rollout.test-helper.js';
import { type AnalysisTemplate, type FieldIssue, type Rollout, validateResource } from './index.js';

const rollout = (spec: Record<string, unknown> = {}): Record<string, unknown> => ({
  apiVersion: 'cutover.dev/v1alpha1',
  kind: 'Rollout',
  metadata: { name: 'web' },
  spec: { port: 8080, template: { command: ['node', 'server.js'] }, strategy: { recreate: {} }, ...spec },
});

const template = (
  metric: Record<string, unknown> = {},
  spec: Record<string, unknown> = {},
): Record<string, unknown> => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'AnalysisTemplate',
  metadata: { name: 'error-rate' },
  spec: {
    metrics: [{ name: 'error-rate', provider: { builtin: { metric: 'error-rate' } }, ...metric }],
    ...spec,
  },
});

function issues(value: unknown): { path: string; message: string }[] {
  const result = validateResource(value);
  if (result.ok) return [];
  return result.issues.map((issue: FieldIssue) => ({ path: issue.path.join('.'), message: issue.message }));
}

describe('validateResource', () => {
  it('should return the typed resource as written, without defaults', () => {
    const result = validateResource(rollout());
    expect(result).toEqual({ ok: true, resource: rollout() as unknown as Rollout });
    const analysis = validateResource(template());
    expect(analysis.ok && (analysis.resource as AnalysisTemplate).spec.metrics[0]?.count).toBeUndefined();
  });

  it("should take env as Kubernetes' list, normalised to the mapping form (valueFrom apart)", () => {
    const command = ['node', 'server.js'];
    const list = validateResource(
      rollout({
        template: {
          command,
          env: [
            { name: 'A', value: 'old' },
            { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'api', key: 'TOKEN' } } },
            { name: 'A', value: 'new' },
            { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'app', key: 'MODE', optional: true } } },
          ],
        },
      }),
    );
    expect(list.ok && (list.resource as Rollout).spec.template).toEqual({
      command,
      env: { A: 'new' },
      envValueFrom: {
        TOKEN: { secretKeyRef: { name: 'api', key: 'TOKEN' } },
        MODE: { configMapKeyRef: { name: 'app', key: 'MODE', optional: true } },
      },
    });
    // A list of plain values is the same template as the mapping (the same revision hash).
    const plain = validateResource(rollout({ template: { command, env: [{ name: 'A', value: '1' }] } }));
    expect(plain.ok && (plain.resource as Rollout).spec.template).toEqual({ command, env: { A: '1' } });
  });

  it('should reject a bad env list entry at its path', () => {
    const env = [
      { name: 'A', value: '1', valueFrom: { secretKeyRef: { name: 'api', key: 'K' } } },
      { name: 'B', valueFrom: { secretKeyRef: { name: 'api' } } },
      {
        name: 'C',
        valueFrom: { secretKeyRef: { name: 'api', key: 'K' }, configMapKeyRef: { name: 'a', key: 'K' } },
      },
      { name: '1X', value: 'v' },
    ];
    expect(issues(rollout({ template: { command: ['x'], env } }))).toEqual([
      { path: 'spec.template.env.0', message: 'expected value or valueFrom, not both' },
      {
        path: 'spec.template.env.1.valueFrom.secretKeyRef.key',
        message: expect.stringContaining('required field is missing'),
      },
      {
        path: 'spec.template.env.2.valueFrom',
        message: expect.stringContaining('exactly one of configMapKeyRef, secretKeyRef'),
      },
      { path: 'spec.template.env.3.name', message: expect.stringContaining('an environment variable name') },
    ]);
    expect(issues(rollout({ template: { command: ['x'], envValueFrom: {} } }))[0]?.message).toContain(
      'unknown field "envValueFrom"',
    );
  });

  it('should take a Secret rotationSchedule that is a 5-part cron expression, and nothing else', () => {
    const secret = (rotationSchedule: string) => ({
      apiVersion: 'cutover.dev/v1alpha1',
      kind: 'Secret',
      metadata: { name: 'keys' },
      stringData: { K: 'v' },
      rotationSchedule,
    });
    expect(validateResource(secret('0 0 1 * *')).ok).toBe(true);
    expect(issues(secret('0 0 0 1 * *'))).toEqual([
      {
        path: 'rotationSchedule',
        message: expect.stringContaining('expected a 5-part cron expression (UTC)'),
      },
    ]);
  });

  it('should reject a previewPort equal to port', () => {
    expect(issues(rollout({ strategy: { blueGreen: { previewPort: 8080 } } }))).toEqual([
      {
        path: 'spec.strategy.blueGreen.previewPort',
        message: 'expected a port other than spec.port (8080), got 8080',
      },
    ]);
  });

  it('should reject ports and replicas out of range', () => {
    expect(issues(rollout({ port: 70_000, replicas: 1.5 })).map((issue) => issue.path)).toEqual([
      'spec.replicas',
      'spec.port',
    ]);
  });

  it('should require exactly one probe handler and thresholds >= 1', () => {
    const probe = { httpGet: { path: '/' }, exec: { command: ['true'] }, failureThreshold: 0 };
    expect(issues(rollout({ template: { command: ['x'], readinessProbe: probe } }))).toEqual([
      {
        path: 'spec.template.readinessProbe.failureThreshold',
        message: 'expected an integer 1..100000, got 0',
      },
      {
        path: 'spec.template.readinessProbe',
        message: 'a probe must have exactly one of httpGet, tcpSocket, exec, got httpGet and exec',
      },
    ]);
  });

  it('should reject a liveness probe whose successThreshold is not 1, as Kubernetes does', () => {
    const livenessProbe = { tcpSocket: {}, successThreshold: 2 };
    expect(issues(rollout({ template: { command: ['x'], livenessProbe } }))[0]?.path).toBe(
      'spec.template.livenessProbe.successThreshold',
    );
  });

  it('should accept startupProbe, lifecycle hooks, stateful and a handoff, and name each bad field', () => {
    const http = (path: string, method?: string) => ({ httpGet: { path, ...(method ? { method } : {}) } });
    const handoff = {
      singleton: true,
      prepare: http('/prepare', 'POST'),
      export: http('/export'),
      import: http('/import', 'POST'),
      verify: { ...http('/status'), jsonPath: '{$.active}', successCondition: 'result == true' },
      maxStateBytes: '64Mi',
      snapshotIntervalSeconds: 60,
    };
    const template = {
      command: ['x'],
      startupProbe: {
        httpGet: { path: '/startup' },
        failureThreshold: 30,
        timeoutSeconds: 2,
        initialDelaySeconds: 1,
      },
      lifecycle: { preStop: { sleep: { seconds: 5 } }, postStart: { exec: { command: ['true'] } } },
    };
    expect(
      issues(rollout({ template, handoff, stateful: {}, strategy: { rolling: { partition: 1 } } })),
    ).toEqual([]);

    expect(issues(rollout({ handoff: { export: http('/export') } }))).toEqual([
      { path: 'spec.handoff.import', message: 'required field is missing; expected a mapping' },
    ]);
    expect(
      issues(
        rollout({
          template: {
            command: ['x'],
            startupProbe: { tcpSocket: {}, successThreshold: 2 },
            lifecycle: { preStop: { sleep: { seconds: 1 }, exec: { command: ['true'] } } },
          },
          handoff: {
            ...handoff,
            verify: { ...http('/status'), jsonPath: '$.active', successCondition: 'result ==' },
            maxStateBytes: '2Gi',
            export: { exec: { command: ['dump'] }, httpGet: { path: '/export' } },
          },
        }),
      ).map((i) => i.path),
    ).toEqual([
      'spec.template.lifecycle.preStop',
      'spec.template.startupProbe.successThreshold',
      'spec.handoff.export',
      'spec.handoff.verify.jsonPath',
      'spec.handoff.verify.successCondition',
      'spec.handoff.maxStateBytes',
    ]);
    expect(issues(rollout({ stateful: {}, strategy: { blueGreen: {} } }))[0]?.path).toBe(
      'spec.strategy.blueGreen',
    );
    expect(issues(rollout({ handoff, strategy: { canary: {} } }))[0]?.path).toBe('spec.strategy.canary');
    expect(issues(rollout({ strategy: { rolling: { partition: 1 } } }))[0]).toEqual({
      path: 'spec.strategy.rolling.partition',
      message: 'partition applies to a stateful Rollout only (spec.stateful: {})',
    });
    expect(
      issues(rollout({ stateful: {}, replicas: 2, strategy: { rolling: { partition: 3 } } }))[0]?.message,
    ).toBe('expected an integer 0..2 (spec.replicas), got 3');
  });

  it('should accept the three session affinity types and name a missing header or a misplaced cookie name', () => {
    for (const type of ['ClientIP', 'Cookie'])
      expect(issues(rollout({ sessionAffinity: { type } }))).toEqual([]);
    expect(
      issues(
        rollout({ sessionAffinity: { type: 'Header', headerName: 'X-Session-Id', timeoutSeconds: 7200 } }),
      ),
    ).toEqual([]);
    expect(issues(rollout({ sessionAffinity: { type: 'Header' } }))).toEqual([
      {
        path: 'spec.sessionAffinity.headerName',
        message:
          'required field is missing: type Header keys sessions by a request header; expected its name, e.g. X-Session-Id',
      },
    ]);
    expect(
      issues(rollout({ sessionAffinity: { type: 'ClientIP', cookieName: 'sid', timeoutSeconds: 0 } })).map(
        (i) => i.path,
      ),
    ).toEqual(['spec.sessionAffinity.timeoutSeconds', 'spec.sessionAffinity.cookieName']);
    expect(issues(rollout({ sessionAffinity: { type: 'Sticky' } }))[0]?.message).toMatch(
      /^expected ClientIP, Cookie or Header/,
    );
  });

  it("should accept Istio's outlierDetection and name a bad percentage or duration", () => {
    const outlierDetection = {
      consecutive5xxErrors: 5,
      interval: '30s',
      baseEjectionTime: '30s',
      maxEjectionPercent: 50,
      minHealthPercent: 30,
    };
    expect(issues(rollout({ trafficPolicy: { outlierDetection, timeout: '60s' } }))).toEqual([]);
    expect(
      issues(
        rollout({ trafficPolicy: { outlierDetection: { maxEjectionPercent: 150, interval: 'soon' } } }),
      ).map((i) => i.path),
    ).toEqual([
      'spec.trafficPolicy.outlierDetection.interval',
      'spec.trafficPolicy.outlierDetection.maxEjectionPercent',
    ]);
  });

  it("should accept the issue's connectionPool and retries, and name an unknown retryOn condition", () => {
    const trafficPolicy = {
      connectionPool: {
        tcp: { maxConnections: 100, connectTimeout: '30s' },
        http: { http1MaxPendingRequests: 50, maxRequestsPerConnection: 10, maxRetries: 3 },
      },
      timeout: '60s',
      retries: { attempts: 3, perTryTimeout: '10s', retryOn: 'connect-failure,refused-stream,gateway-error' },
    };
    expect(issues(rollout({ trafficPolicy }))).toEqual([]);
    expect(
      issues(
        rollout({
          trafficPolicy: {
            connectionPool: { tcp: { maxConnections: 0 } },
            retries: { attempts: 11, retryOn: '5xx,on-mars,503' },
          },
        }),
      ),
    ).toEqual([
      {
        path: 'spec.trafficPolicy.connectionPool.tcp.maxConnections',
        message: expect.stringMatching(/^expected an integer 1\.\./),
      },
      { path: 'spec.trafficPolicy.retries.attempts', message: 'expected an integer 0..10, got 11' },
      {
        path: 'spec.trafficPolicy.retries.retryOn',
        message: expect.stringContaining('(unknown: on-mars)'),
      },
    ]);
  });

  it('should accept a setFlag step and name a bad flag, variant or percentage', () => {
    const step = (setFlag: object) => issues(rollout({ strategy: { canary: { steps: [{ setFlag }] } } }));
    expect(step({ flag: 'new-planner', variant: 'on', percentage: 25 })).toEqual([]);
    expect(step({ flag: '', variant: 'on', percentage: 25.5, extra: 1 })).toEqual([
      {
        path: 'spec.strategy.canary.steps.0.setFlag.flag',
        message: 'expected a flag key of a FeatureFlags resource (1..256 characters), got ""',
      },
      {
        path: 'spec.strategy.canary.steps.0.setFlag.percentage',
        message: 'expected a percentage 0..100 (integer), got 25.5',
      },
      {
        path: 'spec.strategy.canary.steps.0.setFlag.extra',
        message: 'unknown field "extra"; expected one of flag, variant, percentage',
      },
    ]);
    expect(step({ flag: 'f', percentage: 5 }).map((i) => i.path)).toEqual([
      'spec.strategy.canary.steps.0.setFlag.variant',
    ]);
  });

  it('should take a builtin metric by flag variant, flag and variant together, on a revision of its own', () => {
    const builtin = (b: object) =>
      issues(template({ provider: { builtin: { metric: 'error-rate', ...b } } }));
    expect(builtin({ flag: 'new-planner', variant: 'on', revision: 'stable' })).toEqual([]);
    expect(builtin({ flag: 'new-planner' })).toEqual([
      {
        path: 'spec.metrics.0.provider.builtin.variant',
        message: 'flag and variant go together: variant is missing',
      },
    ]);
    expect(builtin({ flag: 'f', variant: 'on', revision: 'mirror' }).map((i) => i.path)).toEqual([
      'spec.metrics.0.provider.builtin.revision',
    ]);
  });

  it("should accept Argo Rollouts' setMirrorRoute step and name a bad match, percentage or jsonPath", () => {
    const step = (setMirrorRoute: object) =>
      rollout({ strategy: { canary: { steps: [{ setMirrorRoute }] } } });
    expect(
      issues(
        step({
          name: 'shadow',
          percentage: 35,
          match: [
            {
              method: { exact: 'GET' },
              path: { prefix: '/' },
              headers: { 'agent-1b': { exact: 'firefox' } },
            },
          ],
          compare: { jsonPath: '{$.answer}' },
        }),
      ),
    ).toEqual([]);
    expect(issues(step({ name: 'shadow' }))).toEqual([]);
    expect(
      issues(
        step({
          name: 'shadow',
          percentage: 150,
          match: [{}, { path: { regex: '(' } }],
          compare: { jsonPath: 'answer' },
        }),
      ).map((i) => i.path),
    ).toEqual([
      'spec.strategy.canary.steps.0.setMirrorRoute.percentage',
      'spec.strategy.canary.steps.0.setMirrorRoute.match.0',
      'spec.strategy.canary.steps.0.setMirrorRoute.match.1.path.regex',
      'spec.strategy.canary.steps.0.setMirrorRoute.compare.jsonPath',
    ]);
  });

  it('should name an unknown field, an ambiguous StringMatch and an out-of-range match list of a setMirrorRoute step', () => {
    const at = 'spec.strategy.canary.steps.0.setMirrorRoute';
    const step = (setMirrorRoute: object) =>
      issues(rollout({ strategy: { canary: { steps: [{ setMirrorRoute }] } } }));
    const all = [{ path: { prefix: '/' } }];
    expect(step({ name: 'm', mirrorPercentage: 5, match: all })).toEqual([
      {
        path: `${at}.mirrorPercentage`,
        message: 'unknown field "mirrorPercentage"; expected one of name, percentage, match, compare',
      },
    ]);
    expect(step({ name: 'm', percentage: 150, match: all })).toEqual([
      { path: `${at}.percentage`, message: 'expected a percentage 0..100, got 150' },
    ]);
    expect(step({ name: 'm', match: [{ path: { prefix: '/', exact: '/' } }] })).toEqual([
      {
        path: `${at}.match.0.path`,
        message: 'a StringMatch must have exactly one of exact, prefix, regex, got exact and prefix',
      },
    ]);
    expect(step({ name: 'm', match: [{ headers: { 'x y': { exact: 'a' } } }] }).map((i) => i.path)).toEqual([
      `${at}.match.0.headers.x y`,
    ]);
    expect(step({ name: 'm', match: [] })[0]?.message).toMatch(/leave match out to remove the route/);
    expect(step({ name: 'm', match: Array(9).fill(all[0]) })).toEqual([
      {
        path: `${at}.match`,
        message: 'expected a list of at most 8 {method, path, headers}, got a list of 9',
      },
    ]);
    expect(step({ name: 'm', match: all, compare: {} })).toEqual([]);
  });

  it('should reject a command with an empty argument and an env value that is not a string', () => {
    expect(issues(rollout({ template: { command: ['node', ''], env: { PORT_HINT: 8080 } } }))).toEqual([
      {
        path: 'spec.template.command.1',
        message:
          'expected a non-empty list of non-empty strings without NUL, e.g. ["node", "server.js"], got ""',
      },
      {
        path: 'spec.template.env.PORT_HINT',
        message: 'expected a string (quote numbers and booleans, e.g. "8080", "true"), got 8080',
      },
    ]);
  });

  it('should reject canary maxSurge and maxUnavailable both 0, counting the defaults', () => {
    expect(issues(rollout({ strategy: { canary: { maxSurge: '0%' } } }))[0]?.path).toBe(
      'spec.strategy.canary.maxSurge',
    );
    expect(issues(rollout({ strategy: { canary: { maxSurge: 0, maxUnavailable: 1 } } }))).toEqual([]);
    expect(issues(rollout({ strategy: { canary: { maxUnavailable: '150%' } } }))[0]?.message).toBe(
      'expected an integer 0..1000 or a percentage 0%..100%, got "150%"',
    );
  });

  it('should keep startingStep within the steps', () => {
    const canary = {
      steps: [{ setWeight: 10 }, { pause: {} }],
      analysis: { templates: [{ templateName: 'error-rate' }], startingStep: 2 },
    };
    expect(issues(rollout({ strategy: { canary } }))).toEqual([
      {
        path: 'spec.strategy.canary.analysis.startingStep',
        message: 'expected a step index 0..1, got 2 (the canary has 2 steps)',
      },
    ]);
  });

  it('should report a null pause with what a pause looks like', () => {
    expect(issues(rollout({ strategy: { canary: { steps: [{ pause: null }] } } }))).toEqual([
      {
        path: 'spec.strategy.canary.steps.0.pause',
        message:
          'expected a mapping: {} to pause until promoted, or {duration: 30s}, got null (an empty value)',
      },
    ]);
  });

  it('should accept setHeaderRoute steps and report a bad match at its path', () => {
    const canary = (steps: unknown[]): Record<string, unknown> =>
      rollout({ strategy: { canary: { steps } } });
    const match = [{ headerName: 'X-Canary', headerValue: { exact: 'yes' } }];
    expect(
      issues(canary([{ setHeaderRoute: { name: 'qa', match } }, { setHeaderRoute: { name: 'qa' } }])),
    ).toEqual([]);
    const bad = issues(
      canary([
        {
          setHeaderRoute: {
            name: 'qa',
            match: [
              { headerName: 'X Canary', headerValue: { exact: 'yes', prefix: 'y' } },
              { headerName: 'ua', headerValue: { regex: '(' } },
            ],
          },
        },
      ]),
    );
    expect(bad.map((i) => i.path)).toEqual([
      'spec.strategy.canary.steps.0.setHeaderRoute.match.0.headerName',
      'spec.strategy.canary.steps.0.setHeaderRoute.match.0.headerValue',
      'spec.strategy.canary.steps.0.setHeaderRoute.match.1.headerValue.regex',
    ]);
    expect(bad[1]?.message).toContain('exactly one of exact, prefix, regex');
  });

  it('should refuse a header-route regex that is not RE2, saying why', () => {
    const regex = (pattern: string) =>
      issues(
        rollout({
          strategy: {
            canary: {
              steps: [
                {
                  setHeaderRoute: {
                    name: 'qa',
                    match: [{ headerName: 'ua', headerValue: { regex: pattern } }],
                  },
                },
              ],
            },
          },
        }),
      );
    expect(regex('^(a+)+$')).toEqual([]);
    const [lookahead] = regex('^a(?=b)');
    expect(lookahead?.path).toBe('spec.strategy.canary.steps.0.setHeaderRoute.match.0.headerValue.regex');
    expect(lookahead?.message).toMatch(
      /^expected an RE2 regular expression of at most 256 characters, got "\^a\(\?=b\)" \(lookahead and lookbehind .* are not supported by RE2/,
    );
    expect(regex('(x)\\1')[0]?.message).toMatch(/backreferences \(\\1, \\k<name>\) are not supported by RE2/);
  });

  it('should accept an experiment step and reject duplicate templates and weights over 100', () => {
    const canary = (experiment: unknown): Record<string, unknown> =>
      rollout({ strategy: { canary: { steps: [{ experiment }] } } });
    const templates = [
      { name: 'baseline', specRef: 'stable', weight: 10 },
      { name: 'candidate', specRef: 'canary', replicas: 2, weight: 10 },
    ];
    const analyses = [{ name: 'rule', templateName: 'model-update-rule', requiredForCompletion: true }];
    expect(issues(canary({ duration: '1m', templates, analyses }))).toEqual([]);
    const bad = issues(
      canary({
        templates: [
          { name: 'a', specRef: 'stable', weight: 60 },
          { name: 'a', specRef: 'latest', weight: 60 },
        ],
      }),
    );
    expect(bad.map((i) => i.path)).toEqual([
      'spec.strategy.canary.steps.0.experiment.templates.1.specRef',
      'spec.strategy.canary.steps.0.experiment.templates.1.name',
      'spec.strategy.canary.steps.0.experiment.templates',
    ]);
  });

  it('should report each of several unknown fields at its own path', () => {
    const value = rollout();
    (value['metadata'] as Record<string, unknown>)['namespace'] = 'default';
    (value['metadata'] as Record<string, unknown>)['lables'] = {};
    expect(issues(value).map((issue) => issue.path)).toEqual(['metadata.namespace', 'metadata.lables']);
    expect(issues(value)[1]?.message).toContain('did you mean "labels"?');
  });

  it("should keep an AnalysisTemplate's metadata.namespace and still refuse a misspelt metadata field", () => {
    const namespaced = { ...template(), metadata: { name: 'error-rate', namespace: 'checkout' } };
    const result = validateResource(namespaced);
    expect(result.ok && (result.resource as AnalysisTemplate).metadata.namespace).toBe('checkout');
    expect(issues({ ...namespaced, kind: 'ClusterAnalysisTemplate' })).toEqual([]);
    const bad = issues({
      ...template(),
      metadata: { name: 'error-rate', namespace: 'Check_Out', lables: {} },
    });
    expect(bad.map((issue) => issue.path)).toEqual(['metadata.namespace', 'metadata.lables']);
    expect(bad[0]?.message).toMatch(/^expected a DNS-1123 label/);
    expect(bad[1]?.message).toContain('did you mean "labels"?');
  });

  it('should reject a valid Argo Rollout with one issue on apiVersion: it runs on the kubernetes platform', () => {
    const argo = argoRollout();
    const found = issues(argo);
    expect(found.map((issue) => issue.path)).toEqual(['apiVersion']);
    expect(found[0]?.message).toMatch(/runs on the kubernetes platform/);
  });

  it("should reject a cutover Rollout given Argo's apiVersion with the refusal first, then its problems as Argo's", () => {
    const found = issues({ ...rollout(), apiVersion: 'argoproj.io/v1alpha1' }).map((issue) => issue.path);
    expect(found[0]).toBe('apiVersion');
    expect(found).toContain('spec.port');
  });

  it('should validate the builtin provider and reject unknown providers', () => {
    const builtin = { metric: 'latency', quantile: 1, revision: 'green', window: '10 s' };
    expect(issues(template({ provider: { builtin } })).map((issue) => issue.path)).toEqual([
      'spec.metrics.0.provider.builtin.quantile',
      'spec.metrics.0.provider.builtin.revision',
      'spec.metrics.0.provider.builtin.window',
    ]);
    expect(issues(template({ provider: { datadog: {} } })).map((issue) => issue.path)).toEqual([
      'spec.metrics.0.provider.datadog',
      'spec.metrics.0.provider',
    ]);
  });

  it('should validate prometheus, web and job providers with the field path of each problem', () => {
    expect(issues(template({ provider: { prometheus: { address: 'http://p:9090', query: 'up' } } }))).toEqual(
      [],
    );
    expect(issues(template({ provider: { web: { url: 'http://w/x', jsonPath: '{$.a}' } } }))).toEqual([]);
    expect(issues(template({ provider: { job: { command: ['true'] } } }))).toEqual([]);
    const argoJob = (container: Record<string, unknown>) => ({
      spec: {
        backoffLimit: 0,
        template: {
          spec: { containers: [{ name: 'c', image: 'alpine:3.8', ...container }], restartPolicy: 'Never' },
        },
      },
    });
    expect(
      issues(template({ provider: { job: argoJob({ command: ['sh', '-c'], args: ['exit 0'] }) } })),
    ).toEqual([]);
    expect(issues(template({ provider: { job: argoJob({ ports: [] }) } }))).toEqual([
      {
        path: 'spec.metrics.0.provider.job.spec.template.spec.containers.0.ports',
        message: 'not implemented on the local platform (a local process cannot honour it)',
      },
      {
        path: 'spec.metrics.0.provider.job.spec.template.spec.containers.0.command',
        message: expect.stringMatching(/^expected the program to run, e\.g\. \[sh, -c\]/),
      },
    ]);
    expect(
      issues(template({ provider: { prometheus: { query: 'up', anything: 1 } } })).map((i) => i.path),
    ).toEqual(['spec.metrics.0.provider.prometheus.anything']);
    expect(
      issues(template({ provider: { web: { url: 'ftp://w', headers: [{ key: 'a b' }] } } })).map(
        (i) => i.path,
      ),
    ).toEqual([
      'spec.metrics.0.provider.web.url',
      'spec.metrics.0.provider.web.headers.0.key',
      'spec.metrics.0.provider.web.headers.0.value',
    ]);
    expect(
      issues(template({ provider: { job: { command: [], sandbox: 'maybe' } } })).map((i) => i.path),
    ).toEqual(['spec.metrics.0.provider.job.command', 'spec.metrics.0.provider.job.sandbox']);
  });

  it('should accept {{args.x}} where an integer or a duration is expected, and only declared args', () => {
    const metric = {
      count: '{{args.count}}',
      interval: '{{ args.interval }}',
      failureLimit: '{{args.limit}}',
    };
    const args = [{ name: 'count', value: '3' }, { name: 'interval' }];
    expect(issues(template(metric, { args }))).toEqual([
      {
        path: 'spec.metrics.0.failureLimit',
        message: 'unknown arg "limit" in {{args.limit}} (declared args: count, interval)',
      },
    ]);
  });

  it("should apply Argo's metric rules (count > 1 needs an interval)", () => {
    expect(issues(template({ count: 3 }))).toEqual([
      { path: 'spec.metrics.0.count', message: 'count > 1 needs an interval' },
    ]);
    expect(issues(template({ count: 3, interval: '5s', failureLimit: 1 }))).toEqual([]);
  });

  it('should compile a condition with the args defaults substituted', () => {
    const args = [{ name: 'threshold', value: '0.05' }];
    expect(issues(template({ successCondition: 'result < {{args.threshold}}' }, { args }))).toEqual([]);
    const bad = issues(template({ successCondition: 'result < {{args.threshold}} &&' }, { args }));
    expect(bad[0]?.message).toMatch(/^invalid expression \(with the args' default values substituted\)/);
  });

  it('should reject duplicate metric names and arg names', () => {
    const value = template({}, { args: [{ name: 'a' }, { name: 'a' }] });
    const spec = value['spec'] as { metrics: unknown[] };
    spec.metrics.push({ name: 'error-rate', provider: { web: { url: 'http://w/' } } });
    expect(issues(value).map((issue) => issue.message)).toEqual([
      'duplicate arg "a"',
      'duplicate metric name "error-rate"',
    ]);
  });
});
