import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api, type Decision } from '../api.js';
import { mayApprove } from '../auth.js';
import { currentStepIndex, formatDateTime, formatDuration, resultOf } from '../release-view.js';
import type { ReleaseView, Whoami } from '../types.js';
import { ConfirmDialog } from './confirm-dialog.js';
import { PhaseBadge } from './phase-badge.js';
import { PlanGraph } from './plan-graph.js';
import { ReleaseReport } from './release-report.js';

interface ReleasePageProps {
  name: string;
  identity: Whoami;
  /** Bumped by the live stream when something may have changed: refetch. */
  tick: number;
  onError: (error: unknown) => void;
}

/** Crew agents work without writing an event for every step; the page also polls this often, ms. */
const POLL_MS = 2000;

const DECISION_TEXT: Record<Decision, { label: string; explain: string; danger?: boolean }> = {
  approve: {
    label: 'Approve',
    explain: 'Record your approval; the release deploys once every approval is in.',
  },
  reject: {
    label: 'Reject',
    explain: 'Reject the release: it ends as REJECTED and is not deployed.',
    danger: true,
  },
};

/**
 * One release: its plan graph (per environment), its stage progress, the crew agents' reports, approvals, rejections, incidents and
 * history; Approve and Reject for an approver whose approval is missing.
 */
