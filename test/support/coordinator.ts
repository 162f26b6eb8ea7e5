import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Pool, request } from 'undici';
import { type CutoverEnv, REPO_ROOT } from './cutover-env.js';

const COORDINATOR = join(REPO_ROOT, 'examples', 'coordinator-agent', 'server.mjs');

/** The sample coordinator agent as a template: a model load behind a startupProbe. */
export function coordinatorTemplate(
  env: CutoverEnv,
  version: string,
  extraEnv: Record<string, string> = {},
): Record<string, unknown> {
  const cwd = env.path('replicas');
  mkdirSync(cwd, { recursive: true });
  return {
    command: ['node', COORDINATOR],
    cwd,
    env: { VERSION: version, MODEL_LOAD_MS: '300', ...extraEnv },
    startupProbe: { httpGet: { path: '/healthz/startup' }, periodSeconds: 1, failureThreshold: 30 },
    readinessProbe: { httpGet: { path: '/healthz/ready' }, periodSeconds: 1 },
    livenessProbe: { httpGet: { path: '/healthz' }, periodSeconds: 1, failureThreshold: 3 },
    terminationGracePeriodSeconds: 5,
  };
}

/** The seed's coordination handoff protocol, spoken to the sample coordinator. */
export function coordinatorHandoff(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    singleton: true,
    prepare: { httpGet: { path: '/api/v1/coordination/prepare-handoff', method: 'POST' } },
    export: { httpGet: { path: '/api/v1/coordination/export' } },
    import: { httpGet: { path: '/api/v1/coordination/import', method: 'POST' } },
    activate: { httpGet: { path: '/api/v1/coordination/activate', method: 'POST' } },
    verify: {
      httpGet: { path: '/api/v1/coordination/status' },
      jsonPath: '{$.active}',
      successCondition: 'result == true',
    },
    shutdown: { httpGet: { path: '/api/v1/coordination/shutdown', method: 'POST' } },
    timeoutSeconds: 3,
    ...extra,
  };
}

/**
 * Session traffic: `workers` clients, each owning its own sessions (named `<prefix>-w<n>-s<m>`),
 * incrementing them one request at a time through the router. Every answer's counter must be the session's count so far: a lost
 * or duplicated state shows as a mismatch.
 */
export function sessionTraffic(port: number, prefix: string, workers = 4, sessionsPerWorker = 5) {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: workers });
  const counts = new Map<string, number>();
  const failures: string[] = [];
  const mismatches: string[] = [];
  let ok = 0;
  let running = true;
  const loop = async (w: number): Promise<void> => {
    let i = 0;
    while (running) {
      const session = `${prefix}-w${w}-s${i++ % sessionsPerWorker}`;
      try {
        const res = await pool.request({
          path: `/api/v1/sessions/${session}/increment`,
          method: 'POST',
          headersTimeout: 20_000,
          bodyTimeout: 20_000,
        });
        const text = await res.body.text();
        if (res.statusCode !== 200) {
          failures.push(`${session}: HTTP ${res.statusCode} ${text.trim()}`);
          continue;
        }
        const expected = (counts.get(session) ?? 0) + 1;
        const counter = (JSON.parse(text) as { counter: number }).counter;
        counts.set(session, counter);
        if (counter !== expected) mismatches.push(`${session}: got ${counter}, expected ${expected}`);
        ok++;
      } catch (error) {
        failures.push(`${session}: ${String(error)}`);
      }
    }
  };
  const loops = Array.from({ length: workers }, (_, w) => loop(w));
  return {
    get ok() {
      return ok;
    },
    failures,
    mismatches,
    counts,
    async stop(): Promise<void> {
      running = false;
      await Promise.all(loops);
      await pool.close();
    },
  };
}

/** One coordinator's `GET /api/v1/coordination/status`, or undefined when it does not answer. */
export async function coordinationStatus(
  port: number,
): Promise<
  { active: boolean; version: string; replica: string; shutDown: boolean; imports: number } | undefined
> {
  try {
    const res = await request(`http://127.0.0.1:${port}/api/v1/coordination/status`, {
      headersTimeout: 1_000,
      bodyTimeout: 1_000,
    });
    const text = await res.body.text();
    return res.statusCode === 200 ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Polls every replica's coordination status every 50 ms (ports from the data plane's replica sets)
 * and records the most coordinators seen active at one instant.
 */
export function activePoller(env: CutoverEnv, rollout: string) {
  let maxActive = 0;
  let polls = 0;
  const seenActive = new Set<string>();
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const { items } = await env.apiGet<{
          items: { replicaStatuses: { port: number; pid: number | null }[] }[];
        }>(`/api/v1/rollouts/${rollout}/replicasets`);
        const ports = items.flatMap((s) =>
          s.replicaStatuses.filter((r) => r.pid !== null).map((r) => r.port),
        );
        const statuses = await Promise.all(ports.map((p) => coordinationStatus(p)));
        const active = statuses.filter((s) => s?.active === true);
        for (const s of active) seenActive.add(`${s!.replica}@${s!.version}`);
        maxActive = Math.max(maxActive, active.length);
        polls++;
      } catch {
        // The server may be restarting.
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    get maxActive() {
      return maxActive;
    },
    get polls() {
      return polls;
    },
    seenActive,
    async stop(): Promise<void> {
      running = false;
      await loop;
    },
  };
}
