import type { Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CutoverEnv,
  fetchOnce,
  freePorts,
  occupyPort,
  type RolloutJson,
  SAMPLE_SERVICE,
} from './support/cutover-env.js';

/**
 * Invariant 4: a rejected input leaves the system exactly as it was. Every bad file below tries to
 * move `web` from v1 to v2 (or to add a Rollout); each must be refused with a message naming the
 * file, the line, the field path and what was expected, and nothing may change.
 */
describe('cutover apply with bad input', () => {
  const env = CutoverEnv.create('cutover-badinput-');
  let port = 0;
  let busyPort = 0;
  let busy: Server | undefined;
  let before: {
    rollout: RolloutJson;
    list: unknown;
    revisions: unknown;
    templates: unknown;
    events: unknown;
  };
  const GOOD_CONDITION = 'isNaN(result) || result < 0.05';

  interface WebOptions {
    version?: string;
    command?: string[];
    setWeight?: number;
    /** Extra lines inserted right after `replicas: 1`, indented as spec fields. */
    extraSpec?: string;
    /** Name of an AnalysisTemplate run as a step after the setWeight. */
    analysis?: string;
  }

  const webYaml = (o: WebOptions = {}) => `apiVersion: cutover.dev/v1alpha1
kind: Rollout
metadata:
  name: web
spec:
  replicas: 1
${o.extraSpec ?? ''}  port: ${port}
  template:
    command: ${JSON.stringify(o.command ?? ['node', SAMPLE_SERVICE])}
    cwd: ./replicas
    env: {VERSION: ${o.version ?? 'v2'}}
    readinessProbe: {httpGet: {path: /healthz}, periodSeconds: 1}
  strategy:
    canary:
      steps:
      - setWeight: ${o.setWeight ?? 50}
${o.analysis ? `      - analysis: {templates: [{templateName: ${o.analysis}}]}\n` : ''}      - pause: {}
`;

  const errorRateYaml = (condition: string) => `apiVersion: cutover.dev/v1alpha1
kind: AnalysisTemplate
metadata:
  name: error-rate
spec:
  metrics:
  - name: error-rate
    interval: 1s
    successCondition: ${JSON.stringify(condition)}
    provider: {builtin: {metric: error-rate, revision: canary, window: 5s}}
`;

  /** 1-based line of the first line of `text` containing `needle`. */
  const lineOf = (text: string, needle: string): number => {
    const index = text.split('\n').findIndex((l) => l.includes(needle));
    if (index < 0) throw new Error(`"${needle}" not in the spec text`);
    return index + 1;
  };

  async function snapshot() {
    const list = JSON.parse((await env.cliOk(['list', 'rollouts', '-o', 'json'])).stdout) as unknown;
    return {
      rollout: await env.getRollout('web'),
      list,
      revisions: await env.apiGet('/api/v1/rollouts/web/revisions'),
      templates: await env.apiGet('/api/v1/analysistemplates'),
      events: await env.apiGet('/api/v1/events?limit=5000'),
    };
  }

  /** Applies `text` as `file`; expects a refusal naming file:line, `fieldPath` and `expected`; nothing changed. */
  async function expectRejected(
    file: string,
    text: string,
    line: number,
    fieldPath: string,
    expected: RegExp,
  ) {
    const path = env.write(file, text);
    const result = await env.cli(['apply', '-f', path]);
    expect(result.code, result.stdout).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`${path}:${line}:`);
    expect(result.stderr).toContain(fieldPath);
    expect(result.stderr).toMatch(expected);
    expect(await snapshot()).toEqual(before);
    for (let i = 0; i < 5; i++) expect((await fetchOnce(port)).version).toBe('v1');
    return result;
  }

  beforeAll(async () => {
    [port, busyPort] = (await freePorts(2)) as [number, number];
    env.write('replicas/.keep', '');
    const created = await env.apply(
      `${webYaml({ version: 'v1' })}---\n${errorRateYaml(GOOD_CONDITION)}`,
      'web-v1.yaml',
    );
    expect(created.code, created.stderr).toBe(0);
    await env.waitForRollout('web', (r) => r.status.phase === 'Healthy', { what: 'Healthy on v1' });
    before = await snapshot();
    expect(before.rollout.status).toMatchObject({ phase: 'Healthy', currentRevision: 1, stableRevision: 1 });
    expect(JSON.stringify(before.templates)).toContain(GOOD_CONDITION);
  });

  afterAll(async () => {
    await new Promise<void>((ok) => (busy ? busy.close(() => ok()) : ok()));
    await env.cleanup();
  });

  it('should reject invalid YAML with its file and line', async () => {
    // A second colon on one line: `port: N: 1` is not YAML.
    const text = webYaml().replace(`port: ${port}`, `port: ${port}: 1`);
    await expectRejected('bad-yaml.yaml', text, lineOf(text, `port: ${port}: 1`), 'invalid YAML', /YAML: \S/);
  });

  it('should reject an unknown field, naming it and the fields expected', async () => {
    const text = webYaml({ extraSpec: '  replicaz: 3\n' });
    await expectRejected(
      'unknown-field.yaml',
      text,
      lineOf(text, 'replicaz'),
      'spec.replicaz',
      /unknown field.*replicas/,
    );
  });

  it('should reject an AnalysisTemplate whose successCondition does not parse, and the Rollout with it', async () => {
    const text = `${webYaml({ analysis: 'error-rate' })}---\n${errorRateYaml('result <=')}`;
    await expectRejected(
      'bad-expression.yaml',
      text,
      lineOf(text, 'successCondition'),
      'spec.metrics[0].successCondition',
      /invalid expression/,
    );
  });

  it('should reject a new Rollout on a port another process holds, and the valid Rollout in the same file', async () => {
    busy = await occupyPort(busyPort);
    const other = webYaml({ version: 'v9' })
      .replace('name: web', 'name: other')
      .replace(`port: ${port}`, `port: ${busyPort}`);
    const text = `${webYaml()}---\n${other}`;
    const line = text.split('\n').findIndex((l) => l.includes(`port: ${busyPort}`)) + 1;
    await expectRejected(
      'port-in-use.yaml',
      text,
      line,
      'spec.port',
      new RegExp(`port ${busyPort} is in use`),
    );
  });

  it('should reject an analysis step naming an AnalysisTemplate that does not exist', async () => {
    const text = webYaml({ analysis: 'no-such-template' });
    await expectRejected(
      'missing-template.yaml',
      text,
      lineOf(text, 'no-such-template'),
      'spec.strategy.canary.steps[1].analysis.templates[0].templateName',
      /no-such-template/,
    );
  });

  it('should reject a command that is not on $PATH', async () => {
    const text = webYaml({ command: ['no-such-binary-xyz', '--serve'] });
    await expectRejected(
      'missing-command.yaml',
      text,
      lineOf(text, 'no-such-binary-xyz'),
      'spec.template.command[0]',
      /expected an executable.*no-such-binary-xyz/,
    );
  });

  it('should reject a setWeight out of 0..100, and the valid AnalysisTemplate change in the same file', async () => {
    const text = `${webYaml({ setWeight: 150 })}---\n${errorRateYaml('result < 0.01')}`;
    await expectRejected(
      'weight.yaml',
      text,
      lineOf(text, 'setWeight: 150'),
      'spec.strategy.canary.steps[0].setWeight',
      /expected an integer 0\.\.100, got 150/,
    );
  });

  it('should reject a missing file, naming it', async () => {
    const missing = env.path('does-not-exist.yaml');
    const result = await env.cli(['apply', '-f', missing]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(missing);
    expect(result.stderr).toMatch(/ENOENT|no such file|not found/i);
    expect(await snapshot()).toEqual(before);
  });

  // As `kubectl apply -f` of an empty file ("error: no objects passed to apply"): an empty spec file is
  // a mistake (wrong file, truncated write), not a successful no-op.
  it('should reject a spec file without any document', async () => {
    const empty = env.write('empty.yaml', '# nothing here\n');
    const result = await env.cli(['apply', '-f', empty]);
    expect(result.code, `exit ${result.code}; stdout: ${JSON.stringify(result.stdout)}`).not.toBe(0);
    expect(result.stderr).toContain(empty);
    expect(await snapshot()).toEqual(before);
  });

  it('should still accept the corrected file afterwards', async () => {
    const applied = await env.apply(webYaml(), 'web-v2.yaml');
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain('revised (revision 2)');
    const paused = await env.waitForRollout('web', (r) => r.status.phase === 'Paused', {
      what: 'Paused at 50%',
    });
    expect(paused.status).toMatchObject({
      currentRevision: 2,
      stableRevision: 1,
      weights: { canary: 50, stable: 50 },
    });
  });
});
