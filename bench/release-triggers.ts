/**
 * Release trigger benchmark (issue 10): releases carried by the crew on real processes (the sample
 * service, its own router port and paced load each), half healthy and half faulty (5–50% errors,
 * +300 or +800 ms latency, a crash loop), at 10, 50 and 100 req/s. For each release: the decision
 * (a healthy one must ship, a faulty one must be ROLLED_BACK), the highest canary weight the faulty
 * revision reached before its rollback (the fault is there from the first step, 20%: the goal is
 * never above it), and the time from its first traffic to RollbackStarted. Goals: trigger accuracy
 * ≥ 95% (seed 002), no faulty release above the step where its fault began, false rollbacks ≤ 2%.
 */
import { loadavg } from 'node:os';
import { request } from 'undici';
import { stringify } from 'yaml';
import { CutoverEnv, freePort, SAMPLE_SERVICE, waitUntil } from '../test/support/cutover-env.js';
import { type PacedLoad, pacedLoad } from '../test/support/paced-load.js';

/** A candidate's fault (environment of the sample service), or none. */
interface Candidate {
  label: string;
  env: Record<string, string>;
  faulty: boolean;
}

const FAULTS: Candidate[] = [
  { label: '5% errors', env: { FAULT_RATE: '0.05' }, faulty: true },
  { label: '10% errors', env: { FAULT_RATE: '0.1' }, faulty: true },
  { label: '20% errors', env: { FAULT_RATE: '0.2' }, faulty: true },
  { label: '50% errors', env: { FAULT_RATE: '0.5' }, faulty: true },
  { label: '+300 ms', env: { LATENCY_MS: '300' }, faulty: true },
  { label: '+800 ms', env: { LATENCY_MS: '800' }, faulty: true },
  { label: 'crash loop', env: { EXIT_AFTER_MS: '3000' }, faulty: true },
];
const FIRST_STEP_WEIGHT = 20;

