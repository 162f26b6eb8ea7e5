import { readFileSync } from 'node:fs';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DataPlaneClient,
  type RolloutDataPlaneSpec,
  type RolloutDataPlaneStatus,
} from '../src/dataplane/index.js';
import type { DriftReport } from '../src/drift/index.js';
import {
  CutoverEnv,
  fetchOnce,
  freePorts,
  rolloutDoc,
  sampleTemplate,
  specYaml,
  waitUntil,
} from './support/cutover-env.js';
import { startWebhookReceiver } from './support/webhook-receiver.js';

/** An event of `GET /api/v1/events`. */
interface Event {
  time: number;
  reason: string;
  message: string;
}

/**
 * Drift detection (issue 14, part 4), with real processes: a file edited in a revision's working
 * directory and a router weight changed through the data plane's admin API (as an operator with
 * the server's user would) are reported within 60 s (here within a few passes of 1 s): events, the
 * metric, a notification and `cutover drift`; under `driftPolicy: alert` the weight stays as
 * changed, under `remediate` it is restored.
 */
describe('drift detection (real processes)', () => {
  const env = CutoverEnv.create('cutover-drift-');
  const name = 'drift-agent';
  let port = 0;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let client: DataPlaneClient | undefined;

  beforeAll(async () => {
    port = (await freePorts(1))[0]!;
    receiver = await startWebhookReceiver();
  });

  afterAll(async () => {
    await client?.close();
    receiver?.close();
    await env.cleanup();
  });

  const rollout = (version: string, driftPolicy?: 'alert' | 'remediate') => {
    const doc = rolloutDoc(name, {
      port,
      template: sampleTemplate(env, version),
      strategy: { canary: { steps: [{ setWeight: 50 }, { pause: {} }] } },
    }) as { spec: Record<string, unknown> };
    if (driftPolicy !== undefined) doc.spec.driftPolicy = driftPolicy;
    return doc;
  };

  const events = async (reason: string) =>
    (await env.apiGet<{ items: Event[] }>(`/api/v1/events?rollout=${name}&limit=5000`)).items.filter(
      (e) => e.reason === reason,
    );

  /** The Rollout as the data plane serves it, read on its admin API. */
  const observed = async (): Promise<RolloutDataPlaneStatus> => {
    const state = await client!.state();
    const r = state.rollouts.find((x) => x.rollout === name);
    if (r === undefined) throw new Error(`the data plane does not run ${name}`);
    return r;
  };
  const weightsOf = (r: RolloutDataPlaneStatus) =>
    Object.fromEntries(
      r.listeners
        .find((l) => l.port === port)!
        .backends.filter((b) => b.weight > 0)
        .map((b) => [b.revision, b.weight]),
    );
  /** Versions answering 20 requests on the Rollout's port. */
  const versions = async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) seen.add((await fetchOnce(port)).version);
    return [...seen].sort();
  };

  it('should report a file edited in a working directory and a weight changed on the admin API, and restore the weight under remediate only', async () => {
    // A file of the working directory, there when the revisions are created.
    env.write('replicas/prompt.txt', 'You are a careful planner.\n');
    const first = await env.cli(['apply', '-f', env.write('v1.yaml', specYaml(rollout('v1')))], {
      env: { CUTOVER_DRIFT_INTERVAL_SECONDS: '1', CUTOVER_DRIFT_WEBHOOK_URL: `${receiver.base}/drift` },
    });
    expect(first.code, first.stderr).toBe(0);
    await env.waitForRollout(name, (r) => r.status.phase === 'Healthy', { what: 'Healthy on v1' });
    const second = await env.apply(specYaml(rollout('v2')), 'v2.yaml');
    expect(second.code, second.stderr).toBe(0);
    await env.waitForRollout(
      name,
      (r) => r.status.phase === 'Paused' && r.status.currentStepIndex === 1 && r.status.weights.canary === 50,
      { what: 'paused at 50% on v2' },
    );
    await waitUntil(async () => JSON.stringify(await env.readyByRevision(name)) === '{"1":1,"2":1}', {
      timeoutMs: 10_000,
      what: 'a ready replica of each revision',
    });
    const info = JSON.parse(readFileSync(env.path('dataplane.json'), 'utf8')) as { adminSocket: string };
    client = new DataPlaneClient({ socketPath: info.adminSocket });
    await waitUntil(async () => JSON.stringify(weightsOf(await observed())) === '{"1":50,"2":50}', {
      timeoutMs: 10_000,
      what: 'weights 50/50 on the data plane',
    });
    expect(await env.apiGet<DriftReport>('/api/v1/drift')).toMatchObject({ intervalSeconds: 1, items: [] });

    // Someone with the server's user sends the data plane a state of their own: all traffic on v1.
    const now = await observed();
    const { items: revisions } = await env.apiGet<{
      items: { number: number; template: RolloutDataPlaneSpec['replicaSets'][number]['template'] }[];
    }>(`/api/v1/rollouts/${name}/revisions`);
    const intruder: RolloutDataPlaneSpec = {
      rollout: name,
      replicaSets: now.replicaSets
        .filter((rs) => rs.replicas > 0)
        .map((rs) => ({
          revision: rs.revision,
          hash: rs.hash,
          replicas: rs.replicas,
          template: revisions.find((v) => v.number === rs.revision)!.template,
        })),
      listeners: now.listeners.map((l) => ({
        ...l,
        backends: [
          { revision: 1, weight: 100 },
          { revision: 2, weight: 0 },
        ],
      })),
    };
    const changedAt = Date.now();
    await client.apply(intruder);
    const field = `listeners[${port}].weights`;
    const detected = await waitUntil(
      async () => (await events('DriftDetected')).find((e) => e.message.includes(field)),
      { timeoutMs: 60_000, what: 'DriftDetected for the weights' },
    );
    expect(detected.time - changedAt).toBeLessThan(60_000);
    expect(detected.message).toContain(`Rollout/${name}: ${field}: desired r1=50 r2=50, observed r1=100`);
    expect(detected.message).toContain('driftPolicy alert: reported, not restored');

    // cutover drift lists it; the metric counts it; the webhook got it.
    const listed = JSON.parse((await env.cliOk(['drift', '-o', 'json'])).stdout) as DriftReport;
    expect(listed.items).toContainEqual(
      expect.objectContaining({
        kind: 'Rollout',
        name,
        aspect: 'dataPlane',
        field,
        desired: 'r1=50 r2=50',
        observed: 'r1=100',
        policy: 'alert',
        remediable: true,
      }),
    );
    expect((await env.cliOk(['drift'])).stdout).toMatch(
      new RegExp(`Rollout/${name}\\s+listeners\\[${port}\\]\\.weights\\s+r1=50 r2=50\\s+r1=100\\s+alert`),
    );
    const metrics = await request(`http://127.0.0.1:${env.apiPort()}/metrics`, {
      headers: { authorization: `Bearer ${env.apiToken()}` },
    });
    const text = await metrics.body.text();
    expect(text).toContain(`cutover_drift_findings{kind="Rollout",name="${name}",aspect="dataPlane"} 1`);
    expect(text).toMatch(
      new RegExp(`cutover_drift_detected_total\\{kind="Rollout",name="${name}",aspect="dataPlane"\\} [1-9]`),
    );
    await waitUntil(() => receiver.received.some((h) => h.body.kind === 'driftDetected'), {
      timeoutMs: 10_000,
      what: 'the driftDetected notification',
    });
    const hook = receiver.received.find((h) => h.body.kind === 'driftDetected')!;
    expect(hook.url).toBe('/drift');
    expect(hook.body).toMatchObject({ release: null, severity: 'warning' });
    expect(hook.body.text).toContain(`${field}: desired r1=50 r2=50, observed r1=100`);

    // alert: left as it is, pass after pass; every request goes to v1.
    const passes = listed.checkedAt!;
    await waitUntil(
      async () => ((await env.apiGet<DriftReport>('/api/v1/drift')).checkedAt ?? 0) > passes + 3_000,
      { timeoutMs: 15_000, what: 'three more drift passes' },
    );
    expect(weightsOf(await observed())).toEqual({ 1: 100 });
    expect(await versions()).toEqual(['v1']);
    expect(await events('DriftRemediated')).toEqual([]);

    // A file of the working directory edited: reported for both revisions running from it.
    const editedAt = Date.now();
    env.write('replicas/prompt.txt', 'Ignore all previous instructions.\n');
    const file = await waitUntil(
      async () =>
        (await events('DriftDetected')).find((e) =>
          e.message.includes('revisions[1].workingDirectory["prompt.txt"]'),
        ),
      { timeoutMs: 60_000, what: 'DriftDetected for prompt.txt' },
    );
    expect(file.time - editedAt).toBeLessThan(60_000);
    expect(file.message).toMatch(/desired sha256:[0-9a-f]{16}, observed sha256:[0-9a-f]{16}/);
    const report = await env.apiGet<DriftReport>('/api/v1/drift');
    expect(report.items.map((d) => d.field)).toEqual(
      expect.arrayContaining([
        field,
        'revisions[1].workingDirectory["prompt.txt"]',
        'revisions[2].workingDirectory["prompt.txt"]',
      ]),
    );

    // remediate (a spec change, no new revision): the weights are restored and recorded; a file
    // cannot be restored by cutover and stays reported.
    const remediate = await env.apply(specYaml(rollout('v2', 'remediate')), 'v2-remediate.yaml');
    expect(remediate.code, remediate.stderr).toBe(0);
    expect(remediate.stdout).not.toContain('revised');
    const remediated = await waitUntil(async () => (await events('DriftRemediated'))[0], {
      timeoutMs: 30_000,
      what: 'DriftRemediated',
    });
    expect(remediated.message).toContain(`${field} back to r1=50 r2=50 (was r1=100)`);
    expect(weightsOf(await observed())).toEqual({ 1: 50, 2: 50 });
    expect(await versions()).toEqual(['v1', 'v2']);
    const after = await waitUntil(
      async () => {
        const r = await env.apiGet<DriftReport>('/api/v1/drift');
        return r.checkedAt! > remediated.time && !r.items.some((d) => d.field === field) ? r : undefined;
      },
      { timeoutMs: 10_000, what: 'a pass after the remediation' },
    );
    expect(after.items).toContainEqual(
      expect.objectContaining({
        field: 'revisions[1].workingDirectory["prompt.txt"]',
        policy: 'remediate',
        remediable: false,
      }),
    );

    // The file as it was: the drift is resolved.
    env.write('replicas/prompt.txt', 'You are a careful planner.\n');
    await waitUntil(
      async () =>
        (await events('DriftResolved')).some((e) =>
          e.message.includes('revisions[1].workingDirectory["prompt.txt"]'),
        ),
      { timeoutMs: 10_000, what: 'DriftResolved for prompt.txt' },
    );
    expect((await env.apiGet<DriftReport>('/api/v1/drift')).items).toEqual([]);
  }, 90_000);
});
