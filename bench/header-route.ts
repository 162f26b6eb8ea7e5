/**
 * Header-route match cost per request on the router's hot path: the RE2 engine (re2js) that
 * `regex` conditions now use, against JavaScript's backtracking RegExp they used before, on a benign
 * pattern (`^Mozilla/5\.0 .*Firefox`) and a realistic User-Agent, matching and not matching. Also
 * the whole per-request cost (`headerLookupOf` indexing the head once, then `HeaderRoute.matches`),
 * and the worst cases found: a pattern whose lazy DFA overflows its memory budget and is rebuilt
 * on every value, with ASCII classes (what a header route may hold) and with Unicode classes (which
 * header routes refuse; `matches` in conditions accepts them), on a value of the router's cap.
 *
 * In-process, no sockets; each figure is the median of 5 timed rounds after a warm-up, ns per call.
 * Run alone: `node --import tsx bench/header-route.ts`.
 */
import { compileLinearRegex } from '../src/regex/index.js';
import { HeaderRoute, headerLookupOf, MAX_REGEX_MATCHED_VALUE_LENGTH } from '../src/traffic/header-route.js';
import { RevisionTarget } from '../src/traffic/revision-target.js';

const PATTERN = '^Mozilla/5\\.0 .*Firefox';
const SLOW_ASCII = '[a-z]*[a-z](?:[a-z]|[0-9]|[.]){20}[#]';
const SLOW_UNICODE = '\\pL*\\pL(?:\\pL|\\pN|\\pP){20}[#]';
const HIT = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
const MISS =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';
const HEAD = (ua: string) =>
  `GET /api/items?page=2 HTTP/1.1\r\nHost: shop.example\r\nUser-Agent: ${ua}\r\nAccept: */*\r\nAccept-Encoding: gzip\r\nCookie: session=abc123\r\n\r\n`;

/** Median ns per call of `fn` over 5 rounds of `n` calls, after one warm-up round. */
function nsPerCall(n: number, fn: (i: number) => boolean): number {
  let sink = 0;
  const rounds: number[] = [];
  for (let round = 0; round < 6; round++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < n; i++) if (fn(i)) sink++;
    const ns = Number(process.hrtime.bigint() - started) / n;
    if (round > 0) rounds.push(ns);
  }
  if (sink < 0) console.log(sink); // keeps the calls from being optimised away
  return rounds.sort((a, b) => a - b)[2] ?? 0;
}

/** The figures of {@link printHeaderRouteBench}, ns per call. */
interface HeaderRouteFigures {
  re2Hit: number;
  re2Miss: number;
  regexpHit: number;
  regexpMiss: number;
  perRequest: number;
  slowAscii: number;
  slowUnicode: number;
}

function measure(): HeaderRouteFigures {
  const re2 = compileLinearRegex(PATTERN);
  const regexp = new RegExp(PATTERN);
  const n = 200_000;
  const target = new RevisionTarget('web', 2, 0);
  const route = new HeaderRoute(
    { name: 'firefox', revision: 2, match: [{ headerName: 'User-Agent', headerValue: { regex: PATTERN } }] },
    target,
  );
  const heads = [HEAD(HIT), HEAD(MISS)];
  // Patterns whose DFA has ~2^20 states: the lazy DFA overflows its budget on a 1 KiB value and
  // is rebuilt. With Unicode classes every state's table spans hundreds of ranges, the slowest
  // linear case found.
  const slowAscii = new HeaderRoute(
    { name: 'slow', revision: 2, match: [{ headerName: 'x', headerValue: { regex: SLOW_ASCII } }] },
    target,
  );
  const slowUnicode = compileLinearRegex(SLOW_UNICODE);
  const letters = 'a1b.';
  let seed = 42;
  const next = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31; // a fixed LCG: the same values every run
    return seed;
  };
  // Fresh values for every call: the DFA states one value built are of little use to the next.
  const slowValues = Array.from(
    { length: 6 * 20 },
    () =>
      `${Array.from({ length: MAX_REGEX_MATCHED_VALUE_LENGTH - 1 }, () => letters[(next() >>> 16) % 4]).join('')}#`,
  );
  let calls = 0;
  return {
    re2Hit: nsPerCall(n, () => re2.test(HIT)),
    re2Miss: nsPerCall(n, () => re2.test(MISS)),
    regexpHit: nsPerCall(n, () => regexp.test(HIT)),
    regexpMiss: nsPerCall(n, () => regexp.test(MISS)),
    perRequest: nsPerCall(n, (i) => route.matches(headerLookupOf(heads[i & 1] as string))),
    slowAscii: nsPerCall(20, () => {
      const value = slowValues[calls++ % slowValues.length] as string;
      return slowAscii.matches(() => value);
    }),
    slowUnicode: nsPerCall(20, () => slowUnicode.test(slowValues[calls++ % slowValues.length] as string)),
  };
}

/** Runs the benchmark and prints its figures. */
export function printHeaderRouteBench(): void {
  console.log('\n== header routes: regex cost per request (RE2 vs the old RegExp) ==');
  const f = measure();
  const us = (ns: number) => `${(ns / 1000).toFixed(2)} µs`;
  console.log(`pattern ${PATTERN}, User-Agent of ${HIT.length} / ${MISS.length} characters`);
  console.log(`RE2 (re2js) test:     match ${us(f.re2Hit)}, no match ${us(f.re2Miss)}`);
  console.log(`RegExp (before) test: match ${us(f.regexpHit)}, no match ${us(f.regexpMiss)}`);
  console.log(`per request with RE2 (index the head + HeaderRoute.matches): ${us(f.perRequest)}`);
  const ms = (ns: number) => `${(ns / 1e6).toFixed(1)} ms`;
  console.log(
    `worst case, ${MAX_REGEX_MATCHED_VALUE_LENGTH}-character value: header route ${SLOW_ASCII} ${ms(f.slowAscii)}; with Unicode classes (refused in header routes) ${SLOW_UNICODE} ${ms(f.slowUnicode)}`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) printHeaderRouteBench();