/** One release's outcome. */
interface ReleaseRow {
  rate: number;
  service: string;
  label: string;
  faulty: boolean;
  status: string;
  trigger: string | null;
  /** Highest canary weight the candidate reached, percent. */
  maxWeight: number;
  /** First traffic of the candidate to RollbackStarted, s (null without a rollback). */
  detectS: number | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class Api {
  constructor(
    private readonly env: CutoverEnv,
    private readonly token: string,
  ) {}
  async post(path: string, body: unknown): Promise<unknown> {
    const res = await request(`http://127.0.0.1:${this.env.apiPort()}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await res.body.text();
    if (res.statusCode >= 300) throw new Error(`POST ${path}: ${res.statusCode} ${text}`);
    return JSON.parse(text);
  }
}

function releaseDoc(
  env: CutoverEnv,
  name: string,
  service: string,
  port: number,
  version: string,
  extra: object,
) {
  return {
    apiVersion: 'cutover.dev/v1alpha1',
    kind: 'Release',
    metadata: { name },
    spec: {
      version,
      team: 'bench',
      environments: ['production'],
      rollouts: [
        {
          name: service,
          spec: {
            replicas: 1,
            port,
            template: {
              command: ['node', SAMPLE_SERVICE],
              cwd: env.path('replicas'),
              env: { VERSION: version, ...extra },
              readinessProbe: { httpGet: { path: '/healthz' }, periodSeconds: 1 },
              terminationGracePeriodSeconds: 2,
            },
            strategy: {
              canary: {
                scaleDownDelaySeconds: 1,
                abortScaleDownDelaySeconds: 1,
                steps: [
                  { setWeight: FIRST_STEP_WEIGHT },
                  { pause: { duration: '30s' } },
                  { setWeight: 50 },
                  { pause: { duration: '30s' } },
                ],
              },
            },
          },
        },
      ],
      smokeTests: [{ name: 'healthz', http: { path: '/healthz', expectStatus: 200 } }],
      monitor: { checkpoints: ['10s'] },
    },
  };
}

interface ReleaseState {
  status: string;
  history: { at: number; reason: string }[];
  incidents: { trigger: string }[];
}

/** Creates, approves and follows one release to its end. */
async function carry(
  env: CutoverEnv,
  admin: Api,
  manager: Api,
  name: string,
  service: string,
  port: number,
  version: string,
  candidate: Candidate,
  rate: number,
): Promise<ReleaseRow> {
  const text = stringify(releaseDoc(env, name, service, port, version, candidate.env));
  const file = env.write(`${name}.yaml`, text);
  const started = Date.now();
  await admin.post('/api/v1/releases', { file, text });
  await waitUntil(
    async () =>
      (await env.apiGet<ReleaseState>(`/api/v1/releases/${name}`)).status === 'WAITING_APPROVAL' || undefined,
    {
      timeoutMs: 120_000,
      what: `${name} waiting for approval`,
    },
  );
  await manager.post(`/api/v1/releases/${name}/approve`, { comment: 'bench' });
  const end = await waitUntil(
    async () => {
      const r = await env.apiGet<ReleaseState>(`/api/v1/releases/${name}`);
      return ['SUCCESS', 'ROLLED_BACK', 'FAILED'].includes(r.status) ? r : undefined;
    },
    { timeoutMs: 300_000, what: `${name} to end`, intervalMs: 500 },
  );
  const events = (await env.history(`${service}-production`)).events.filter((e) => e.time >= started);
  const weights = events
    .filter((e) => e.reason === 'SetWeight')
    .map((e) => ({ at: e.time, weight: Number(/(\d+)%/.exec(e.message)?.[1] ?? 0) }));
  const rollbackAt = end.history.find((h) => h.reason === 'RollbackStarted')?.at ?? null;
  const before = weights.filter((w) => rollbackAt === null || w.at <= rollbackAt);
  const firstTraffic = weights[0]?.at ?? null;
  return {
    rate,
    service,
    label: candidate.label,
    faulty: candidate.faulty,
    status: end.status,
    trigger: end.incidents[0]?.trigger ?? null,
    maxWeight: Math.max(0, ...before.map((w) => w.weight)),
    detectS: rollbackAt === null || firstTraffic === null ? null : (rollbackAt - firstTraffic) / 1000,
  };
}

/** Runs every rate's releases: `FAULTS.length` services in parallel, each a healthy then a faulty release. */
async function benchReleaseTriggers(rates = [10, 50, 100]): Promise<ReleaseRow[]> {
  const rows: ReleaseRow[] = [];
  for (const rate of rates) {
    const env = CutoverEnv.create(`cutover-bench-release-${rate}-`);
    const loads: PacedLoad[] = [];
    try {
      env.write('replicas/.keep', '');
      await env.applyEnvironments('production');
      const admin = new Api(env, env.apiToken());
      const manager = new Api(env, await env.token('mia', 'approver', 'manager'));
      const services = await Promise.all(
        FAULTS.map(async (fault, i) => ({ name: `svc${i}`, port: await freePort(), fault })),
      );
      const healthy: Candidate = { label: 'healthy', env: {}, faulty: false };
      await Promise.all(
        services.map((s) => carry(env, admin, manager, `${s.name}-v1`, s.name, s.port, 'v1', healthy, rate)),
      );
      for (const s of services) loads.push(pacedLoad(s.port, rate, 8));
      await sleep(5000); // a pre-deploy baseline for the p99 checkpoint
      const results = await Promise.all(
        services.map(async (s) => [
          await carry(env, admin, manager, `${s.name}-v2`, s.name, s.port, 'v2', healthy, rate),
          await carry(env, admin, manager, `${s.name}-v3`, s.name, s.port, 'v3', s.fault, rate),
        ]),
      );
      rows.push(...results.flat());
    } finally {
      for (const load of loads) await load.stop();
      await env.cleanup();
    }
  }
  return rows;
}

/** Prints the per-rate table and the goals. */
export async function printReleaseTriggersBench(): Promise<void> {
  console.log('\n== release triggers: decisions on healthy and faulty releases (issue 10) ==');
  const load = loadavg()[0]?.toFixed(2);
  const started = Date.now();
  const rows = await benchReleaseTriggers();
  console.log(
    `load average at start ${load}; ${rows.length} releases in ${((Date.now() - started) / 60000).toFixed(1)} min`,
  );
  console.log('rate  | release            | outcome      | trigger     | max weight | detect (s)');
  for (const r of rows) {
    const right = r.faulty ? r.status === 'ROLLED_BACK' : r.status === 'SUCCESS';
    console.log(
      `${String(r.rate).padStart(3)}/s | ${r.label.padEnd(18)} | ${r.status.padEnd(12)} | ${(r.trigger ?? '-').padEnd(11)} | ${String(r.maxWeight).padStart(9)}% | ${r.detectS === null ? '-' : r.detectS.toFixed(1)}${right ? '' : '  WRONG'}`,
    );
  }
  for (const rate of [...new Set(rows.map((r) => r.rate))]) {
    const mine = rows.filter((r) => r.rate === rate);
    const right = mine.filter((r) => (r.faulty ? r.status === 'ROLLED_BACK' : r.status === 'SUCCESS')).length;
    const healthy = mine.filter((r) => !r.faulty);
    const falseRollbacks = healthy.filter((r) => r.status !== 'SUCCESS').length;
    const faulty = mine.filter((r) => r.faulty);
    const beyond = faulty.filter((r) => r.maxWeight > FIRST_STEP_WEIGHT).length;
    const detect = faulty
      .map((r) => r.detectS)
      .filter((d): d is number => d !== null)
      .sort((a, b) => a - b);
    console.log(
      `${rate} req/s: accuracy ${right}/${mine.length} (${((right / mine.length) * 100).toFixed(0)}%, goal >= 95%)` +
        `, false rollbacks ${falseRollbacks}/${healthy.length} (goal <= 2%)` +
        `, faulty beyond their first step ${beyond}/${faulty.length} (goal 0)` +
        `, detection median ${detect[Math.floor(detect.length / 2)]?.toFixed(1) ?? '-'} s`,
    );
  }
  const right = rows.filter((r) => (r.faulty ? r.status === 'ROLLED_BACK' : r.status === 'SUCCESS')).length;
  console.log(`all rates: accuracy ${right}/${rows.length} (${((right / rows.length) * 100).toFixed(1)}%)`);
}
