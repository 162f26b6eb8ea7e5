/**
 * A crew agent's report of one stage, as a person reads it: PREPARE's checklist, dependencies and
 * backup; VALIDATE's test suites; STAGING's and DEPLOY's Rollouts, readiness gates, checkpoint,
 * smoke tests, monitoring endpoints and rollback dry-runs; MONITOR's checkpoints and metrics;
 * ROLLBACK's timeline. Plain values are shown as facts; a field no renderer knows is kept as JSON
 * in a collapsed <details>.
 */
import { type ComponentChildren, Fragment } from 'preact';
import { formatDateTime, formatDuration } from '../release-view.js';
import {
  asBackup,
  asChecklist,
  asCheckpoint,
  asDegraded,
  asDependencies,
  asDeploy,
  asDryRun,
  asGates,
  asMetrics,
  asMonitorCheckpoints,
  asMonitoring,
  asSmoke,
  asStrings,
  asSuites,
  asTimeline,
  asVerification,
  type ChecklistItem,
  type DatabaseBackup,
  type DependencyStatus,
  type DeployCheckpoint,
  type DeployReport,
  isObject,
  type Json,
  type MonitorCheckpoint,
  type SmokeResult,
  type SuiteReport,
  type VerificationReport,
} from '../report-shapes.js';
import type { TimelineEntry } from '../types.js';

type Scalar = string | number | boolean | null;
const isScalar = (v: unknown): v is Scalar =>
  v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/** Labels of the plain fields the crew writes; any other field is labelled with its own name. */
const LABELS: Record<string, string> = {
  ready: 'Ready',
  passed: 'Passed',
  verdict: 'Verdict',
  type: 'Type',
  rolledBackTo: 'Rolled back to',
  environment: 'Environment',
  startedAt: 'Started',
  finishedAt: 'Finished',
  at: 'Taken',
  baselineP99Ms: 'Baseline p99',
  healthy: 'Healthy',
  checkedAt: 'Checked',
};

/** A duration in ms as people read it: `850 ms`, `2.4 s`, `3 min`; `-` when absent. */
function formatMs(ms: number | null | undefined): string {
  if (ms == null) return '-';
  return ms < 1000 ? `${Math.round(ms)} ms` : formatDuration(ms / 1000);
}

/** A plain value by its field's name: times (`…At`, ms since the epoch), durations (`…Ms`), ✓/✗. */
function formatValue(key: string, value: Scalar): ComponentChildren {
  if (value === null) return '-';
  if (typeof value === 'boolean') return <Mark ok={value} />;
  if (typeof value === 'number' && /(^at|At)$/.test(key)) return formatDateTime(value);
  if (typeof value === 'number' && key.endsWith('Ms')) return formatMs(value);
  if (typeof value === 'number' && !Number.isInteger(value)) return String(Number(value.toPrecision(4)));
  return String(value);
}

/** ✓ or ✗ with the word for screen readers. */
function Mark({ ok }: { ok: boolean }) {
  return (
    <span class={ok ? 'mark ok' : 'mark bad'} title={ok ? 'passed' : 'failed'}>
      {ok ? '✓' : '✗'}
      <span class="visually-hidden">{ok ? ' passed' : ' failed'}</span>
    </span>
  );
}

/** The plain fields of `value` not in `shown`, as a list of facts. */
function Facts({ value, shown }: { value: Json; shown: ReadonlySet<string> }) {
  const facts = Object.entries(value).filter(
    (e): e is [string, Scalar] => !shown.has(e[0]) && isScalar(e[1]),
  );
  if (facts.length === 0) return null;
  return (
    <dl class="metric-facts report-facts">
      {facts.map(([key, v]) => (
        <div key={key} class="fact" data-fact={key}>
          <dt>{LABELS[key] ?? key}</dt>
          <dd>{formatValue(key, v)}</dd>
        </div>
      ))}
    </dl>
  );
}

/** The structured fields of `value` no renderer showed, as JSON in a collapsed <details>. */
function OtherFields({ value, shown }: { value: Json; shown: ReadonlySet<string> }) {
  const rest = Object.entries(value).filter(([key, v]) => !shown.has(key) && !isScalar(v) && v !== undefined);
  if (rest.length === 0) return null;
  return (
    <details class="raw">
      <summary>Other fields: {rest.map(([key]) => key).join(', ')}</summary>
      <pre class="json">{JSON.stringify(Object.fromEntries(rest), null, 2)}</pre>
    </details>
  );
}

