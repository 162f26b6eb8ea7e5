/**
 * Argo Rollouts' `rangeQuery: {start, end, step}` for the prometheus provider. Argo evaluates
 * `start` and `end` as expr-lang expressions with its date functions (`now()`, `duration("5m")`,
 * `date("2023-08-14T00:00:00Z")`) and parses `step` with Go's `time.ParseDuration`. cutover reads
 * the same forms (sums and differences of those terms) and also accepts a bare Go duration as a
 * term: `now() - 5m`.
 */

const GO_UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};
const GO_DURATION = /^[-+]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/;
const GO_PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g;

/**
 * Parses a Go duration (`1m`, `1h30m`, `1.5s`, `300ms`, `-2m`; `0` alone is zero) to milliseconds,
 * as Go's `time.ParseDuration`. Pure.
 *
 * @returns milliseconds, or `undefined` when `text` is not a Go duration
 */
export function parseGoDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '0' || trimmed === '+0' || trimmed === '-0') return 0;
  if (!GO_DURATION.test(trimmed)) return undefined;
  let ms = 0;
  for (const match of trimmed.matchAll(GO_PART))
    ms += Number(match[1]) * (GO_UNIT_MS[match[2] as string] ?? 0);
  return trimmed.startsWith('-') ? -ms : ms;
}

type Value = { kind: 'time' | 'duration'; ms: number };

/**
 * Evaluates a range-query time expression to ms since the epoch. Pure apart from `now`.
 *
 * Grammar: `term (("+" | "-") term)*`, a term being `now()`, `duration("<go duration>")`,
 * `date("<RFC 3339 time>")`, or a bare Go duration (`5m`). The result must be a time: a time plus or
 * minus durations.
 *
 * @param now - the current time, ms since the epoch
 * @throws Error describing the first problem
 * @example evalTimeExpression('now() - duration("5m")', 600_000) // 300_000
 */
export function evalTimeExpression(text: string, now: number): number {
  const tokens = text.match(
    /now\(\s*\)|duration\(\s*(?:"[^"]*"|'[^']*')\s*\)|date\(\s*(?:"[^"]*"|'[^']*')\s*\)|[+-]|[^\s+-]+/g,
  );
  if (tokens === null) throw new Error('empty time expression');
  let total: Value | undefined;
  let sign: 1 | -1 | undefined = 1;
  for (const token of tokens) {
    if (token === '+' || token === '-') {
      if (sign !== undefined) throw new Error(`unexpected ${token} in ${JSON.stringify(text)}`);
      sign = token === '+' ? 1 : -1;
      continue;
    }
    if (sign === undefined)
      throw new Error(`expected + or - before ${JSON.stringify(token)} in ${JSON.stringify(text)}`);
    const term = evalTerm(token);
    if (total === undefined) {
      if (sign === -1 && term.kind === 'time')
        throw new Error(`cannot negate a time in ${JSON.stringify(text)}`);
      total = { kind: term.kind, ms: sign * term.ms };
    } else if (term.kind === 'time') {
      if (total.kind === 'time' && sign === 1)
        throw new Error(`cannot add two times in ${JSON.stringify(text)}`);
      if (total.kind === 'duration' && sign === -1)
        throw new Error(`cannot subtract a time from a duration in ${JSON.stringify(text)}`);
      total = { kind: total.kind === 'time' ? 'duration' : 'time', ms: total.ms + sign * term.ms };
    } else {
      total = { kind: total.kind, ms: total.ms + sign * term.ms };
    }
    sign = undefined;
  }
  if (sign !== undefined || total === undefined)
    throw new Error(`incomplete time expression ${JSON.stringify(text)}`);
  if (total.kind !== 'time')
    throw new Error(`${JSON.stringify(text)} is a duration, expected a time such as now() - 5m`);
  return total.ms;

  function evalTerm(token: string): Value {
    if (/^now\(\s*\)$/.test(token)) return { kind: 'time', ms: now };
    const call = /^(duration|date)\(\s*["'](.*)["']\s*\)$/.exec(token);
    const arg = call?.[2];
    if (call?.[1] === 'date' && arg !== undefined) {
      const ms = Date.parse(arg);
      if (!/^\d{4}-\d{2}-\d{2}/.test(arg) || Number.isNaN(ms))
        throw new Error(`invalid date ${JSON.stringify(arg)} (expected RFC 3339)`);
      return { kind: 'time', ms };
    }
    const duration = parseGoDuration(arg ?? token);
    if (duration === undefined) throw new Error(`invalid duration ${JSON.stringify(arg ?? token)}`);
    return { kind: 'duration', ms: duration };
  }
}
