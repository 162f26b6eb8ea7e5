import { PatternSyntaxError } from '../regex/index.js';
import { checkJsonPath } from '../spec/analysis-checks.js';
import { compileHeaderRouteRegex } from '../spec/header-route-regex.js';
import { MAX_HEADER_ROUTE_REGEX_LENGTH, type Probe } from '../spec/types.js';
import { parseRetryOn, RETRY_ON_TOKENS } from '../traffic/retry-policy.js';
import { InvalidDataPlaneSpecError } from './errors.js';
import {
  MAX_HEADER_ROUTE_MATCHES,
  MAX_HEADER_ROUTES,
  MAX_RETRY_ATTEMPTS,
  type RolloutDataPlaneSpec,
  replicaSetKey,
} from './protocol.js';

/** Names of extra replica sets: an RFC 1123 label with at least one letter (never a bare number). */
const SET_NAME = /^(?=.*[a-z])[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

function setName(v: unknown, path: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !SET_NAME.test(v))
    fail(path, 'a lowercase RFC 1123 name with a letter (a-z, 0-9, -; max 63)', v);
  return v;
}

/** HTTP field names (RFC 9110 section 5.1: a token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * A listener's list of named routes (header or mirror routes): each an object with a unique
 * non-empty `name` and a `revision`; `each` checks the rest.
 */
function routes(
  v: unknown,
  path: string,
  kind: string,
  each: (r: Record<string, unknown>, rp: string) => void,
): void {
  if (v === undefined) return;
  if (!Array.isArray(v) || v.length > MAX_HEADER_ROUTES)
    fail(path, `an array of at most ${MAX_HEADER_ROUTES} ${kind}`, v);
  const names = new Set<string>();
  v.forEach((r: unknown, i: number) => {
    const rp = `${path}[${i}]`;
    if (!isObject(r)) fail(rp, 'an object', r);
    if (typeof r.name !== 'string' || r.name === '') fail(`${rp}.name`, 'a non-empty string', r.name);
    if (names.has(r.name)) fail(`${rp}.name`, 'a route name listed once per listener', r.name);
    names.add(r.name);
    int(r.revision, `${rp}.revision`, 1, Number.MAX_SAFE_INTEGER);
    each(r, rp);
  });
}

function headerRoutes(v: unknown, path: string): void {
  routes(v, path, 'header routes', (r, rp) => {
    if (!Array.isArray(r.match) || r.match.length === 0 || r.match.length > MAX_HEADER_ROUTE_MATCHES)
      fail(`${rp}.match`, `an array of 1..${MAX_HEADER_ROUTE_MATCHES} conditions`, r.match);
    r.match.forEach((m: unknown, j: number) => {
      const mp = `${rp}.match[${j}]`;
      if (!isObject(m)) fail(mp, 'an object', m);
      if (typeof m.headerName !== 'string' || !HEADER_NAME.test(m.headerName))
        fail(`${mp}.headerName`, 'an HTTP header name', m.headerName);
      stringMatch(m.headerValue, `${mp}.headerValue`);
    });
  });
}

/** A `StringMatch`: exactly one of exact, prefix, regex (RE2, bounded length). */
function stringMatch(v: unknown, path: string): void {
  if (!isObject(v)) fail(path, 'an object', v);
  const kinds = (['exact', 'prefix', 'regex'] as const).filter((k) => v[k] !== undefined);
  if (kinds.length !== 1 || Object.keys(v).length !== 1)
    fail(path, 'exactly one of exact, prefix, regex', Object.keys(v));
  const kind = kinds[0]!;
  const value = v[kind];
  if (typeof value !== 'string') fail(`${path}.${kind}`, 'a string', value);
  if (kind !== 'regex') return;
  if (value.length > MAX_HEADER_ROUTE_REGEX_LENGTH)
    fail(`${path}.regex`, `at most ${MAX_HEADER_ROUTE_REGEX_LENGTH} characters`, value);
  try {
    compileHeaderRouteRegex(value);
  } catch (error) {
    if (!(error instanceof PatternSyntaxError)) throw error;
    fail(`${path}.regex`, `an RE2 regular expression (${error.reason})`, value);
  }
}

