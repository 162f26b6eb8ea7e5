import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError, api, type Operation } from '../api.js';
import { mayOperate } from '../auth.js';
import {
  canaryWeights,
  formatTime,
  revisionRole,
  stepLabel,
  stepProgress,
  strategyName,
} from '../rollout-view.js';
import type {
  AnalysisRun,
  HandoffRun,
  Revision,
  RolloutResource,
  StatsPoint,
  StoredEvent,
  Whoami,
} from '../types.js';
import { AnalysisRuns } from './analysis-runs.js';
import { ConfirmDialog } from './confirm-dialog.js';
import { Handoffs } from './handoffs.js';
import { PhaseBadge } from './phase-badge.js';
import { TrafficCharts } from './traffic-charts.js';

interface RolloutPageProps {
  name: string;
  identity: Whoami;
  /** Bumped by the live stream when something about this rollout happened: refetch. */
  tick: number;
  onError: (error: unknown) => void;
}

interface Data {
  rollout: RolloutResource;
  revisions: Revision[];
  runs: AnalysisRun[];
  events: StoredEvent[];
  handoffs: HandoffRun[];
}

/** Statistics and running analyses change without an event; they are refreshed this often, ms. */
const STATS_PERIOD_MS = 2000;

const OPERATION_TEXT: Record<Operation, { label: string; verb: string; explain: string; danger?: boolean }> =
  {
    promote: { label: 'Promote', verb: 'Promote', explain: 'Go on to the next step (ends a pause).' },
    promoteFull: {
      label: 'Promote full',
      verb: 'Promote full',
      explain: 'Skip the remaining steps and analyses and send all traffic to the new revision.',
    },
    abort: {
      label: 'Abort',
      verb: 'Abort',
      explain: 'Stop the update and send all traffic back to the stable revision.',
      danger: true,
    },
    retry: { label: 'Retry', verb: 'Retry', explain: 'Start the aborted update again from the first step.' },
    undo: {
      label: 'Undo',
      verb: 'Undo',
      explain: 'Roll back to the previous revision (a new update with its template).',
      danger: true,
    },
  };

/** The API's code for a Rollout whose traffic the router does not carry (the kubernetes platform). */
const BUILTIN_METRICS_UNAVAILABLE = 'CUTOVER_E_BUILTIN_METRICS_UNAVAILABLE';

