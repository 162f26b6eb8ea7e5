/**
 * A crew agent's report of one stage: the shapes the agents write are shown as tables (checklist,
 * dependencies, test suites, smoke tests); anything else as JSON.
 */

interface ChecklistItem {
  item: string;
  ok: boolean;
  detail?: string;
}
interface Dependency {
  name: string;
  url: string;
  status: string;
  error?: string;
}
interface Suite {
  name: string;
  result: string;
  tests: { passed: number; failed: number; skipped: number; total: number } | null;
}
interface SmokeResult {
  name: string;
  passed: boolean;
  detail?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const arrayOf = <T,>(v: unknown, check: (x: Record<string, unknown>) => boolean): T[] | undefined =>
  Array.isArray(v) && v.every((x) => isObject(x) && check(x)) ? (v as T[]) : undefined;

const asChecklist = (v: unknown) =>
  arrayOf<ChecklistItem>(v, (x) => typeof x.item === 'string' && typeof x.ok === 'boolean');
const asDependencies = (v: unknown) =>
  arrayOf<Dependency>(v, (x) => typeof x.name === 'string' && typeof x.status === 'string');
const asSuites = (v: unknown) =>
  arrayOf<Suite>(v, (x) => typeof x.name === 'string' && (x.tests === null || isObject(x.tests)));
const asSmoke = (v: unknown) =>
  isObject(v)
    ? arrayOf<SmokeResult>(v.results, (x) => typeof x.name === 'string' && typeof x.passed === 'boolean')
    : undefined;

/** ✓ or ✗ with the word for screen readers. */
function Mark({ ok }: { ok: boolean }) {
  return (
    <span class={ok ? 'mark ok' : 'mark bad'} title={ok ? 'passed' : 'failed'}>
      {ok ? '✓' : '✗'}
      <span class="visually-hidden">{ok ? ' passed' : ' failed'}</span>
    </span>
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

/** The report of a stage: its known parts as tables, the rest as JSON. */
export function ReleaseReport({ report }: { report: unknown }) {
  if (!isObject(report)) return <pre class="json">{JSON.stringify(report, null, 2)}</pre>;
  const checklist = asChecklist(report.checklist);
  const dependencies = asDependencies(report.dependencies);
  const suites = asSuites(report.suites);
  const smoke = asSmoke(report.smoke);
  const known = new Set<string>();
  if (checklist) known.add('checklist');
  if (dependencies) known.add('dependencies');
  if (suites) known.add('suites');
  if (smoke) known.add('smoke');
  const rest = Object.fromEntries(Object.entries(report).filter(([k]) => !known.has(k)));

  return (
    <div class="report">
      {checklist && (
        <>
          <h4>Checklist</h4>
          <Checklist items={checklist} />
        </>
      )}
      {dependencies && (
        <>
          <h4>Dependencies</h4>
          <table class="dependencies">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">URL</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {dependencies.map((d) => (
                <tr key={d.name}>
                  <td>{d.name}</td>
                  <td>
                    <code>{d.url}</code>
                  </td>
                  <td>
                    <Mark ok={d.status === 'UP'} /> {d.status}
                    {d.error ? <span class="muted"> {d.error}</span> : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {suites && (
        <>
          <h4>Test suites</h4>
          <table class="suites">
            <thead>
              <tr>
                <th scope="col">Suite</th>
                <th scope="col">Result</th>
                <th scope="col">Passed</th>
                <th scope="col">Failed</th>
                <th scope="col">Skipped</th>
                <th scope="col">Total</th>
              </tr>
            </thead>
            <tbody>
              {suites.map((s) => (
                <tr key={s.name} data-suite={s.name}>
                  <td>{s.name}</td>
                  <td>{s.result}</td>
                  <td>{s.tests?.passed ?? '-'}</td>
                  <td>{s.tests?.failed ?? '-'}</td>
                  <td>{s.tests?.skipped ?? '-'}</td>
                  <td>{s.tests?.total ?? '-'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {smoke && (
        <>
          <h4>Smoke tests</h4>
          <ul class="checklist">
            {smoke.map((s, i) => (
              <li key={i} data-ok={String(s.passed)}>
                <Mark ok={s.passed} /> {s.name}
                {s.detail ? <span class="muted"> ({s.detail})</span> : null}
              </li>
            ))}
          </ul>
        </>
      )}
      {Object.keys(rest).length > 0 && <pre class="json">{JSON.stringify(rest, null, 2)}</pre>}
    </div>
  );
}