function mirrorRoutes(v: unknown, path: string): void {
  routes(v, path, 'mirror routes', (r, rp) => {
    if (typeof r.percentage !== 'number' || !(r.percentage >= 0 && r.percentage <= 100))
      fail(`${rp}.percentage`, 'a number 0..100 (percent)', r.percentage);
    if (!Array.isArray(r.match) || r.match.length === 0 || r.match.length > MAX_HEADER_ROUTE_MATCHES)
      fail(`${rp}.match`, `an array of 1..${MAX_HEADER_ROUTE_MATCHES} alternatives`, r.match);
    r.match.forEach((m: unknown, j: number) => {
      const mp = `${rp}.match[${j}]`;
      if (!isObject(m) || (m.method === undefined && m.path === undefined && m.headers === undefined))
        fail(mp, 'an object with at least one of method, path, headers', m);
      if (m.method !== undefined) stringMatch(m.method, `${mp}.method`);
      if (m.path !== undefined) stringMatch(m.path, `${mp}.path`);
      if (m.headers !== undefined) {
        if (!isObject(m.headers)) fail(`${mp}.headers`, 'an object of header names', m.headers);
        for (const [name, value] of Object.entries(m.headers)) {
          if (!HEADER_NAME.test(name)) fail(`${mp}.headers`, 'HTTP header names', name);
          stringMatch(value, `${mp}.headers.${name}`);
        }
      }
    });
    if (r.compare !== undefined) {
      if (!isObject(r.compare)) fail(`${rp}.compare`, 'an object', r.compare);
      const jsonPath = r.compare.jsonPath;
      if (jsonPath !== undefined) {
        const problem = typeof jsonPath === 'string' ? checkJsonPath(jsonPath) : 'not a string';
        if (problem !== undefined)
          fail(`${rp}.compare.jsonPath`, `a JSONPath such as {$.answer} (${problem})`, jsonPath);
      }
    }
  });
}

/** Rollout names: as Kubernetes object names (RFC 1123 label), so they are safe in file names. */
const NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