/** One rollout: steps, weights, traffic, analysis, revisions, history and the operations. */
export function RolloutPage({ name, identity, tick, onError }: RolloutPageProps) {
  const [data, setData] = useState<Data | null>(null);
  const [missing, setMissing] = useState(false);
  const [stats, setStats] = useState<StatsPoint[] | undefined>(undefined);
  /** Why the router has no traffic of this Rollout (it runs on Kubernetes), when so. */
  const [noTraffic, setNoTraffic] = useState<string | null>(null);
  const [pending, setPending] = useState<Operation | null>(null);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<ApiError | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const [rollout, revisions, runs, events] = await Promise.all([
        api.rollout(name),
        api.revisions(name),
        api.analysisRuns(name),
        api.events(name),
      ]);
      const handoffs = rollout.spec.handoff === undefined ? [] : await api.handoffs(name);
      setData({ rollout, revisions, runs, events, handoffs });
      setMissing(false);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) setMissing(true);
      else onError(error);
    }
  }, [name, onError]);

  useEffect(() => {
    void load();
  }, [load, tick]);

  useEffect(() => {
    let stopped = false;
    let unavailable = false;
    setNoTraffic(null);
    const refresh = async () => {
      try {
        if (!unavailable) {
          const points = await api.stats(name);
          if (!stopped) setStats(points);
        }
      } catch (error) {
        // A Rollout on the kubernetes platform: its traffic never passes the router; said once.
        if (error instanceof ApiError && error.code === BUILTIN_METRICS_UNAVAILABLE) {
          unavailable = true;
          if (!stopped) setNoTraffic(error.message);
        } else if (!stopped) onError(error);
      }
      try {
        const runs = await api.analysisRuns(name);
        if (!stopped) setData((d) => (d ? { ...d, runs } : d));
      } catch {
        // The next live refresh reports it.
      }
    };
    void refresh();
    const timer = setInterval(() => void refresh(), STATS_PERIOD_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [name, onError]);

  const run = async (operation: Operation) => {
    setBusy(true);
    setActionError(null);
    setNotice(null);
    try {
      await api.operate(name, operation);
      setNotice(`${OPERATION_TEXT[operation].verb}: done.`);
      await load();
    } catch (error) {
      setActionError(
        error instanceof ApiError ? error : new ApiError(0, 'CUTOVER_E_UNKNOWN', (error as Error).message),
      );
    } finally {
      setBusy(false);
    }
  };

  if (missing)
    return (
      <main>
        <h1>{name}</h1>
        <p role="alert">Rollout {name} does not exist.</p>
        <a href="#/">All rollouts</a>
      </main>
    );
  if (!data)
    return (
      <main>
        <h1>{name}</h1>
        <p>Loading…</p>
      </main>
    );

  const { rollout: r, revisions, runs, events } = data;
  const s = r.status;
  const steps = r.spec.strategy.canary?.steps ?? [];
  const blueGreen = r.spec.strategy.blueGreen;
  const owned = runs.filter((run) => run.rollout === name);
  const weights = canaryWeights(r);

  return (
    <main class="rollout-page">
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href="#/">Rollouts</a> / <span aria-current="page">{name}</span>
      </nav>
      <header class="rollout-head">
        <h1>{name}</h1>
        <PhaseBadge phase={s.phase} />
        <span class="muted">
          {strategyName(r)} · step {stepProgress(r)} · revision {s.currentRevision}
          {s.stableRevision !== null && s.stableRevision !== s.currentRevision
            ? ` (stable ${s.stableRevision})`
            : ''}{' '}
          · ready {s.readyReplicas}/{s.replicas}
        </span>
      </header>
      {s.message && <p class="status-message">{s.message}</p>}

      {mayOperate(identity) && (
        <section class="operations" aria-label="Operations">
          {(Object.keys(OPERATION_TEXT) as Operation[]).map((op) => (
            <button
              key={op}
              type="button"
              class={OPERATION_TEXT[op].danger ? 'danger' : op === 'promote' ? 'primary' : ''}
              disabled={busy}
              onClick={() => setPending(op)}
            >
              {OPERATION_TEXT[op].label}
            </button>
          ))}
        </section>
      )}
      {actionError && (
        <p class="error" role="alert">
          {actionError.message} <code>{actionError.code}</code>
          {actionError.path ? ` (field ${actionError.path})` : ''}
        </p>
      )}
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}

      <div class="grid">
        <section aria-labelledby="weights-h" class="card">
          <h2 id="weights-h">Weights</h2>
          {blueGreen ? (
            <dl class="weights">
              <dt>active</dt>
              <dd data-weight="active">
                revision {s.activeRevision ?? s.stableRevision ?? '-'} on port {r.spec.port}
              </dd>
              <dt>preview</dt>
              <dd data-weight="preview">
                {s.previewRevision !== null
                  ? `revision ${s.previewRevision}${blueGreen.previewPort ? ` on port ${blueGreen.previewPort}` : ''}`
                  : 'none'}
              </dd>
            </dl>
          ) : (
            <>
              <dl class="weights">
                <dt>stable</dt>
                <dd data-weight="stable">{weights.stable}%</dd>
                <dt>canary</dt>
                <dd data-weight="canary">{weights.canary}%</dd>
              </dl>
              <div class="weight-bar" aria-hidden="true">
                <span class="weight-stable" style={{ width: `${weights.stable}%` }} />
                <span class="weight-canary" style={{ width: `${weights.canary}%` }} />
              </div>
            </>
          )}
        </section>

        {steps.length > 0 && (
          <section aria-labelledby="steps-h" class="card">
            <h2 id="steps-h">Steps</h2>
            <ol class="steps">
              {steps.map((step, i) => {
                const index = s.currentStepIndex ?? 0;
                const state = i < index ? 'done' : i === index ? 'current' : 'todo';
                return (
                  <li
                    key={i}
                    class={`step step-${state}`}
                    aria-current={state === 'current' ? 'step' : undefined}
                  >
                    {stepLabel(step)}
                  </li>
                );
              })}
            </ol>
          </section>
        )}
      </div>

      <section aria-labelledby="traffic-h">
        <h2 id="traffic-h">Traffic per revision</h2>
        {noTraffic !== null ? (
          <p class="no-traffic">{noTraffic}</p>
        ) : stats === undefined ? (
          <p>Loading…</p>
        ) : (
          <TrafficCharts points={stats} roleOf={(rev) => revisionRole(r, rev)} />
        )}
      </section>

      <section aria-labelledby="analysis-h">
        <h2 id="analysis-h">Analysis runs</h2>
        <AnalysisRuns runs={owned} />
      </section>

      {r.spec.handoff !== undefined && (
        <section aria-labelledby="handoff-h">
          <h2 id="handoff-h">Coordination handoff</h2>
          <p>
            Active replica:{' '}
            {r.status.activeReplica
              ? `${r.status.activeReplica.id} (revision ${r.status.activeReplica.revision})`
              : 'none yet (requests are held)'}
          </p>
          <Handoffs runs={data.handoffs} />
        </section>
      )}

      <div class="grid">
        <section aria-labelledby="revisions-h" class="card">
          <h2 id="revisions-h">Revisions</h2>
          <table>
            <thead>
              <tr>
                <th scope="col">Revision</th>
                <th scope="col">Role</th>
                <th scope="col">Hash</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {[...revisions].reverse().map((v) => (
                <tr key={v.number}>
                  <td>{v.number}</td>
                  <td>{revisionRole(r, v.number)}</td>
                  <td>
                    <code>{v.hash}</code>
                  </td>
                  <td>{formatTime(v.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        <section aria-labelledby="history-h" class="card history">
          <h2 id="history-h">History</h2>
          <ol class="events" reversed>
            {[...events].reverse().map((e) => (
              <li key={e.id} class={e.type === 'Warning' ? 'warning' : ''}>
                <time dateTime={new Date(e.time).toISOString()}>{formatTime(e.time)}</time>{' '}
                <span class="actor">{e.actor}</span> <strong>{e.reason}</strong> {e.message}
              </li>
            ))}
          </ol>
        </section>
      </div>

      {pending && (
        <ConfirmDialog
          title={`${OPERATION_TEXT[pending].verb} ${name}?`}
          confirmLabel={OPERATION_TEXT[pending].verb}
          danger={OPERATION_TEXT[pending].danger ?? false}
          onCancel={() => setPending(null)}
          onConfirm={() => {
            const op = pending;
            setPending(null);
            void run(op);
          }}
        >
          <p>{OPERATION_TEXT[pending].explain}</p>
        </ConfirmDialog>
      )}
    </main>
  );
}