export function ReleasePage({ name, identity, tick, onError }: ReleasePageProps) {
  const [release, setRelease] = useState<ReleaseView | null>(null);
  const [missing, setMissing] = useState(false);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const [comment, setComment] = useState('');
  const [commentError, setCommentError] = useState<string | null>(null);
  const [pending, setPending] = useState<Decision | null>(null);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<ApiError | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const commentRef = useRef<HTMLTextAreaElement>(null);

  const load = useCallback(async () => {
    try {
      setRelease(await api.release(name));
      setMissing(false);
      setLoadError(null);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) setMissing(true);
      else if (error instanceof ApiError && error.status !== 401) setLoadError(error);
      else onError(error);
    }
  }, [name, onError]);

  useEffect(() => {
    void load();
  }, [load, tick]);

  useEffect(() => {
    const timer = setInterval(() => void load(), POLL_MS);
    return () => clearInterval(timer);
  }, [load]);

  const ask = (decision: Decision) => {
    setNotice(null);
    if (comment.trim() === '') {
      setCommentError(`A comment is required to ${decision}.`);
      commentRef.current?.focus();
      return;
    }
    setCommentError(null);
    setPending(decision);
  };

  const decide = async (decision: Decision) => {
    setBusy(true);
    setActionError(null);
    setNotice(null);
    try {
      setRelease(await api.decide(name, decision, comment.trim()));
      setComment('');
      setNotice(decision === 'approve' ? 'Approval recorded.' : 'Rejection recorded.');
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
        <p role="alert">Release {name} does not exist.</p>
        <a href="#/releases">All releases</a>
      </main>
    );
  if (!release)
    return (
      <main>
        <h1>{name}</h1>
        {loadError ? <ErrorLine error={loadError} /> : <p>Loading…</p>}
      </main>
    );

  const r = release;
  const current = currentStepIndex(r);
  const reports = r.stageResults.filter((s) => s.report !== undefined && s.report !== null);

  return (
    <main class="release-page">
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href="#/releases">Releases</a> / <span aria-current="page">{name}</span>
      </nav>
      <header class="rollout-head release-head">
        <h1>{name}</h1>
        <span data-status={r.status}>
          <PhaseBadge phase={r.status} />
        </span>
        <span class="muted">
          version {r.version} · {r.type} · {r.stage} in {r.environment} · created by {r.createdBy}{' '}
          {formatDateTime(r.createdAt)}
          {r.team ? ` · team ${r.team}` : ''}
        </span>
      </header>
      <p class="status-message">
        Services: {r.rollouts.join(', ') || '-'} · environments: {r.environments.join(' → ')}
        {r.waitingUntil !== null
          ? ` · waiting for the window at ${r.waitingUntilText ?? formatDateTime(r.waitingUntil)}`
          : ''}
      </p>
      {loadError && <ErrorLine error={loadError} />}

      {mayApprove(identity, r) && (
        <section class="card decision" aria-labelledby="decision-h">
          <h2 id="decision-h">Your decision ({identity.qualifier})</h2>
          <label for="decision-comment">Comment (required)</label>
          <textarea
            id="decision-comment"
            ref={commentRef}
            rows={2}
            required
            aria-invalid={commentError ? 'true' : undefined}
            aria-describedby={commentError ? 'decision-comment-error' : undefined}
            value={comment}
            onInput={(e) => setComment(e.currentTarget.value)}
          />
          {commentError && (
            <p id="decision-comment-error" class="error" role="alert">
              {commentError}
            </p>
          )}
          <div class="operations">
            <button type="button" class="primary" disabled={busy} onClick={() => ask('approve')}>
              Approve
            </button>
            <button type="button" class="danger" disabled={busy} onClick={() => ask('reject')}>
              Reject
            </button>
          </div>
        </section>
      )}
      {actionError && <ErrorLine error={actionError} />}
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}

      {(r.progress ?? []).length > 0 && (
        <section aria-labelledby="plan-h" class="card">
          <h2 id="plan-h">Plan</h2>
          {r.progress.map((p) => (
            <PlanGraph key={p.environment} progress={p} />
          ))}
        </section>
      )}

      <div class="grid">
        <section aria-labelledby="progress-h" class="card">
          <h2 id="progress-h">Stage progress</h2>
          <ol class="steps release-steps">
            {r.plan.map((step, i) => {
              const result = resultOf(step, r.stageResults);
              const state = i === current ? 'current' : result ? 'done' : 'todo';
              return (
                <li
                  key={`${step.stage}@${step.environment}`}
                  class={`step step-${state}`}
                  data-stage={step.stage}
                  data-environment={step.environment}
                  data-result={result?.result ?? ''}
                  aria-current={state === 'current' ? 'step' : undefined}
                >
                  {step.stage} <span class="muted">in {step.environment}</span>{' '}
                  {result ? <PhaseBadge phase={result.result} /> : state === 'current' ? r.status : null}
                  {(result?.reason ?? step.skip) && (
                    <span class="muted step-reason"> {result?.reason ?? step.skip}</span>
                  )}
                </li>
              );
            })}
          </ol>
          {r.rollback && (
            <p class="failure">
              Rollback ({r.rollback.type}) by {r.rollback.actor} at {formatDateTime(r.rollback.at)}:{' '}
              {r.rollback.reason}
            </p>
          )}
        </section>

        <section aria-labelledby="approvals-h" class="card">
          <h2 id="approvals-h">Approvals</h2>
          <p class="muted">
            Required: {r.approval.required.join(', ') || 'none'}
            {r.approval.satisfied
              ? ' · satisfied'
              : r.approval.missing.length > 0
                ? ` · missing: ${r.approval.missing.join(', ')}`
                : ''}
          </p>
          {r.approvals.length === 0 ? (
            <p>No approvals yet.</p>
          ) : (
            <table class="approvals">
              <thead>
                <tr>
                  <th scope="col">Who</th>
                  <th scope="col">Role</th>
                  <th scope="col">When</th>
                  <th scope="col">Comment</th>
                </tr>
              </thead>
              <tbody>
                {r.approvals.map((a) => (
                  <tr key={`${a.actor}@${a.at}`} data-approval={a.actor}>
                    <td>{a.actor}</td>
                    <td>
                      {a.role} / {a.qualifier}
                    </td>
                    <td>{formatDateTime(a.at)}</td>
                    <td>{a.comment}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {r.rejections.length > 0 && (
            <>
              <h3>Rejections</h3>
              <table class="rejections">
                <thead>
                  <tr>
                    <th scope="col">Who</th>
                    <th scope="col">Role</th>
                    <th scope="col">When</th>
                    <th scope="col">Comment</th>
                  </tr>
                </thead>
                <tbody>
                  {r.rejections.map((a) => (
                    <tr key={`${a.actor}@${a.at}`} data-rejection={a.actor}>
                      <td>{a.actor}</td>
                      <td>
                        {a.role}
                        {a.qualifier ? ` / ${a.qualifier}` : ''}
                      </td>
                      <td>{formatDateTime(a.at)}</td>
                      <td>{a.comment}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
        </section>
      </div>

      <section aria-labelledby="reports-h">
        <h2 id="reports-h">Crew reports</h2>
        {reports.length === 0 ? (
          <p class="muted">No reports yet.</p>
        ) : (
          <div class="runs">
            {reports.map((s) => (
              <article
                key={`${s.stage}@${s.environment}@${s.at}`}
                class="run"
                data-report={s.stage}
                aria-label={`${s.stage} in ${s.environment}`}
              >
                <h3>
                  {s.stage} <span class="muted">in {s.environment}</span> <PhaseBadge phase={s.result} />{' '}
                  <span class="muted">{formatDateTime(s.at)}</span>
                </h3>
                {s.reason && <p class="run-message">{s.reason}</p>}
                <ReleaseReport report={s.report} />
              </article>
            ))}
          </div>
        )}
      </section>

      {(r.incidents.length > 0 || r.record) && (
        <section aria-labelledby="records-h">
          <h2 id="records-h">Records</h2>
          {r.record && (
            <div class="card" data-record={r.record.release}>
              <h3>
                Deployment record <PhaseBadge phase={r.record.status} />
              </h3>
              <p>{r.record.summary}</p>
              {r.record.issues.length > 0 && (
                <ul>
                  {r.record.issues.map((issue, i) => (
                    <li key={i}>{issue}</li>
                  ))}
                </ul>
              )}
            </div>
          )}
          {r.incidents.length > 0 && (
            <table class="incidents">
              <caption>Incidents</caption>
              <thead>
                <tr>
                  <th scope="col">Incident</th>
                  <th scope="col">Trigger</th>
                  <th scope="col">Reason</th>
                  <th scope="col">Rollback</th>
                  <th scope="col">Detected</th>
                  <th scope="col">Restored in</th>
                  <th scope="col">Status</th>
                </tr>
              </thead>
              <tbody>
                {r.incidents.map((i) => (
                  <tr key={i.name} data-incident={i.name}>
                    <td>{i.name}</td>
                    <td>{i.trigger}</td>
                    <td>{i.reason}</td>
                    <td>
                      {i.rollbackType} to {i.rolledBackTo} <span class="muted">by {i.actor}</span>
                    </td>
                    <td>{formatDateTime(i.detectedAt)}</td>
                    <td>
                      {i.resolvedAt === null ? '-' : formatDuration((i.resolvedAt - i.detectedAt) / 1000)}
                    </td>
                    <td>
                      <PhaseBadge phase={i.status} />
                      {i.escalated ? <span class="attention"> escalated</span> : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}

      <section aria-labelledby="release-history-h" class="card history">
        <h2 id="release-history-h">History</h2>
        <ol class="events" reversed>
          {[...r.history].reverse().map((e, i) => (
            <li key={`${e.at}-${i}`}>
              <time dateTime={new Date(e.at).toISOString()}>{formatDateTime(e.at)}</time>{' '}
              {e.actor && <span class="actor">{e.actor}</span>} <strong>{e.reason}</strong> {e.from.stage}/
              {e.from.status} → {e.to.stage}/{e.to.status} {e.message}
            </li>
          ))}
        </ol>
      </section>

      {pending && (
        <ConfirmDialog
          title={`${DECISION_TEXT[pending].label} ${name}?`}
          confirmLabel={DECISION_TEXT[pending].label}
          danger={DECISION_TEXT[pending].danger ?? false}
          onCancel={() => setPending(null)}
          onConfirm={() => {
            const decision = pending;
            setPending(null);
            void decide(decision);
          }}
        >
          <p>{DECISION_TEXT[pending].explain}</p>
          <p>
            Comment: <q>{comment.trim()}</q>
          </p>
        </ConfirmDialog>
      )}
    </main>
  );
}

/** An API error in the page: its message, stable code and field. */
function ErrorLine({ error }: { error: ApiError }) {
  return (
    <p class="error" role="alert">
      {error.message} <code>{error.code}</code>
      {error.path ? ` (field ${error.path})` : ''}
    </p>
  );
}
