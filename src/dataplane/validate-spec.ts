import type { Probe } from '../spec/types.js';
import { InvalidDataPlaneSpecError } from './errors.js';
import type { RolloutDataPlaneSpec } from './protocol.js';

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
  const revisions = new Set<number>();
  value.replicaSets.forEach((rs: unknown, i: number) => {
    const path = `replicaSets[${i}]`;
    if (!isObject(rs)) fail(path, 'an object', rs);
    const revision = int(rs.revision, `${path}.revision`, 1, Number.MAX_SAFE_INTEGER);
    if (revisions.has(revision)) fail(`${path}.revision`, 'a revision listed once', revision);
    revisions.add(revision);
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
    probe(t.readinessProbe, `${path}.template.readinessProbe`);
    probe(t.livenessProbe, `${path}.template.livenessProbe`);
    optNumber(t.terminationGracePeriodSeconds, `${path}.template.terminationGracePeriodSeconds`, 0);
  });
  const ports = new Set<number>();
  value.listeners.forEach((l: unknown, i: number) => {
    const path = `listeners[${i}]`;
    if (!isObject(l)) fail(path, 'an object', l);
    const port = int(l.port, `${path}.port`, 1, 65535);
    if (ports.has(port)) fail(`${path}.port`, 'a port listed once', port);
    ports.add(port);
    if (!Array.isArray(l.backends)) fail(`${path}.backends`, 'an array', l.backends);
    let sum = 0;
    const seen = new Set<number>();
    l.backends.forEach((b: unknown, j: number) => {
      const bp = `${path}.backends[${j}]`;
      if (!isObject(b)) fail(bp, 'an object', b);
      const revision = int(b.revision, `${bp}.revision`, 1, Number.MAX_SAFE_INTEGER);
      if (seen.has(revision)) fail(`${bp}.revision`, 'a revision listed once per listener', revision);
      seen.add(revision);
      if (typeof b.weight !== 'number' || !Number.isFinite(b.weight) || b.weight < 0 || b.weight > 100) {
        fail(`${bp}.weight`, 'a number 0..100 (percent)', b.weight);
      }
      sum += b.weight;
    });
    if (Math.abs(sum - 100) > 1e-6 && sum !== 0)
      fail(`${path}.backends`, 'weights summing to 100 (or all 0)', sum);
  });
  return {
    rollout: name,
    replicaSets: value.replicaSets as RolloutDataPlaneSpec['replicaSets'],
    listeners: value.listeners as RolloutDataPlaneSpec['listeners'],
  };
}