function fail(path: string, expected: string, got: unknown): never {
  const shown = got === undefined ? 'nothing' : JSON.stringify(got)?.slice(0, 60);
  throw new InvalidDataPlaneSpecError(path, `${path}: expected ${expected}, got ${shown}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function int(v: unknown, path: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    fail(path, `an integer ${min}..${max}`, v);
  return v;
}

function optNumber(v: unknown, path: string, min: number): void {
  if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < min))
    fail(path, `a number >= ${min}`, v);
}

function stringArray(v: unknown, path: string, nonEmpty: boolean): void {
  if (!Array.isArray(v) || (nonEmpty && v.length === 0))
    fail(path, nonEmpty ? 'a non-empty array of strings' : 'an array of strings', v);
  v.forEach((s, i) => {
    if (typeof s !== 'string') fail(`${path}[${i}]`, 'a string', s);
  });
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;

function sessionAffinity(v: unknown, path: string): void {
  if (v === undefined) return;
  if (!isObject(v)) fail(path, 'an object', v);
  if (v.type !== 'ClientIP' && v.type !== 'Cookie' && v.type !== 'Header') {
    fail(`${path}.type`, '"ClientIP", "Cookie" or "Header"', v.type);
  }
  if (v.cookieName !== undefined && (typeof v.cookieName !== 'string' || !TOKEN.test(v.cookieName))) {
    fail(`${path}.cookieName`, 'a cookie name (an HTTP token)', v.cookieName);
  }
  if (v.headerName !== undefined && (typeof v.headerName !== 'string' || !TOKEN.test(v.headerName))) {
    fail(`${path}.headerName`, 'a header name (an HTTP token)', v.headerName);
  }
  if (v.type === 'Header' && v.headerName === undefined)
    fail(`${path}.headerName`, 'a header name for type Header', undefined);
  if (v.timeoutSeconds !== undefined) int(v.timeoutSeconds, `${path}.timeoutSeconds`, 1, 86_400 * 30);
}

const DURATION = /^\d+(\.\d+)?(ms|s|m|h)$/;

function outlierDetection(v: unknown, path: string): void {
  if (v === undefined) return;
  if (!isObject(v)) fail(path, 'an object', v);
  for (const field of ['consecutive5xxErrors', 'consecutiveGatewayErrors'] as const) {
    if (v[field] !== undefined) int(v[field], `${path}.${field}`, 0, 100_000);
  }
  for (const field of ['maxEjectionPercent', 'minHealthPercent'] as const) {
    if (v[field] !== undefined) int(v[field], `${path}.${field}`, 0, 100);
  }
  for (const field of ['interval', 'baseEjectionTime'] as const) {
    const d = v[field];
    if (d !== undefined && !(typeof d === 'number' ? d > 0 : typeof d === 'string' && DURATION.test(d))) {
      fail(`${path}.${field}`, 'a duration such as 30s', d);
    }
  }
}

function connectionPool(v: unknown, path: string): void {
  if (v === undefined) return;
  if (!isObject(v)) fail(path, 'an object', v);
  for (const field of ['maxConnections', 'http1MaxPendingRequests', 'maxRetries'] as const) {
    if (v[field] !== undefined) int(v[field], `${path}.${field}`, 1, 4_294_967_295);
  }
  if (v.maxRequestsPerConnection !== undefined)
    int(v.maxRequestsPerConnection, `${path}.maxRequestsPerConnection`, 0, 4_294_967_295);
  if (v.connectTimeoutMs !== undefined) int(v.connectTimeoutMs, `${path}.connectTimeoutMs`, 1, 86_400_000);
}

function retries(v: unknown, path: string): void {
  if (v === undefined) return;
  if (!isObject(v)) fail(path, 'an object', v);
  int(v.attempts, `${path}.attempts`, 0, MAX_RETRY_ATTEMPTS);
  if (v.perTryTimeoutMs !== undefined) int(v.perTryTimeoutMs, `${path}.perTryTimeoutMs`, 1, 86_400_000);
  if (v.retryOn !== undefined) {
    if (typeof v.retryOn !== 'string')
      fail(`${path}.retryOn`, 'a comma-separated list of conditions', v.retryOn);
    const { problems } = parseRetryOn(v.retryOn);
    if (problems.length > 0)
      fail(
        `${path}.retryOn`,
        `conditions among ${RETRY_ON_TOKENS.join(', ')} or status codes`,
        problems.join(','),
      );
  }
}

function lifecycle(v: unknown, path: string): void {
  if (v === undefined) return;
  if (!isObject(v)) fail(path, 'an object', v);
  for (const hook of ['postStart', 'preStop'] as const) {
    const h = v[hook];
    if (h === undefined) continue;
    if (!isObject(h)) fail(`${path}.${hook}`, 'an object', h);
    const actions = [h.exec, h.httpGet, h.sleep].filter((a) => a !== undefined).length;
    if (actions !== 1) fail(`${path}.${hook}`, 'exactly one of exec, httpGet, sleep', Object.keys(h));
    if (h.sleep !== undefined) {
      if (!isObject(h.sleep)) fail(`${path}.${hook}.sleep`, 'an object', h.sleep);
      optNumber(h.sleep.seconds, `${path}.${hook}.sleep.seconds`, 0);
    } else probe(h, `${path}.${hook}`);
  }
}

/**
 * Files a replica set's replicas get: each path relative, inside the set's files directory (no
 * `..`, `.` or empty segment), mode 0600 or 0644. Checked here again: the data plane writes them.
 */
function fileData(v: unknown, path: string): void {
  if (v === undefined) return;
  if (!Array.isArray(v)) fail(path, 'a list of {path, data, mode}', v);
  v.forEach((f: unknown, i: number) => {
    if (!isObject(f)) fail(`${path}[${i}]`, 'an object', f);
    const p = f.path;
    if (
      typeof p !== 'string' ||
      p === '' ||
      p.startsWith('/') ||
      p.includes('\0') ||
      p.split('/').some((s) => s === '' || s === '.' || s === '..')
    )
      fail(`${path}[${i}].path`, 'a relative path without ., .. or empty segments', p);
    if (typeof f.data !== 'string') fail(`${path}[${i}].data`, 'a string', '(not shown)');
    if (f.mode !== 0o600 && f.mode !== 0o644) fail(`${path}[${i}].mode`, '0600 or 0644 (384 or 420)', f.mode);
  });
}

function probe(v: unknown, path: string): void {
  if (v === undefined) return;
  if (!isObject(v)) fail(path, 'a probe object', v);
  const p = v as Probe;
  const actions = [p.httpGet, p.tcpSocket, p.exec].filter((a) => a !== undefined).length;
  if (actions !== 1) fail(path, 'exactly one of httpGet, tcpSocket, exec', Object.keys(v));
  if (p.httpGet !== undefined) {
    if (!isObject(p.httpGet)) fail(`${path}.httpGet`, 'an object', p.httpGet);
    if (p.httpGet.path !== undefined && typeof p.httpGet.path !== 'string')
      fail(`${path}.httpGet.path`, 'a string', p.httpGet.path);
    if (p.httpGet.port !== undefined) int(p.httpGet.port, `${path}.httpGet.port`, 1, 65535);
    if (p.httpGet.scheme !== undefined && p.httpGet.scheme !== 'HTTP' && p.httpGet.scheme !== 'HTTPS') {
      fail(`${path}.httpGet.scheme`, '"HTTP" or "HTTPS"', p.httpGet.scheme);
    }
  }
  if (p.tcpSocket !== undefined) {
    if (!isObject(p.tcpSocket)) fail(`${path}.tcpSocket`, 'an object', p.tcpSocket);
    if (p.tcpSocket.port !== undefined) int(p.tcpSocket.port, `${path}.tcpSocket.port`, 1, 65535);
  }
  if (p.exec !== undefined) {
    if (!isObject(p.exec)) fail(`${path}.exec`, 'an object', p.exec);
    stringArray(p.exec.command, `${path}.exec.command`, true);
  }
  optNumber(p.initialDelaySeconds, `${path}.initialDelaySeconds`, 0);
  optNumber(p.periodSeconds, `${path}.periodSeconds`, 0.01);
  optNumber(p.timeoutSeconds, `${path}.timeoutSeconds`, 0.01);
  optNumber(p.successThreshold, `${path}.successThreshold`, 1);
  optNumber(p.failureThreshold, `${path}.failureThreshold`, 1);
}

/**
 * Validate a desired state received by `PUT /v1/rollouts/:name` as a whole, before anything
 * changes. Pure.
 * @param name - the Rollout name from the URL; must equal `rollout` when the body has one.
 * @throws InvalidDataPlaneSpecError naming the field path and what was expected.
 */
export function validateRolloutSpec(value: unknown, name: string): RolloutDataPlaneSpec {
  if (!NAME.test(name)) fail('rollout', 'a lowercase RFC 1123 name (a-z, 0-9, -; max 63)', name);
  if (!isObject(value)) fail('(body)', 'a JSON object', value);
  if (value.rollout !== undefined && value.rollout !== name)
    fail('rollout', `"${name}" (the name in the URL)`, value.rollout);
  if (!Array.isArray(value.replicaSets)) fail('replicaSets', 'an array', value.replicaSets);
  if (!Array.isArray(value.listeners)) fail('listeners', 'an array', value.listeners);
  const revisions = new Set<string>();
  value.replicaSets.forEach((rs: unknown, i: number) => {
    const path = `replicaSets[${i}]`;
    if (!isObject(rs)) fail(path, 'an object', rs);
    const revision = int(rs.revision, `${path}.revision`, 1, Number.MAX_SAFE_INTEGER);
    const set = setName(rs.set, `${path}.set`);
    const key = replicaSetKey({ revision, set });
    if (revisions.has(key)) {
      if (set === undefined) fail(`${path}.revision`, 'a revision listed once', revision);
      fail(`${path}.set`, 'a set name listed once', set);
    }
    revisions.add(key);
    if (typeof rs.hash !== 'string' || rs.hash === '') fail(`${path}.hash`, 'a non-empty string', rs.hash);
    int(rs.replicas, `${path}.replicas`, 0, 1000);
    const t = rs.template;
    if (!isObject(t)) fail(`${path}.template`, 'an object', t);
    stringArray(t.command, `${path}.template.command`, true);
    if ((t.command as string[])[0] === '') fail(`${path}.template.command[0]`, 'a non-empty string', '');
    if (t.cwd !== undefined && (typeof t.cwd !== 'string' || !t.cwd.startsWith('/'))) {
      fail(`${path}.template.cwd`, 'an absolute path', t.cwd);
    }
    if (t.env !== undefined) {
      if (!isObject(t.env)) fail(`${path}.template.env`, 'an object of strings', t.env);
      for (const [k, v] of Object.entries(t.env))
        if (typeof v !== 'string') fail(`${path}.template.env.${k}`, 'a string', v);
    }
    fileData(t.fileData, `${path}.template.fileData`);
    probe(t.startupProbe, `${path}.template.startupProbe`);
    probe(t.readinessProbe, `${path}.template.readinessProbe`);
    probe(t.livenessProbe, `${path}.template.livenessProbe`);
    lifecycle(t.lifecycle, `${path}.template.lifecycle`);
    optNumber(t.terminationGracePeriodSeconds, `${path}.template.terminationGracePeriodSeconds`, 0);
    if (rs.ordinals !== undefined) {
      if (!Array.isArray(rs.ordinals)) fail(`${path}.ordinals`, 'an array of ordinals', rs.ordinals);
      const unique = new Set<number>();
      rs.ordinals.forEach((o: unknown, j: number) => {
        unique.add(int(o, `${path}.ordinals[${j}]`, 0, 999));
      });
      if (unique.size !== rs.ordinals.length || rs.ordinals.length !== rs.replicas) {
        fail(`${path}.ordinals`, `${String(rs.replicas)} distinct ordinals (replicas)`, rs.ordinals);
      }
    }
  });
  outlierDetection(value.outlierDetection, 'outlierDetection');
  if (value.timeoutMs !== undefined) int(value.timeoutMs, 'timeoutMs', 1, 86_400_000);
  connectionPool(value.connectionPool, 'connectionPool');
  retries(value.retries, 'retries');
  if (
    value.activeReplica !== undefined &&
    value.activeReplica !== null &&
    typeof value.activeReplica !== 'string'
  ) {
    fail('activeReplica', 'a replica id, null or absent', value.activeReplica);
  }
  const ports = new Set<number>();
  value.listeners.forEach((l: unknown, i: number) => {
    const path = `listeners[${i}]`;
    if (!isObject(l)) fail(path, 'an object', l);
    const port = int(l.port, `${path}.port`, 1, 65535);
    if (ports.has(port)) fail(`${path}.port`, 'a port listed once', port);
    ports.add(port);
    if (!Array.isArray(l.backends)) fail(`${path}.backends`, 'an array', l.backends);
    let sum = 0;
    const seen = new Set<string>();
    l.backends.forEach((b: unknown, j: number) => {
      const bp = `${path}.backends[${j}]`;
      if (!isObject(b)) fail(bp, 'an object', b);
      const revision = int(b.revision, `${bp}.revision`, 1, Number.MAX_SAFE_INTEGER);
      const set = setName(b.set, `${bp}.set`);
      const key = replicaSetKey({ revision, set });
      if (seen.has(key)) {
        if (set === undefined) fail(`${bp}.revision`, 'a revision listed once per listener', revision);
        fail(`${bp}.set`, 'a set listed once per listener', set);
      }
      seen.add(key);
      if (typeof b.weight !== 'number' || !Number.isFinite(b.weight) || b.weight < 0 || b.weight > 100) {
        fail(`${bp}.weight`, 'a number 0..100 (percent)', b.weight);
      }
      sum += b.weight;
    });
    if (Math.abs(sum - 100) > 1e-6 && sum !== 0)
      fail(`${path}.backends`, 'weights summing to 100 (or all 0)', sum);
    headerRoutes(l.headerRoutes, `${path}.headerRoutes`);
    mirrorRoutes(l.mirrorRoutes, `${path}.mirrorRoutes`);
    sessionAffinity(l.sessionAffinity, `${path}.sessionAffinity`);
  });
  return {
    rollout: name,
    replicaSets: value.replicaSets as RolloutDataPlaneSpec['replicaSets'],
    listeners: value.listeners as RolloutDataPlaneSpec['listeners'],
    ...(value.activeReplica !== undefined ? { activeReplica: value.activeReplica as string | null } : {}),
    ...(value.timeoutMs !== undefined ? { timeoutMs: value.timeoutMs as number } : {}),
    ...(value.outlierDetection !== undefined
      ? { outlierDetection: value.outlierDetection as RolloutDataPlaneSpec['outlierDetection'] }
      : {}),
    ...(value.connectionPool !== undefined
      ? { connectionPool: value.connectionPool as RolloutDataPlaneSpec['connectionPool'] }
      : {}),
    ...(value.retries !== undefined ? { retries: value.retries as RolloutDataPlaneSpec['retries'] } : {}),
  };
}