/** A table named by its caption; `head` are the column names. */
function Table({
  caption,
  head,
  class: className,
  children,
}: {
  caption: string;
  head: readonly string[];
  class: string;
  children: ComponentChildren;
}) {
  return (
    <table class={`report-table ${className}`}>
      <caption>{caption}</caption>
      <thead>
        <tr>
          {head.map((h) => (
            <th key={h} scope="col">
              {h}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
}

/** A checklist of `{item, ok, detail}`. */
function Checklist({ items }: { items: ChecklistItem[] }) {
  return (
    <ul class="checklist">
      {items.map((c, i) => (
        <li key={i} data-ok={String(c.ok)}>
          <Mark ok={c.ok} /> {c.item}
          {c.detail ? <span class="muted"> ({c.detail})</span> : null}
        </li>
      ))}
    </ul>
  );
}

function Dependencies({ items }: { items: DependencyStatus[] }) {
  return (
    <Table caption="Dependencies" class="dependencies" head={['Name', 'URL', 'Status', 'HTTP', 'Latency']}>
      {items.map((d) => (
        <tr key={d.name} data-dependency={d.name}>
          <td>{d.name}</td>
          <td>
            <code>{d.url ?? '-'}</code>
          </td>
          <td>
            <Mark ok={d.status === 'UP'} /> {d.status}
            {d.error ? <span class="muted"> {d.error}</span> : null}
          </td>
          <td>{d.httpStatus ?? '-'}</td>
          <td>{formatMs(d.latencyMs)}</td>
        </tr>
      ))}
    </Table>
  );
}

function Suites({ suites, caption = 'Test suites' }: { suites: SuiteReport[]; caption?: string }) {
  if (suites.length === 0) return <p class="muted">No test suite declared.</p>;
  return (
    <Table
      caption={caption}
      class="suites"
      head={['Suite', 'Result', 'Passed', 'Failed', 'Skipped', 'Total', 'Duration', 'Detail']}
    >
      {suites.map((s) => (
        <tr key={s.name} data-suite={s.name} data-result={s.result}>
          <td>{s.name}</td>
          <td>
            <Mark ok={s.result === 'Passed'} /> {s.result}
          </td>
          <td class="num">{s.tests?.passed ?? '-'}</td>
          <td class="num">{s.tests?.failed ?? '-'}</td>
          <td class="num">{s.tests?.skipped ?? '-'}</td>
          <td class="num">{s.tests?.total ?? '-'}</td>
          <td class="num">{formatMs(s.durationMs)}</td>
          <td>
            {s.detail}
            {s.tests === null ? <span class="muted"> (no TAP output: no test counts)</span> : null}
            {(s.failures ?? []).length > 0 && (
              <ul class="failures">
                {s.failures?.map((f) => (
                  <li key={f}>
                    <Mark ok={false} /> {f}
                  </li>
                ))}
              </ul>
            )}
            {s.output ? (
              <details>
                <summary>Output</summary>
                <pre class="output">{s.output}</pre>
              </details>
            ) : null}
          </td>
        </tr>
      ))}
    </Table>
  );
}

function Smoke({ results }: { results: SmokeResult[] }) {
  if (results.length === 0) return <p class="muted">No smoke test declared.</p>;
  return (
    <Table caption="Smoke tests" class="smoke" head={['Test', 'Result', 'Duration', 'Detail']}>
      {results.map((s, i) => (
        <tr key={i} data-smoke={s.name} data-ok={String(s.passed)}>
          <td>{s.name}</td>
          <td>
            <Mark ok={s.passed} /> {s.passed ? 'Passed' : 'Failed'}
          </td>
          <td class="num">{formatMs(s.durationMs)}</td>
          <td>{s.detail ?? ''}</td>
        </tr>
      ))}
    </Table>
  );
}

/** A value of a field the table has no column of its own for. */
function Cell({ value }: { value: unknown }) {
  if (value === undefined) return <td />;
  return <td>{isScalar(value) ? formatValue('', value) : <code>{JSON.stringify(value)}</code>}</td>;
}

const ROLLOUT_COLUMNS = new Set(['name', 'revision', 'phase', 'message']);

/** The Orchestrator's view of one environment: its Rollouts, those waiting, readiness gates, degraded ones. */
function Deploy({ deploy }: { deploy: DeployReport }) {
  // Fields a newer Orchestrator adds to a Rollout get a column each rather than being dropped.
  const extra = [...new Set(deploy.rollouts.flatMap((r) => Object.keys(r)))].filter(
    (k) => !ROLLOUT_COLUMNS.has(k),
  );
  const gates = asGates(deploy.gates);
  const degraded = asDegraded(deploy.degraded);
  const shown = new Set(['environment', 'rollouts', 'waiting']);
  if (gates) shown.add('gates');
  if (degraded) shown.add('degraded');
  const where = deploy.environment ? ` in ${deploy.environment}` : '';
  return (
    <>
      <Table
        caption={`Rollouts${where}`}
        class="rollouts"
        head={['Rollout', 'Revision', 'Phase', 'Message', ...extra]}
      >
        {deploy.rollouts.map((r) => (
          <tr key={r.name} data-rollout={r.name}>
            <td>{r.name}</td>
            <td class="num">{r.revision ?? '-'}</td>
            <td>
              <span class={`phase phase-${r.phase.toLowerCase()}`}>{r.phase}</span>
            </td>
            <td>{r.message ?? ''}</td>
            {extra.map((k) => (
              <Cell key={k} value={r[k]} />
            ))}
          </tr>
        ))}
      </Table>
      {(deploy.waiting ?? []).length > 0 && (
        <p class="waiting">Not started yet (waiting for their dependencies): {deploy.waiting?.join(', ')}</p>
      )}
      {gates && Object.keys(gates).length > 0 && (
        <Table caption="Readiness gates" class="gates" head={['Rollout', 'Holds', 'Detail']}>
          {Object.entries(gates).map(([name, g]) => (
            <tr key={name} data-gate={name}>
              <td>{name}</td>
              <td>
                <Mark ok={g.ok} />
              </td>
              <td>{g.detail ?? ''}</td>
            </tr>
          ))}
        </Table>
      )}
      {degraded && degraded.length > 0 && (
        <Table
          caption="Degraded: back on their previous revision"
          class="degraded"
          head={['Rollout', 'Failed revision', 'Running revision', 'Reason']}
        >
          {degraded.map((d) => (
            <tr key={d.name} data-degraded={d.name}>
              <td>{d.name}</td>
              <td class="num">{d.revision ?? '-'}</td>
              <td class="num">{d.runningRevision ?? '-'}</td>
              <td>{d.reason ?? ''}</td>
            </tr>
          ))}
        </Table>
      )}
      <Facts value={deploy} shown={shown} />
      <OtherFields value={deploy} shown={shown} />
    </>
  );
}

function Backup({ backup }: { backup: DatabaseBackup }) {
  const verified = backup.verification?.verified;
  return (
    <dl class="metric-facts report-facts backup">
      <dt>Backup</dt>
      <dd>
        <code>{backup.file}</code>
        {backup.bytes !== undefined ? ` (${backup.bytes} bytes)` : ''}
      </dd>
      {backup.target && (
        <>
          <dt>Of</dt>
          <dd>
            {backup.kind ? `${backup.kind} ` : ''}
            <code>{backup.target}</code>
          </dd>
        </>
      )}
      {backup.sha256 && (
        <>
          <dt>SHA-256</dt>
          <dd>
            <code title={backup.sha256}>{backup.sha256.slice(0, 12)}…</code>
          </dd>
        </>
      )}
      <dt>Verified</dt>
      <dd>
        {verified === undefined ? '-' : <Mark ok={verified} />} {backup.verification?.detail ?? ''}
      </dd>
    </dl>
  );
}

function Checkpoint({ checkpoint }: { checkpoint: DeployCheckpoint }) {
  const backup = asBackup(checkpoint.backup);
  return (
    <section class="report-part checkpoint">
      <h4>Checkpoint</h4>
      <dl class="metric-facts report-facts">
        {checkpoint.at !== undefined && (
          <>
            <dt>Taken</dt>
            <dd>{formatDateTime(checkpoint.at)}</dd>
          </>
        )}
        <dt>Baseline p99</dt>
        <dd>{formatMs(checkpoint.baselineP99Ms)}</dd>
      </dl>
      <Table
        caption="Revisions to return to"
        class="checkpoint-rollouts"
        head={['Rollout', 'Stable revision', 'Revisions', 'Spec']}
      >
        {checkpoint.rollouts.map((r) => (
          <tr key={r.name} data-rollout={r.name}>
            <td>{r.name}</td>
            <td class="num">{r.stableRevision ?? 'none'}</td>
            <td>{(r.revisions ?? []).join(', ') || '-'}</td>
            <td>
              {r.spec == null ? (
                '-'
              ) : (
                <details class="raw">
                  <summary>spec</summary>
                  <pre class="json">{JSON.stringify(r.spec, null, 2)}</pre>
                </details>
              )}
            </td>
          </tr>
        ))}
      </Table>
      {backup && <Backup backup={backup} />}
    </section>
  );
}

function Verification({ verification }: { verification: VerificationReport & Json }) {
  const smoke = asSmoke(verification.smoke);
  const monitoring = asMonitoring(verification.monitoring);
  const dryRun = asDryRun(verification.dryRun);
  const shown = new Set<string>();
  if (smoke) shown.add('smoke');
  if (monitoring) shown.add('monitoring');
  if (dryRun) shown.add('dryRun');
  return (
    <section class="report-part verification">
      <h4>Verification</h4>
      <Facts value={verification} shown={shown} />
      {smoke && <Smoke results={smoke} />}
      {monitoring && monitoring.length > 0 && (
        <Table caption="Monitoring endpoints" class="monitoring" head={['Endpoint', 'Answered', 'Detail']}>
          {monitoring.map((m) => (
            <tr key={m.endpoint}>
              <td>
                <code>{m.endpoint}</code>
              </td>
              <td>
                <Mark ok={m.ok} />
              </td>
              <td>{m.detail ?? ''}</td>
            </tr>
          ))}
        </Table>
      )}
      {dryRun && dryRun.length > 0 && (
        <Table
          caption="Rollback dry-run"
          class="dry-run"
          head={['Rollout', 'Previous revision', 'Starts', 'Duration', 'Detail']}
        >
          {dryRun.map((d) => (
            <tr key={d.rollout} data-rollout={d.rollout}>
              <td>{d.rollout}</td>
              <td class="num">{d.revision ?? 'none'}</td>
              <td>{d.result === null ? '-' : <Mark ok={d.result.ready} />}</td>
              <td class="num">{formatMs(d.result?.durationMs)}</td>
              <td>{d.result === null ? 'no previous revision' : (d.result.detail ?? '')}</td>
            </tr>
          ))}
        </Table>
      )}
      <OtherFields value={verification} shown={shown} />
    </section>
  );
}

function MonitorCheckpoints({ checkpoints }: { checkpoints: MonitorCheckpoint[] }) {
  return (
    <Table
      caption="Checkpoints"
      class="monitor-checkpoints"
      head={['Checkpoint', 'At', 'Verdict', 'Findings']}
    >
      {checkpoints.map((c) => (
        <tr key={c.checkpointS} data-checkpoint={c.checkpointS} data-verdict={c.verdict}>
          <td>{formatDuration(c.checkpointS)} after DEPLOY</td>
          <td>{c.at === undefined ? '-' : formatDateTime(c.at)}</td>
          <td>
            <Mark ok={c.verdict === 'ok'} /> {c.verdict}
          </td>
          <td>
            {c.findings.length === 0 ? (
              <span class="muted">none</span>
            ) : (
              <ul class="findings">
                {c.findings.map((f, i) => (
                  <li key={i} data-level={f.level}>
                    <strong>{f.level}</strong> {f.message}
                  </li>
                ))}
              </ul>
            )}
          </td>
        </tr>
      ))}
    </Table>
  );
}

function Metrics({ metrics }: { metrics: Record<string, number | null> }) {
  const entries = Object.entries(metrics);
  if (entries.length === 0) return null;
  return (
    <Table caption="Metrics" class="metrics" head={['Metric', 'Value']}>
      {entries.map(([name, value]) => (
        <tr key={name} data-metric={name}>
          <td>{name}</td>
          <td class="num">{value === null ? 'not measured' : formatValue(name, value)}</td>
        </tr>
      ))}
    </Table>
  );
}

/** The rollback's steps, oldest first, each with its time. */
function Timeline({ entries }: { entries: TimelineEntry[] }) {
  return (
    <section class="report-part">
      <h4>Timeline</h4>
      <ol class="events timeline" aria-label="Rollback timeline">
        {entries.map((e, i) => (
          <li key={`${e.at}-${i}`} data-reason={e.reason}>
            <time dateTime={new Date(e.at).toISOString()}>{formatDateTime(e.at)}</time>{' '}
            {e.actor && <span class="actor">{e.actor}</span>} <strong>{e.reason}</strong> {e.message}
          </li>
        ))}
      </ol>
    </section>
  );
}

/**
 * One part of a report: the field it shows, how it is recognised (`undefined`: not this shape, the
 * field is left to the JSON) and how it is shown. A known field that is `null` is not shown: the
 * report's checklist says why (e.g. no database declared).
 */
interface Part<T> {
  key: string;
  read: (v: unknown) => T | undefined;
  render: (value: T) => ComponentChildren;
}
const part = <T,>(p: Part<T>): Part<unknown> => p as Part<unknown>;

/** In the order they are shown; plain fields come first, as facts. */
const PARTS: readonly Part<unknown>[] = [
  part({ key: 'checklist', read: asChecklist, render: (items) => <Checklist items={items} /> }),
  part({ key: 'dependencies', read: asDependencies, render: (items) => <Dependencies items={items} /> }),
  part({ key: 'backup', read: asBackup, render: (b) => <Backup backup={b} /> }),
  part({
    key: 'tests',
    read: (v) => (isObject(v) ? asSuites(v.suites) : undefined),
    render: (suites) => <Suites suites={suites} />,
  }),
  part({ key: 'suites', read: asSuites, render: (suites) => <Suites suites={suites} /> }),
  part({ key: 'deploy', read: asDeploy, render: (d) => <Deploy deploy={d} /> }),
  part({ key: 'checkpoint', read: asCheckpoint, render: (c) => <Checkpoint checkpoint={c} /> }),
  part({
    key: 'migrationOutput',
    read: (v) => (typeof v === 'string' ? v : undefined),
    render: (text) =>
      text === '' ? null : (
        <details class="migration-output">
          <summary>Migration output</summary>
          <pre class="output">{text}</pre>
        </details>
      ),
  }),
  part({
    key: 'verification',
    read: asVerification,
    render: (v) => <Verification verification={v as VerificationReport & Json} />,
  }),
  part({
    key: 'checkpoints',
    read: asMonitorCheckpoints,
    render: (c) => <MonitorCheckpoints checkpoints={c} />,
  }),
  part({ key: 'metrics', read: asMetrics, render: (m) => <Metrics metrics={m} /> }),
  part({
    key: 'issues',
    read: asStrings,
    render: (issues) =>
      issues.length === 0 ? null : (
        <section class="report-part">
          <h4>Issues</h4>
          <ul class="issues">
            {issues.map((issue, i) => (
              <li key={i}>{issue}</li>
            ))}
          </ul>
        </section>
      ),
  }),
  part({ key: 'timeline', read: asTimeline, render: (entries) => <Timeline entries={entries} /> }),
  part({ key: 'smoke', read: asSmoke, render: (results) => <Smoke results={results} /> }),
];

/** The report of a stage: its known parts as facts, checklists, tables and a timeline; the rest as JSON. */
export function ReleaseReport({ report }: { report: unknown }) {
  if (!isObject(report))
    return (
      <details class="raw">
        <summary>Report</summary>
        <pre class="json">{JSON.stringify(report, null, 2)}</pre>
      </details>
    );
  const shown = new Set<string>();
  const parts: ComponentChildren[] = [];
  for (const p of PARTS) {
    if (!(p.key in report)) continue;
    const value = report[p.key];
    if (value === null) {
      shown.add(p.key);
      continue;
    }
    const read = p.read(value);
    if (read === undefined) continue;
    shown.add(p.key);
    parts.push(<Fragment key={p.key}>{p.render(read)}</Fragment>);
  }
  return (
    <div class="report">
      <Facts value={report} shown={shown} />
      {parts}
      <OtherFields value={report} shown={shown} />
    </div>
  );
}
