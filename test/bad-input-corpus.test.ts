import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { CutoverEnv, fetchOnce, freePorts, occupyPort, SAMPLE_SERVICE } from './support/cutover-env.js';

/**
 * Invariant 4 at scale (issue 9): a table of bad inputs - spec files of every kind, API bodies of
 * every write route, CLI arguments - each refused with a clear error (the status or exit code, the
 * file where there is one, the field path and what was expected), and each leaving the
 * installation exactly as it was. One server for the whole table; spec files and API bodies go
 * through HTTP, and the CLI is spawned only where the CLI itself is under test.
 */

type Json = Record<string, unknown>;

/** A spec sent to `POST /api/v1/apply` as `{file, text}`. */
interface SpecCase {
  kind: 'spec';
  name: string;
  text: string;
  /** Formatted field path the message must name ('' for the document or a YAML error). */
  path: string;
  expected: RegExp;
}
/** An API call. */
interface ApiCase {
  kind: 'api';
  name: string;
  method: 'POST' | 'DELETE';
  url: string;
  /** JSON body; a string is sent as it is. */
  body?: unknown;
  contentType?: string;
  /** Who calls: the admin (default) or a viewer. */
  as?: 'viewer';
  status: number;
  code: string;
  /** Field path in `path` of the answer (400s). */
  path?: string;
  expected: RegExp;
}
/** A CLI run. */
interface CliCase {
  kind: 'cli';
  name: string;
  args: () => string[];
  exit: number;
  expected: RegExp;
  /** A path the message must name. */
  names?: () => string;
}
type Case = SpecCase | ApiCase | CliCase;

const env = CutoverEnv.create('cutover-corpus-');
let port = 0;
let otherPort = 0;
let busyPort = 0;
let busy: Server | undefined;
const tokens: string[] = [];
let viewerToken = '';
let nextToken = 0;
const SPEC_FILE = () => env.path('specs/bad.yaml');

// ---------------------------------------------------------------------------------------------
// Documents

const clone = <T>(value: T): T => structuredClone(value);

function rolloutDoc(): Json {
  return {
    apiVersion: 'cutover.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'web' },
    spec: {
      replicas: 1,
      port,
      template: {
        command: ['node', SAMPLE_SERVICE],
        cwd: env.path('replicas'),
        env: { VERSION: 'v2' },
        readinessProbe: { httpGet: { path: '/healthz' }, periodSeconds: 1 },
      },
      strategy: { canary: { steps: [{ setWeight: 50 }, { pause: {} }] } },
    },
  };
}

function templateDoc(): Json {
  return {
    apiVersion: 'cutover.dev/v1alpha1',
    kind: 'AnalysisTemplate',
    metadata: { name: 'error-rate' },
    spec: {
      metrics: [
        {
          name: 'error-rate',
          interval: '1s',
          successCondition: 'isNaN(result) || result < 0.05',
          provider: { builtin: { metric: 'error-rate', revision: 'canary', window: '5s' } },
        },
      ],
    },
  };
}

function environmentDoc(): Json {
  return {
    apiVersion: 'cutover.dev/v1alpha1',
    kind: 'Environment',
    metadata: { name: 'staging' },
    spec: { order: 1 },
  };
}

/** `doc` with `value` at `at` (`a.b.0.c`); `undefined` deletes the field. */
function set(doc: Json, at: string, value: unknown): Json {
  const copy = clone(doc);
  const keys = at.split('.');
  let node: Record<string, unknown> = copy;
  for (const key of keys.slice(0, -1)) {
    node[key] ??= {};
    node = node[key] as Record<string, unknown>;
  }
  const last = keys.at(-1)!;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return copy;
}

/** `spec.a.0.b` as the spec's messages write it: `spec.a[0].b`. */
function formatted(at: string): string {
  return at
    .split('.')
    .map((key, i) =>
      /^\d+$/.test(key)
        ? `[${key}]`
        : /^[A-Za-z_$][\w$-]*$/.test(key)
          ? i === 0
            ? key
            : `.${key}`
          : `[${JSON.stringify(key)}]`,
    )
    .join('');
}

/** `base` with env values of 120,000 bytes, 9 of them through one YAML anchor: over 1 MiB once expanded. */
function argMaxYaml(base: string): string {
  const line = base.split('\n').find((l) => l.trim() === 'VERSION: v2') ?? '';
  const indent = line.slice(0, line.indexOf('VERSION'));
  const entries = [
    `V0: &big ${'x'.repeat(120_000)}`,
    ...Array.from({ length: 8 }, (_, i) => `V${i + 1}: *big`),
  ];
  return base.replace(line, entries.map((e) => `${indent}${e}`).join('\n'));
}

const yaml = (...docs: unknown[]) => docs.map((d) => stringify(d, { lineWidth: 0 })).join('---\n');

/** A Rollout with `value` at `at`, expected refused at `path` (default `at`). */
function rollout(name: string, at: string, value: unknown, expected: RegExp, path = at): SpecCase {
  return {
    kind: 'spec',
    name: `Rollout: ${name}`,
    text: yaml(set(rolloutDoc(), at, value)),
    path: formatted(path),
    expected,
  };
}
/** Argo Rollouts' own Rollout (argoproj.io/v1alpha1), valid for the kubernetes platform. */
function argoDoc(): Json {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'argo-web' },
    spec: {
      selector: { matchLabels: { app: 'argo-web' } },
      template: {
        metadata: { labels: { app: 'argo-web' } },
        spec: { containers: [{ name: 'web', image: 'web:1' }] },
      },
      strategy: { canary: { steps: [{ setWeight: 20 }, { pause: {} }] } },
    },
  };
}
/** An Argo Rollout with `value` at `at` (`''`: as it is), expected refused at `path` (default `at`). */
function argo(name: string, at: string, value: unknown, expected: RegExp, path = at): SpecCase {
  return {
    kind: 'spec',
    name: `Argo Rollout: ${name}`,
    text: yaml(at === '' ? argoDoc() : set(argoDoc(), at, value)),
    path: formatted(path),
    expected,
  };
}
function analysis(name: string, at: string, value: unknown, expected: RegExp, path = at): SpecCase {
  return {
    kind: 'spec',
    name: `AnalysisTemplate: ${name}`,
    text: yaml(set(templateDoc(), at, value)),
    path: formatted(path),
    expected,
  };
}
function environment(name: string, at: string, value: unknown, expected: RegExp, path = at): SpecCase {
  return {
    kind: 'spec',
    name: `Environment: ${name}`,
    text: yaml(set(environmentDoc(), at, value)),
    path: formatted(path),
    expected,
  };
}
const raw = (name: string, text: string, path: string, expected: RegExp): SpecCase => ({
  kind: 'spec',
  name,
  text,
  path,
  expected,
});

const T = 'spec.template';
const P = 'spec.template.readinessProbe';
const C = 'spec.strategy.canary';
const S0 = 'spec.strategy.canary.steps.0';
const BG = 'spec.strategy.blueGreen';
const M = 'spec.metrics.0';
const NO_CONTROL = /no control characters/;

function specCases(): SpecCase[] {
  const canary = (steps: unknown[]) => ({ canary: { steps } });
  const headerRoute = (match: unknown) => [{ setHeaderRoute: { name: 'beta', match } }];
  const hv = (headerValue: unknown) => [{ headerName: 'x-beta', headerValue }];
  const bg = (fields: Json) => ({ blueGreen: { previewPort: otherPort, ...fields } });
  const experiment = (fields: Json) => [
    { experiment: { templates: [{ name: 'a', specRef: 'canary' }], ...fields } },
  ];
  const analysisStep = (fields: Json) => [
    { analysis: { templates: [{ templateName: 'error-rate' }], ...fields } },
  ];
  const many = (n: number, item: unknown) => Array.from({ length: n }, () => clone(item));
  const base = yaml(rolloutDoc());
  return [
    // YAML syntax
    raw(
      'YAML: two colons on one line',
      base.replace(`port: ${port}`, `port: ${port}: 1`),
      '',
      /invalid YAML/,
    ),
    raw('YAML: an unterminated quote', `${base}  extra: "open\n`, '', /invalid YAML/),
    raw(
      'YAML: a duplicate key',
      base.replace('replicas: 1', 'replicas: 1\n  replicas: 2'),
      '',
      /invalid YAML.*[Dd]uplicate|invalid YAML/,
    ),
    raw('YAML: a tab in the indentation', base.replace('  replicas: 1', '\treplicas: 1'), '', /invalid YAML/),
    raw(
      'YAML: an unclosed flow mapping',
      'apiVersion: cutover.dev/v1alpha1\nkind: Rollout\nmetadata: {name: web\n',
      '',
      /invalid YAML/,
    ),
    raw('YAML: an unclosed flow list', '[1, 2\n', '', /invalid YAML/),
    raw(
      'YAML: a billion-laughs alias bomb',
      `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n`,
      '',
      /invalid YAML/,
    ),
    raw(
      'YAML: a bad indentation',
      'apiVersion: cutover.dev/v1alpha1\nkind: Rollout\n  metadata: x\n',
      '',
      /invalid YAML/,
    ),
    raw('YAML: nothing but comments', '# nothing here\n', '', /no resources/),
    raw('YAML: only document markers', '---\n---\n', '', /no resources/),
    raw('YAML: an empty text', '', '', /no resources/),
    // the document itself
    raw('a document that is a list', '- a\n- b\n', '', /expected a mapping with apiVersion, kind/),
    raw('a document that is a number', '42\n', '', /expected a mapping/),
    raw(
      'a document without kind',
      yaml(set(rolloutDoc(), 'kind', undefined)),
      'kind',
      /required field is missing; expected one of Rollout/,
    ),
    raw(
      'an unknown kind',
      yaml(set(rolloutDoc(), 'kind', 'Deployment')),
      'kind',
      /unknown kind "Deployment"/,
    ),
    raw('a kind that is a number', yaml(set(rolloutDoc(), 'kind', 7)), 'kind', /unknown kind 7/),
    raw(
      'a Release given to apply',
      yaml({
        ...environmentDoc(),
        kind: 'Release',
        spec: {
          version: '1.0',
          environments: ['staging'],
          rollouts: [{ name: 'web', spec: rolloutDoc()['spec'] }],
        },
      }),
      'kind',
      /not applied; create it with cutover release create/,
    ),
    raw(
      'two Rollouts of the same name',
      yaml(rolloutDoc(), rolloutDoc()),
      'metadata.name',
      /duplicate|already/,
    ),
    rollout('no apiVersion', 'apiVersion', undefined, /expected cutover.dev\/v1alpha1, got nothing/),
    rollout('a wrong apiVersion', 'apiVersion', 'v1', /expected "?cutover.dev\/v1alpha1/),
    rollout(
      "Argo's apiVersion",
      'apiVersion',
      'argoproj.io/v1alpha1',
      /an Argo Rollout runs on the kubernetes platform .*not on the local platform/,
    ),
    argo(
      'a valid one, on the local platform',
      '',
      undefined,
      /an Argo Rollout runs on the kubernetes platform \(cutover server --platform kubernetes\), not on the local platform/,
      'apiVersion',
    ),
    argo(
      'unimplemented fields, all in one issue',
      'spec.strategy.canary',
      { antiAffinity: {}, trafficRouting: { smi: {} }, steps: [{ setCanaryScale: { replicas: 1 } }] },
      /not implemented by cutover: spec\.strategy\.canary\.antiAffinity, spec\.strategy\.canary\.steps\[0\]\.setCanaryScale, spec\.strategy\.canary\.trafficRouting\.smi/,
      'spec.strategy.canary.antiAffinity',
    ),
    argo(
      'template labels the selector does not select',
      'spec.selector.matchLabels.app',
      'shop',
      /selector does not match template labels/,
      'spec.template.metadata.labels',
    ),
    argo('no containers', 'spec.template.spec.containers', [], /at least one container/),
    argo(
      'a container without an image',
      'spec.template.spec.containers',
      [{ name: 'web' }],
      /required field is missing/,
      'spec.template.spec.containers.0.image',
    ),
    argo(
      'a misspelt pod field',
      'spec.template.spec.containers',
      [{ name: 'web', image: 'web:1', imagePullPolcy: 'Always' }],
      /unknown field "imagePullPolcy"; expected a field of Kubernetes' Container/,
      'spec.template.spec.containers.0.imagePullPolcy',
    ),
    argo(
      'a misspelt strategy field',
      'spec.strategy.canary.stepz',
      [],
      /unknown field "stepz" \(did you mean "steps"\?\)/,
    ),
    argo(
      'nginx without the canary and stable Services',
      'spec.strategy.canary.trafficRouting',
      { nginx: { stableIngress: 'web' } },
      /required field is missing: trafficRouting routes between the canary and stable Services/,
      'spec.strategy.canary.stableService',
    ),
    argo(
      'two strategies',
      'spec.strategy.blueGreen',
      { activeService: 'web' },
      /exactly one of canary, blueGreen/,
      'spec.strategy',
    ),
    rollout('an unknown top-level field', 'status', {}, /unknown field "status"/),
    rollout('no metadata', 'metadata', undefined, /required field is missing/),
    rollout('no spec', 'spec', undefined, /required field is missing/),
    // metadata
    rollout('an uppercase name', 'metadata.name', 'Web', /DNS-1123 label/),
    rollout('a name with an underscore', 'metadata.name', 'web_1', /DNS-1123 label/),
    rollout('a name of 64 characters', 'metadata.name', 'a'.repeat(64), /DNS-1123 label/),
    rollout('an empty name', 'metadata.name', '', /DNS-1123 label/),
    rollout('a name that is a number', 'metadata.name', 42, /DNS-1123 label/),
    rollout(
      'a label that is a number',
      'metadata.labels',
      { tier: 1 },
      /expected a string \(quote numbers/,
      'metadata.labels.tier',
    ),
    rollout('labels that are a list', 'metadata.labels', ['a'], /a mapping of strings/),
    rollout(
      'an annotation over 64 KiB',
      'metadata.annotations',
      { note: 'x'.repeat(65_537) },
      /at most 65536 characters/,
      'metadata.annotations.note',
    ),
    rollout('an unknown metadata field', 'metadata.namespace', 'default', /unknown field "namespace"/),
    // spec
    rollout('replicas -1', 'spec.replicas', -1, /0\.\.1000/),
    rollout('replicas 1.5', 'spec.replicas', 1.5, /0\.\.1000/),
    rollout('replicas as a string', 'spec.replicas', '3', /0\.\.1000/),
    rollout('replicas 1001', 'spec.replicas', 1001, /0\.\.1000 \(the local platform's limit\)/),
    rollout('replicas 1,000,000', 'spec.replicas', 1_000_000, /0\.\.1000/),
    rollout('port 0', 'spec.port', 0, /a port number 1\.\.65535/),
    rollout('port 70000', 'spec.port', 70_000, /a port number 1\.\.65535/),
    rollout('port as a string', 'spec.port', '8080', /a port number 1\.\.65535/),
    rollout('no port', 'spec.port', undefined, /required field is missing; expected a port number/),
    rollout('paused "yes"', 'spec.paused', 'yes', /true or false/),
    rollout('progressDeadlineSeconds 0', 'spec.progressDeadlineSeconds', 0, /seconds 1\.\.2592000/),
    rollout('progressDeadlineSeconds 1e12', 'spec.progressDeadlineSeconds', 1e12, /30 days/),
    rollout(
      'a misspelt replicas',
      'spec.replicaz',
      3,
      /unknown field "replicaz" \(did you mean "replicas"\?\)/,
    ),
    rollout('no template', 'spec.template', undefined, /required field is missing/),
    rollout('no strategy', 'spec.strategy', undefined, /required field is missing/),
    rollout(
      'two strategies',
      'spec.strategy',
      { canary: {}, recreate: {} },
      /exactly one of canary, blueGreen, rolling, recreate, got canary and recreate/,
    ),
    rollout(
      'no strategy set',
      'spec.strategy',
      {},
      /exactly one of canary, blueGreen, rolling, recreate, got none/,
    ),
    rollout(
      'recreate with a field',
      'spec.strategy',
      { recreate: { wait: 1 } },
      /unknown field "wait"/,
      'spec.strategy.recreate.wait',
    ),
    rollout(
      'an unknown strategy',
      'spec.strategy',
      { bluegreen: {} },
      /unknown field "bluegreen" \(did you mean "blueGreen"\?\)/,
      'spec.strategy.bluegreen',
    ),
    // template
    rollout('no command', `${T}.command`, undefined, /required field is missing; expected a non-empty list/),
    rollout('an empty command', `${T}.command`, [], /a non-empty list of non-empty strings/),
    rollout(
      'an empty argument',
      `${T}.command`,
      ['node', ''],
      /non-empty strings without NUL/,
      `${T}.command.1`,
    ),
    rollout('a number as an argument', `${T}.command`, ['node', 1], /non-empty strings/, `${T}.command.1`),
    rollout('a command that is a string', `${T}.command`, 'node server.js', /a non-empty list/),
    rollout('NUL in an argument', `${T}.command`, ['node', 'a\0b'], /without NUL/, `${T}.command.1`),
    rollout('1001 arguments', `${T}.command`, many(1001, 'x'), /at most 1000/),
    rollout('an empty cwd', `${T}.cwd`, '', /a directory path/),
    rollout('NUL in cwd', `${T}.cwd`, '/tmp/a\0b', NO_CONTROL),
    rollout('a cwd of 5000 characters', `${T}.cwd`, `/${'a'.repeat(4999)}`, /at most 4096 characters/),
    rollout(
      'an env list entry that is a string',
      `${T}.env`,
      ['A=1'],
      /expected a mapping, got "A=1"/,
      `${T}.env.0`,
    ),
    rollout('an env that is a string', `${T}.env`, 'A=1', /a mapping of environment variable names/),
    rollout(
      'an env value that is a number',
      `${T}.env`,
      { PORT_HINT: 8080 },
      /quote numbers/,
      `${T}.env.PORT_HINT`,
    ),
    rollout(
      'an env name starting with a digit',
      `${T}.env`,
      { '1A': 'x' },
      /an environment variable name/,
      `${T}.env.1A`,
    ),
    rollout('an env name with =', `${T}.env`, { 'A=B': 'x' }, /an environment variable name/, `${T}.env.A=B`),
    rollout('NUL in an env value', `${T}.env`, { SECRET: 'a\0b' }, /cannot hold NUL/, `${T}.env.SECRET`),
    rollout(
      'an env value of 128 KiB',
      `${T}.env`,
      { BIG: 'x'.repeat(128 * 1024) },
      /131071 bytes/,
      `${T}.env.BIG`,
    ),
    raw(
      'Rollout: env over the ARG_MAX budget (YAML aliases)',
      argMaxYaml(base),
      'spec.template.env',
      /1048576/,
    ),
    rollout(
      'terminationGracePeriodSeconds -1',
      `${T}.terminationGracePeriodSeconds`,
      -1,
      /seconds 0\.\.2592000/,
    ),
    rollout('terminationGracePeriodSeconds 1e9', `${T}.terminationGracePeriodSeconds`, 1e9, /30 days/),
    rollout('an unknown template field', `${T}.image`, 'nginx', /unknown field "image"/),
    // probes
    rollout(
      'a probe with two handlers',
      P,
      { httpGet: {}, tcpSocket: {} },
      /exactly one of httpGet, tcpSocket, exec, got httpGet and tcpSocket/,
    ),
    rollout(
      'a probe without a handler',
      P,
      { periodSeconds: 1 },
      /exactly one of httpGet, tcpSocket, exec, got none/,
    ),
    rollout('a probe path without /', `${P}.httpGet.path`, 'healthz', /an absolute URL path/),
    rollout(
      'CR/LF in a probe path',
      `${P}.httpGet.path`,
      '/healthz\r\nX-Evil: 1',
      /no spaces or control characters/,
    ),
    rollout('a space in a probe path', `${P}.httpGet.path`, '/health z', /no spaces/),
    rollout(
      'a probe path of 5000 characters',
      `${P}.httpGet.path`,
      `/${'a'.repeat(4999)}`,
      /at most 4096 characters/,
    ),
    rollout(
      'a probe header name with a space',
      `${P}.httpGet.httpHeaders`,
      [{ name: 'X Beta', value: '1' }],
      /an HTTP header name/,
      `${P}.httpGet.httpHeaders.0.name`,
    ),
    rollout(
      'an empty probe header name',
      `${P}.httpGet.httpHeaders`,
      [{ name: '', value: '1' }],
      /an HTTP header name/,
      `${P}.httpGet.httpHeaders.0.name`,
    ),
    rollout(
      'a probe header name with a colon',
      `${P}.httpGet.httpHeaders`,
      [{ name: 'X:Y', value: '1' }],
      /an HTTP header name/,
      `${P}.httpGet.httpHeaders.0.name`,
    ),
    rollout(
      'CR/LF in a probe header value',
      `${P}.httpGet.httpHeaders`,
      [{ name: 'X-A', value: 'a\r\nInjected: 1' }],
      NO_CONTROL,
      `${P}.httpGet.httpHeaders.0.value`,
    ),
    rollout(
      'NUL in a probe header value',
      `${P}.httpGet.httpHeaders`,
      [{ name: 'X-A', value: 'a\0' }],
      NO_CONTROL,
      `${P}.httpGet.httpHeaders.0.value`,
    ),
    rollout(
      '65 probe headers',
      `${P}.httpGet.httpHeaders`,
      many(65, { name: 'X-A', value: '1' }),
      /at most 64/,
    ),
    rollout('a probe scheme FTP', `${P}.httpGet.scheme`, 'FTP', /HTTP or HTTPS/),
    rollout('a probe port 0', `${P}.httpGet.port`, 0, /a port number/),
    rollout(
      'a tcpSocket port 70000',
      P,
      { tcpSocket: { port: 70_000 } },
      /a port number/,
      `${P}.tcpSocket.port`,
    ),
    rollout(
      'an exec probe without a command',
      P,
      { exec: { command: [] } },
      /a non-empty list/,
      `${P}.exec.command`,
    ),
    rollout(
      'NUL in an exec probe command',
      P,
      { exec: { command: ['true', '\0'] } },
      /without NUL/,
      `${P}.exec.command.1`,
    ),
    rollout('initialDelaySeconds -1', `${P}.initialDelaySeconds`, -1, /seconds 0\.\.2592000/),
    rollout('periodSeconds 0', `${P}.periodSeconds`, 0, /seconds 1\.\.2592000/),
    rollout('periodSeconds 1e9', `${P}.periodSeconds`, 1e9, /30 days/),
    rollout('timeoutSeconds 0', `${P}.timeoutSeconds`, 0, /seconds 1\.\.2592000/),
    rollout('successThreshold 0', `${P}.successThreshold`, 0, /1\.\.100000/),
    rollout('failureThreshold 1e9', `${P}.failureThreshold`, 1e9, /1\.\.100000/),
    rollout(
      'a liveness successThreshold of 2',
      `${T}.livenessProbe`,
      { tcpSocket: {}, successThreshold: 2 },
      /the only value Kubernetes allows/,
      `${T}.livenessProbe.successThreshold`,
    ),
    rollout('an unknown probe field', `${P}.grpc`, {}, /unknown field "grpc"/),
    // canary
    rollout('steps that are a mapping', `${C}.steps`, { setWeight: 1 }, /a list of steps/),
    rollout('an unknown step', `${C}.steps`, [{ setWeigth: 20 }], /did you mean "setWeight"/, `${C}.steps.0`),
    rollout(
      'a step with two actions',
      `${C}.steps`,
      [{ setWeight: 20, pause: {} }],
      /exactly one of setWeight, pause/,
      `${C}.steps.0`,
    ),
    rollout('setWeight 101', `${S0}.setWeight`, 101, /an integer 0\.\.100, got 101/),
    rollout('setWeight -1', `${S0}.setWeight`, -1, /an integer 0\.\.100/),
    rollout('setWeight "50"', `${S0}.setWeight`, '50', /an integer 0\.\.100/),
    rollout(
      'an empty pause',
      `${C}.steps`,
      [{ pause: null }],
      /\{\} to pause until promoted/,
      `${C}.steps.0.pause`,
    ),
    rollout(
      'a pause of "abc"',
      `${C}.steps`,
      [{ pause: { duration: 'abc' } }],
      /a duration/,
      `${C}.steps.0.pause.duration`,
    ),
    rollout(
      'a pause of -1',
      `${C}.steps`,
      [{ pause: { duration: -1 } }],
      /a duration/,
      `${C}.steps.0.pause.duration`,
    ),
    rollout(
      'a pause of 1e12 s',
      `${C}.steps`,
      [{ pause: { duration: 1e12 } }],
      /at most 30 days/,
      `${C}.steps.0.pause.duration`,
    ),
    rollout(
      'a pause of 744h',
      `${C}.steps`,
      [{ pause: { duration: '744h' } }],
      /at most 30 days/,
      `${C}.steps.0.pause.duration`,
    ),
    rollout(
      'a pause in days',
      `${C}.steps`,
      [{ pause: { duration: '3d' } }],
      /a duration/,
      `${C}.steps.0.pause.duration`,
    ),
    rollout('1001 steps', `${C}.steps`, many(1001, { setWeight: 10 }), /at most 1000 steps/),
    rollout(
      'an analysis step without templates',
      `${C}.steps`,
      [{ analysis: {} }],
      /required field is missing/,
      `${C}.steps.0.analysis.templates`,
    ),
    rollout(
      'an analysis step with no template',
      `${C}.steps`,
      [{ analysis: { templates: [] } }],
      /at least one/,
      `${C}.steps.0.analysis.templates`,
    ),
    rollout(
      'a templateName that is not a name',
      `${C}.steps`,
      analysisStep({ templates: [{ templateName: 'Error Rate' }] }),
      /DNS-1123/,
      `${C}.steps.0.analysis.templates.0.templateName`,
    ),
    rollout(
      'a templateName that does not exist',
      `${C}.steps`,
      analysisStep({ templates: [{ templateName: 'nope' }] }),
      /nope/,
      `${C}.steps.0.analysis.templates.0.templateName`,
    ),
    rollout(
      'duplicate args',
      `${C}.steps`,
      analysisStep({
        args: [
          { name: 'a', value: '1' },
          { name: 'a', value: '2' },
        ],
      }),
      /duplicate arg "a"/,
      `${C}.steps.0.analysis.args.1.name`,
    ),
    rollout(
      'an arg with value and valueFrom',
      `${C}.steps`,
      analysisStep({ args: [{ name: 'a', value: '1', valueFrom: { env: 'X' } }] }),
      /either value or valueFrom/,
      `${C}.steps.0.analysis.args.0.valueFrom`,
    ),
    rollout(
      'a valueFrom with two sources',
      `${C}.steps`,
      analysisStep({
        args: [{ name: 'a', valueFrom: { env: 'X', fieldRef: { fieldPath: 'metadata.name' } } }],
      }),
      /exactly one of env, secretKeyRef/,
      `${C}.steps.0.analysis.args.0.valueFrom`,
    ),
    rollout(
      'podTemplateHashValue Canary',
      `${C}.steps`,
      analysisStep({ args: [{ name: 'a', valueFrom: { podTemplateHashValue: 'Canary' } }] }),
      /Stable or Latest/,
      `${C}.steps.0.analysis.args.0.valueFrom.podTemplateHashValue`,
    ),
    rollout(
      'an arg value over 64 KiB',
      `${C}.steps`,
      analysisStep({ args: [{ name: 'a', value: 'x'.repeat(65_537) }] }),
      /at most 65536/,
      `${C}.steps.0.analysis.args.0.value`,
    ),
    rollout(
      'a startingStep past the steps',
      `${C}.analysis`,
      { templates: [{ templateName: 'error-rate' }], startingStep: 5 },
      /a step index 0\.\.1/,
      `${C}.analysis.startingStep`,
    ),
    rollout('maxSurge 1001%', `${C}.maxSurge`, '1001%', /0%\.\.1000%/),
    rollout('maxUnavailable 101%', `${C}.maxUnavailable`, '101%', /0%\.\.100%/),
    rollout('maxSurge and maxUnavailable both 0', `${C}.maxSurge`, 0, /cannot both be 0/),
    rollout('abortScaleDownDelaySeconds 1e9', `${C}.abortScaleDownDelaySeconds`, 1e9, /30 days/),
    rollout('scaleDownDelaySeconds -1', `${C}.scaleDownDelaySeconds`, -1, /seconds 0\.\.2592000/),
    rollout(
      'a header route header name with a space',
      'spec.strategy',
      canary(headerRoute([{ headerName: 'x beta', headerValue: { exact: '1' } }])),
      /an HTTP header name/,
      `${S0}.setHeaderRoute.match.0.headerName`,
    ),
    rollout(
      'a header route with 9 conditions',
      'spec.strategy',
      canary(headerRoute(many(9, { headerName: 'x-a', headerValue: { exact: '1' } }))),
      /at most 8/,
      `${S0}.setHeaderRoute.match`,
    ),
    rollout(
      'a header route with an empty match',
      'spec.strategy',
      canary(headerRoute([])),
      /a non-empty list/,
      `${S0}.setHeaderRoute.match`,
    ),
    rollout(
      'a header value with exact and prefix',
      'spec.strategy',
      canary(headerRoute(hv({ exact: 'a', prefix: 'b' }))),
      /exactly one of exact, prefix, regex/,
      `${S0}.setHeaderRoute.match.0.headerValue`,
    ),
    rollout(
      'a header value regex that does not compile',
      'spec.strategy',
      canary(headerRoute(hv({ regex: '(' }))),
      /regular expression/,
      `${S0}.setHeaderRoute.match.0.headerValue.regex`,
    ),
    rollout(
      'a header value regex of 257 characters',
      'spec.strategy',
      canary(headerRoute(hv({ regex: 'a'.repeat(257) }))),
      /regular expression/,
      `${S0}.setHeaderRoute.match.0.headerValue.regex`,
    ),
    rollout(
      'a header route without a name',
      'spec.strategy',
      canary([{ setHeaderRoute: { match: hv({ exact: '1' }) } }]),
      /required field is missing/,
      `${S0}.setHeaderRoute.name`,
    ),
    rollout(
      'an experiment without templates',
      'spec.strategy',
      canary([{ experiment: { templates: [] } }]),
      /a non-empty list of \{name, specRef\}/,
      `${S0}.experiment.templates`,
    ),
    rollout(
      'an experiment with duplicate templates',
      'spec.strategy',
      canary(
        experiment({
          templates: [
            { name: 'a', specRef: 'canary' },
            { name: 'a', specRef: 'stable' },
          ],
        }),
      ),
      /duplicate template "a"/,
      `${S0}.experiment.templates.1.name`,
    ),
    rollout(
      'experiment weights over 100',
      'spec.strategy',
      canary(
        experiment({
          templates: [
            { name: 'a', specRef: 'canary', weight: 60 },
            { name: 'b', specRef: 'stable', weight: 50 },
          ],
        }),
      ),
      /summing to at most 100/,
      `${S0}.experiment.templates`,
    ),
    rollout(
      'an experiment of 101 replicas',
      'spec.strategy',
      canary(experiment({ templates: [{ name: 'a', specRef: 'canary', replicas: 101 }] })),
      /an integer 1\.\.100/,
      `${S0}.experiment.templates.0.replicas`,
    ),
    rollout(
      'an experiment specRef both',
      'spec.strategy',
      canary(experiment({ templates: [{ name: 'a', specRef: 'both' }] })),
      /stable or canary/,
      `${S0}.experiment.templates.0.specRef`,
    ),
    rollout(
      'an experiment of 1e12 s',
      'spec.strategy',
      canary(experiment({ duration: 1e12 })),
      /at most 30 days/,
      `${S0}.experiment.duration`,
    ),
    // blue-green
    rollout(
      'previewPort equal to port',
      'spec.strategy',
      bg({ previewPort: port }),
      /a port other than spec.port/,
      `${BG}.previewPort`,
    ),
    rollout('previewPort 0', 'spec.strategy', bg({ previewPort: 0 }), /a port number/, `${BG}.previewPort`),
    rollout(
      'autoPromotionEnabled "yes"',
      'spec.strategy',
      bg({ autoPromotionEnabled: 'yes' }),
      /true or false/,
      `${BG}.autoPromotionEnabled`,
    ),
    rollout(
      'autoPromotionSeconds -1',
      'spec.strategy',
      bg({ autoPromotionSeconds: -1 }),
      /seconds 0\.\.2592000/,
      `${BG}.autoPromotionSeconds`,
    ),
    rollout(
      'autoPromotionSeconds 1e9',
      'spec.strategy',
      bg({ autoPromotionSeconds: 1e9 }),
      /30 days/,
      `${BG}.autoPromotionSeconds`,
    ),
    rollout(
      'previewReplicaCount 0',
      'spec.strategy',
      bg({ previewReplicaCount: 0 }),
      /1\.\.1000/,
      `${BG}.previewReplicaCount`,
    ),
    rollout(
      'previewReplicaCount 1001',
      'spec.strategy',
      bg({ previewReplicaCount: 1001 }),
      /1\.\.1000/,
      `${BG}.previewReplicaCount`,
    ),
    rollout(
      'blue-green scaleDownDelaySeconds 1e9',
      'spec.strategy',
      bg({ scaleDownDelaySeconds: 1e9 }),
      /30 days/,
      `${BG}.scaleDownDelaySeconds`,
    ),
    rollout(
      'prePromotionAnalysis without templates',
      'spec.strategy',
      bg({ prePromotionAnalysis: {} }),
      /required field is missing/,
      `${BG}.prePromotionAnalysis.templates`,
    ),
    rollout(
      'an unknown blue-green field',
      'spec.strategy',
      bg({ activeService: 'web' }),
      /unknown field "activeService"/,
      `${BG}.activeService`,
    ),
    // rolling
    rollout(
      'rolling maxSurge -1',
      'spec.strategy',
      { rolling: { maxSurge: -1 } },
      /an integer 0\.\.1000/,
      'spec.strategy.rolling.maxSurge',
    ),
    rollout(
      'rolling maxSurge "abc"',
      'spec.strategy',
      { rolling: { maxSurge: 'abc' } },
      /a percentage/,
      'spec.strategy.rolling.maxSurge',
    ),
    rollout(
      'rolling maxSurge 1e9',
      'spec.strategy',
      { rolling: { maxSurge: 1e9 } },
      /an integer 0\.\.1000/,
      'spec.strategy.rolling.maxSurge',
    ),
    rollout(
      'rolling maxUnavailable 101%',
      'spec.strategy',
      { rolling: { maxUnavailable: '101%' } },
      /0%\.\.100%/,
      'spec.strategy.rolling.maxUnavailable',
    ),
    rollout(
      'rolling maxSurge and maxUnavailable 0',
      'spec.strategy',
      { rolling: { maxSurge: 0, maxUnavailable: '0%' } },
      /cannot both be 0/,
      'spec.strategy.rolling.maxUnavailable',
    ),
    // machine checks (after the schema)
    rollout(
      'a command not on $PATH',
      `${T}.command`,
      ['no-such-binary-xyz'],
      /expected an executable on \$PATH/,
      `${T}.command.0`,
    ),
    rollout('a cwd that does not exist', `${T}.cwd`, '/no/such/dir', /expected an existing directory/),
    raw(
      'a new Rollout on a port another process holds',
      yaml(set(set(rolloutDoc(), 'metadata.name', 'other'), 'spec.port', busyPort)),
      'spec.port',
      /is in use by another process/,
    ),
    raw(
      "a new Rollout on web's port",
      yaml(set(rolloutDoc(), 'metadata.name', 'other')),
      'spec.port',
      /is already used by rollout "web"/,
    ),
    // AnalysisTemplate
    analysis('no metrics', 'spec.metrics', undefined, /required field is missing/),
    analysis('an empty metrics list', 'spec.metrics', [], /at least one metric/),
    analysis(
      '1001 metrics',
      'spec.metrics',
      Array.from({ length: 1001 }, (_, i) => ({
        name: `m${i}`,
        provider: { builtin: { metric: 'error-rate' } },
      })),
      /at most 1000 metrics/,
    ),
    analysis('a metric without a name', `${M}.name`, undefined, /required field is missing/),
    analysis(
      'two metrics of one name',
      'spec.metrics',
      [
        { name: 'a', provider: { builtin: { metric: 'latency' } } },
        { name: 'a', provider: { builtin: { metric: 'latency' } } },
      ],
      /duplicate metric name "a"/,
      'spec.metrics.1.name',
    ),
    analysis('an interval of "abc"', `${M}.interval`, 'abc', /a duration/),
    analysis('an interval of 1e12 s', `${M}.interval`, 1e12, /at most 30 days/),
    analysis('an initialDelay of 40 days', `${M}.initialDelay`, '960h', /at most 30 days/),
    analysis('a count of -1', `${M}.count`, -1, /0\.\.100000/),
    analysis('a count of 1e9', `${M}.count`, 1e9, /0\.\.100000/),
    analysis('a count of "many"', `${M}.count`, 'many', /0\.\.100000, or an \{\{args.name\}\}/),
    analysis('a failureLimit of -2', `${M}.failureLimit`, -2, /-1\.\.100000/),
    analysis('an inconclusiveLimit of 1e9', `${M}.inconclusiveLimit`, 1e9, /0\.\.100000/),
    analysis('a consecutiveErrorLimit of 1.5', `${M}.consecutiveErrorLimit`, 1.5, /0\.\.100000/),
    analysis(
      'a successCondition that does not parse',
      `${M}.successCondition`,
      'result <=',
      /invalid expression/,
    ),
    analysis(
      'a failureCondition that does not parse',
      `${M}.failureCondition`,
      'result >= (',
      /invalid expression/,
    ),
    analysis('a condition that is a number', `${M}.successCondition`, 5, /an expression such as/),
    analysis('an undeclared arg', `${M}.successCondition`, 'result < {{args.limit}}', /unknown arg "limit"/),
    analysis('no provider', `${M}.provider`, undefined, /required field is missing/),
    analysis(
      'two providers',
      `${M}.provider`,
      { builtin: { metric: 'latency' }, web: { url: 'http://x' } },
      /exactly one of builtin, prometheus/,
    ),
    analysis(
      'an unknown provider',
      `${M}.provider`,
      { datadog: {} },
      /unknown field "datadog"/,
      `${M}.provider.datadog`,
    ),
    analysis(
      'a builtin metric cpu',
      `${M}.provider.builtin.metric`,
      'cpu',
      /error-rate, request-rate, latency or mirror-mismatch-rate/,
    ),
    analysis(
      'a quantile of 1.5',
      `${M}.provider.builtin`,
      { metric: 'latency', quantile: 1.5 },
      /between 0 and 1/,
      `${M}.provider.builtin.quantile`,
    ),
    analysis(
      'a quantile on error-rate',
      `${M}.provider.builtin`,
      { metric: 'error-rate', quantile: 0.5 },
      /applies to metric latency only/,
      `${M}.provider.builtin.quantile`,
    ),
    analysis('a revision blue', `${M}.provider.builtin.revision`, 'blue', /canary, stable, preview, active/),
    analysis('a window of 1e12 s', `${M}.provider.builtin.window`, 1e12, /at most 30 days/),
    analysis(
      'a count > 1 without interval',
      M,
      { name: 'm', count: 3, provider: { builtin: { metric: 'latency' } } },
      /interval/,
      `${M}.count`,
    ),
    analysis(
      'a measurementRetention limit of 0',
      'spec.measurementRetention',
      [{ metricName: 'error-rate', limit: 0 }],
      /1\.\.100000/,
      'spec.measurementRetention.0.limit',
    ),
    analysis('a dryRun that is a mapping', 'spec.dryRun', { metricName: 'x' }, /a list of \{metricName\}/),
    analysis('a wrong apiVersion', 'apiVersion', 'v2', /cutover.dev\/v1alpha1 or argoproj.io\/v1alpha1/),
    analysis('an unknown spec field', 'spec.metricz', [], /did you mean "metrics"/),
    analysis(
      'duplicate template args',
      'spec.args',
      [{ name: 'a' }, { name: 'a' }],
      /duplicate arg "a"/,
      'spec.args.1.name',
    ),
    analysis(
      '1001 args',
      'spec.args',
      Array.from({ length: 1001 }, (_, i) => ({ name: `a${i}` })),
      /at most 1000 args/,
    ),
    // Environment
    environment('order -1', 'spec.order', -1, /0\.\.100000/),
    environment('order "1"', 'spec.order', '1', /0\.\.100000/),
    environment('order 1e9', 'spec.order', 1e9, /0\.\.100000/),
    environment('no order', 'spec.order', undefined, /required field is missing/),
    environment(
      'an unknown time zone',
      'spec.windows',
      { timeZone: 'Mars/Olympus' },
      /time zone|timeZone/i,
      'spec.windows.timeZone',
    ),
    environment('an unknown field', 'spec.tier', 'gold', /unknown field "tier"/),
  ];
}

function apiCases(): ApiCase[] {
  const bad = (
    name: string,
    method: 'POST' | 'DELETE',
    url: string,
    body: unknown,
    path: string,
    expected: RegExp,
  ): ApiCase => ({
    kind: 'api',
    name,
    method,
    url,
    body,
    status: 400,
    code: 'CUTOVER_E_BAD_REQUEST',
    path,
    expected,
  });
  const file = () => SPEC_FILE();
  const text = yaml(set(rolloutDoc(), 'spec.template.env.VERSION', 'v9'));
  const rolloutCommands = ['pause', 'resume', 'abort', 'retry'].flatMap((c) => [
    bad(
      `${c}: an unknown field`,
      'POST',
      `/api/v1/rollouts/web/${c}`,
      { force: true },
      'force',
      /unknown field "force"; expected no fields/,
    ),
    bad(
      `${c}: a list as body`,
      'POST',
      `/api/v1/rollouts/web/${c}`,
      [1],
      '',
      /expected object|Invalid input/,
    ),
  ]);
  return [
    bad('apply: no body', 'POST', '/api/v1/apply', undefined, '', /expected object|Invalid input/),
    bad('apply: a list as body', 'POST', '/api/v1/apply', [], '', /expected object|Invalid input/),
    bad(
      'apply: a string as body',
      'POST',
      '/api/v1/apply',
      '"web.yaml"',
      '',
      /expected object|Invalid input/,
    ),
    bad('apply: no file', 'POST', '/api/v1/apply', { text }, 'file', /expected string/),
    bad(
      'apply: a relative file',
      'POST',
      '/api/v1/apply',
      { file: 'web.yaml', text },
      'file',
      /expected an absolute path/,
    ),
    bad('apply: an empty file', 'POST', '/api/v1/apply', { file: '', text }, 'file', /expected/),
    bad(
      'apply: a file that is a number',
      'POST',
      '/api/v1/apply',
      { file: 7, text },
      'file',
      /expected string/,
    ),
    bad('apply: no text', 'POST', '/api/v1/apply', { file: '/tmp/web.yaml' }, 'text', /expected string/),
    bad(
      'apply: text that is a mapping',
      'POST',
      '/api/v1/apply',
      { file: '/tmp/web.yaml', text: { a: 1 } },
      'text',
      /expected string/,
    ),
    bad(
      'apply: an unknown field',
      'POST',
      '/api/v1/apply',
      { file: '/tmp/web.yaml', text, dryRun: true },
      'dryRun',
      /unknown field "dryRun"; expected one of file, text/,
    ),
    {
      kind: 'api',
      name: 'apply: malformed JSON',
      method: 'POST',
      url: '/api/v1/apply',
      body: '{"file": ',
      status: 400,
      code: 'CUTOVER_E_HTTP_FST_ERR_CTP_INVALID_JSON_BODY',
      expected: /JSON/i,
    },
    {
      kind: 'api',
      name: 'apply: text/plain',
      method: 'POST',
      url: '/api/v1/apply',
      body: 'kind: Rollout',
      contentType: 'text/plain',
      status: 400,
      code: 'CUTOVER_E_BAD_REQUEST',
      path: '',
      expected: /expected object, received string/,
    },
    {
      kind: 'api',
      name: 'apply: a body over 1 MiB',
      method: 'POST',
      url: '/api/v1/apply',
      body: { file: '/tmp/x.yaml', text: 'x'.repeat(1_100_000) },
      status: 413,
      code: 'CUTOVER_E_BODY_TOO_LARGE',
      expected: /too large/i,
    },
    {
      kind: 'api',
      name: 'apply: as a viewer',
      method: 'POST',
      url: '/api/v1/apply',
      body: { file: file(), text },
      as: 'viewer',
      status: 403,
      code: 'CUTOVER_E_FORBIDDEN',
      expected: /role viewer may not POST \/api\/v1\/apply/,
    },
    ...rolloutCommands,
    bad(
      'promote: full "yes"',
      'POST',
      '/api/v1/rollouts/web/promote',
      { full: 'yes' },
      'full',
      /expected boolean/,
    ),
    bad(
      'promote: an unknown field',
      'POST',
      '/api/v1/rollouts/web/promote',
      { full: true, skip: 1 },
      'skip',
      /unknown field "skip"; expected one of full/,
    ),
    {
      kind: 'api',
      name: 'promote: an unknown rollout',
      method: 'POST',
      url: '/api/v1/rollouts/nope/promote',
      body: {},
      status: 404,
      code: 'CUTOVER_E_NOT_FOUND',
      expected: /nope/,
    },
    {
      kind: 'api',
      name: 'abort: as a viewer',
      method: 'POST',
      url: '/api/v1/rollouts/web/abort',
      body: {},
      as: 'viewer',
      status: 403,
      code: 'CUTOVER_E_FORBIDDEN',
      expected: /role viewer may not/,
    },
    bad(
      'undo: toRevision 0',
      'POST',
      '/api/v1/rollouts/web/undo',
      { toRevision: 0 },
      'toRevision',
      /expected number to be >0|too small/i,
    ),
    bad(
      'undo: toRevision "1"',
      'POST',
      '/api/v1/rollouts/web/undo',
      { toRevision: '1' },
      'toRevision',
      /expected number/,
    ),
    bad(
      'undo: toRevision 1.5',
      'POST',
      '/api/v1/rollouts/web/undo',
      { toRevision: 1.5 },
      'toRevision',
      /expected int/,
    ),
    bad(
      'undo: an unknown field',
      'POST',
      '/api/v1/rollouts/web/undo',
      { to: 1 },
      'to',
      /unknown field "to"; expected one of toRevision/,
    ),
    {
      kind: 'api',
      name: 'undo: a revision that does not exist',
      method: 'POST',
      url: '/api/v1/rollouts/web/undo',
      body: { toRevision: 99 },
      status: 404,
      code: 'CUTOVER_E_REVISION_NOT_FOUND',
      path: 'toRevision',
      expected: /has no revision 99/,
    },
    {
      kind: 'api',
      name: 'undo: no previous revision',
      method: 'POST',
      url: '/api/v1/rollouts/web/undo',
      body: {},
      status: 409,
      code: 'CUTOVER_E_NO_PREVIOUS_REVISION',
      expected: /no revision before 1/,
    },
    {
      kind: 'api',
      name: 'undo: an unknown rollout',
      method: 'POST',
      url: '/api/v1/rollouts/nope/undo',
      body: {},
      status: 404,
      code: 'CUTOVER_E_NOT_FOUND',
      path: 'name',
      expected: /rollout nope not found/,
    },
    bad(
      'delete rollout: a body field',
      'DELETE',
      '/api/v1/rollouts/web',
      { cascade: true },
      'cascade',
      /unknown field "cascade"; expected no fields/,
    ),
    {
      kind: 'api',
      name: 'delete rollout: an unknown rollout',
      method: 'DELETE',
      url: '/api/v1/rollouts/nope',
      status: 404,
      code: 'CUTOVER_E_NOT_FOUND',
      path: 'name',
      expected: /rollout nope not found/,
    },
    {
      kind: 'api',
      name: 'delete rollout: as a viewer',
      method: 'DELETE',
      url: '/api/v1/rollouts/web',
      as: 'viewer',
      status: 403,
      code: 'CUTOVER_E_FORBIDDEN',
      expected: /role viewer may not DELETE/,
    },
    bad('token: no user', 'POST', '/api/v1/tokens', { role: 'viewer' }, 'user', /expected string/),
    bad(
      'token: a user with a space',
      'POST',
      '/api/v1/tokens',
      { user: 'a b', role: 'viewer' },
      'user',
      /expected a name of letters/,
    ),
    bad(
      'token: a user of 65 characters',
      'POST',
      '/api/v1/tokens',
      { user: 'a'.repeat(65), role: 'viewer' },
      'user',
      /expected a name of letters/,
    ),
    bad(
      'token: role root',
      'POST',
      '/api/v1/tokens',
      { user: 'eve', role: 'root' },
      'role',
      /expected one of "viewer"/,
    ),
    bad(
      'token: an approver without qualifier',
      'POST',
      '/api/v1/tokens',
      { user: 'eve', role: 'approver' },
      'qualifier',
      /an approver needs a qualifier/,
    ),
    bad(
      'token: a viewer with a qualifier',
      'POST',
      '/api/v1/tokens',
      { user: 'eve', role: 'viewer', qualifier: 'manager' },
      'qualifier',
      /other roles take none/,
    ),
    bad(
      'token: kind robot',
      'POST',
      '/api/v1/tokens',
      { user: 'eve', role: 'viewer', kind: 'robot' },
      'kind',
      /expected one of "user"\|"agent"|expected one of/,
    ),
    bad(
      'token: an unknown field',
      'POST',
      '/api/v1/tokens',
      { user: 'eve', role: 'viewer', expires: 1 },
      'expires',
      /unknown field "expires"; expected one of user, role, qualifier, kind/,
    ),
    {
      kind: 'api',
      name: 'token: as a viewer',
      method: 'POST',
      url: '/api/v1/tokens',
      body: { user: 'eve', role: 'admin' },
      as: 'viewer',
      status: 403,
      code: 'CUTOVER_E_FORBIDDEN',
      expected: /role viewer may not POST \/api\/v1\/tokens/,
    },
    {
      kind: 'api',
      name: 'revoke: an unknown token',
      method: 'DELETE',
      url: '/api/v1/tokens/nope',
      status: 404,
      code: 'CUTOVER_E_NOT_FOUND',
      path: 'id',
      expected: /token nope not found/,
    },
    bad(
      'revoke: a body field',
      'DELETE',
      '/api/v1/tokens/nope',
      { all: true },
      'all',
      /unknown field "all"; expected no fields/,
    ),
    {
      kind: 'api',
      name: 'revoke user: an unknown user',
      method: 'DELETE',
      url: '/api/v1/users/nobody-here/tokens',
      status: 404,
      code: 'CUTOVER_E_NOT_FOUND',
      path: 'name',
      expected: /user nobody-here not found/,
    },
    bad('release create: no file', 'POST', '/api/v1/releases', { text: 'x' }, 'file', /expected string/),
    bad(
      'release create: a relative file',
      'POST',
      '/api/v1/releases',
      { file: 'r.yaml', text: 'x' },
      'file',
      /expected an absolute path/,
    ),
    bad(
      'release create: type weekly',
      'POST',
      '/api/v1/releases',
      { file: '/tmp/r.yaml', text: 'x', type: 'weekly' },
      'type',
      /expected one of/,
    ),
    bad(
      'release create: an unknown field',
      'POST',
      '/api/v1/releases',
      { file: '/tmp/r.yaml', text: 'x', approve: true },
      'approve',
      /unknown field "approve"/,
    ),
    {
      kind: 'api',
      name: 'release create: invalid YAML',
      method: 'POST',
      url: '/api/v1/releases',
      body: { file: '/tmp/r.yaml', text: 'a: b: c' },
      status: 400,
      code: 'CUTOVER_E_SPEC_YAML',
      expected: /\/tmp\/r\.yaml:1:\d+ invalid YAML/,
    },
    {
      kind: 'api',
      name: 'release create: a Rollout, not a Release',
      method: 'POST',
      url: '/api/v1/releases',
      body: { file: '/tmp/r.yaml', text: yaml(rolloutDoc()) },
      status: 400,
      code: 'CUTOVER_E_SPEC_INVALID',
      expected: /\/tmp\/r\.yaml.*Release/,
    },
    bad('approve: no comment', 'POST', '/api/v1/releases/r1/approve', {}, 'comment', /expected string/),
    bad(
      'approve: a blank comment',
      'POST',
      '/api/v1/releases/r1/approve',
      { comment: '   ' },
      'comment',
      /a comment is required/,
    ),
    bad(
      'reject: an unknown field',
      'POST',
      '/api/v1/releases/r1/reject',
      { comment: 'no', force: true },
      'force',
      /unknown field "force"; expected one of comment/,
    ),
    {
      kind: 'api',
      name: 'approve: as a deployer-less viewer',
      method: 'POST',
      url: '/api/v1/releases/r1/approve',
      body: { comment: 'ok' },
      as: 'viewer',
      status: 403,
      code: 'CUTOVER_E_FORBIDDEN',
      expected: /role viewer may not/,
    },
    bad(
      'cancel: a reason that is a number',
      'POST',
      '/api/v1/releases/r1/cancel',
      { reason: 5 },
      'reason',
      /expected string/,
    ),
    bad(
      'cancel: an unknown field',
      'POST',
      '/api/v1/releases/r1/cancel',
      { why: 'x' },
      'why',
      /unknown field "why"; expected one of reason/,
    ),
    bad(
      'rollback: type partial',
      'POST',
      '/api/v1/releases/r1/rollback',
      { type: 'partial', reason: 'x' },
      'type',
      /expected one of/,
    ),
    bad(
      'rollback: no reason',
      'POST',
      '/api/v1/releases/r1/rollback',
      { type: 'traffic' },
      'reason',
      /expected string/,
    ),
    bad(
      'rollback: a value that is a mapping',
      'POST',
      '/api/v1/releases/r1/rollback',
      { type: 'traffic', reason: 'x', values: { a: {} } },
      'values.a',
      /Invalid input|expected/,
    ),
    bad(
      'findings: level panic',
      'POST',
      '/api/v1/releases/r1/findings',
      { level: 'panic', message: 'x' },
      'level',
      /expected one of "investigate"\|"escalation"|expected one of/,
    ),
    bad(
      'findings: an empty message',
      'POST',
      '/api/v1/releases/r1/findings',
      { level: 'investigate', message: '' },
      'message',
      /too small|expected string to have >=1/i,
    ),
    bad(
      'freeze override: no reason',
      'POST',
      '/api/v1/environments/staging/freeze-overrides',
      { freeze: 'xmas' },
      'reason',
      /expected string/,
    ),
    bad(
      'freeze override: an unknown field',
      'POST',
      '/api/v1/environments/staging/freeze-overrides',
      { freeze: 'xmas', reason: 'x', until: 1 },
      'until',
      /unknown field "until"; expected one of freeze, reason/,
    ),
    {
      kind: 'api',
      name: 'freeze override: an unknown environment',
      method: 'POST',
      url: '/api/v1/environments/nope/freeze-overrides',
      body: { freeze: 'xmas', reason: 'x' },
      status: 404,
      code: 'CUTOVER_E_NOT_FOUND',
      path: 'name',
      expected: /environment nope not found/,
    },
    bad(
      'shutdown: a body field',
      'POST',
      '/api/v1/shutdown',
      { now: true },
      'now',
      /unknown field "now"; expected no fields/,
    ),
  ];
}

function cliCases(): CliCase[] {
  const f = (relative: string) => () => env.path(relative);
  return [
    {
      kind: 'cli',
      name: 'apply without -f',
      args: () => ['apply'],
      exit: 2,
      expected: /required option '-f, --filename <file>' not specified/,
    },
    {
      kind: 'cli',
      name: 'an unknown option',
      args: () => ['apply', '-f', env.path('specs/x.yaml'), '--bogus'],
      exit: 2,
      expected: /unknown option '--bogus'/,
    },
    {
      kind: 'cli',
      name: 'an unknown command',
      args: () => ['deploy'],
      exit: 2,
      expected: /unknown command 'deploy'/,
    },
    {
      kind: 'cli',
      name: 'apply -f /dev/zero',
      args: () => ['apply', '-f', '/dev/zero'],
      exit: 1,
      expected: /cannot read spec file \/dev\/zero: expected a regular file, got a character device/,
      names: () => '/dev/zero',
    },
    {
      kind: 'cli',
      name: 'apply -f a named pipe',
      args: () => ['apply', '-f', env.path('specs/fifo')],
      exit: 1,
      expected: /expected a regular file, got a named pipe/,
      names: f('specs/fifo'),
    },
    {
      kind: 'cli',
      name: 'apply -f a directory',
      args: () => ['apply', '-f', env.path('specs')],
      exit: 1,
      expected: /expected a regular file, got a directory/,
      names: f('specs'),
    },
    {
      kind: 'cli',
      name: 'apply -f a missing file',
      args: () => ['apply', '-f', env.path('specs/missing.yaml')],
      exit: 1,
      expected: /ENOENT/,
      names: f('specs/missing.yaml'),
    },
    {
      kind: 'cli',
      name: 'apply -f a file over 512 KiB',
      args: () => ['apply', '-f', env.path('specs/big.yaml')],
      exit: 1,
      expected: /expected at most 524288 bytes, got \d+/,
      names: f('specs/big.yaml'),
    },
    {
      kind: 'cli',
      name: 'apply -f invalid YAML',
      args: () => ['apply', '-f', env.path('specs/bad-yaml.yaml')],
      exit: 1,
      expected: /:\d+:\d+ invalid YAML/,
      names: f('specs/bad-yaml.yaml'),
    },
    {
      kind: 'cli',
      name: 'apply -f an unknown field',
      args: () => ['apply', '-f', env.path('specs/unknown-field.yaml')],
      exit: 1,
      expected: /:\d+:\d+ spec\.replicaz: unknown field "replicaz"/,
      names: f('specs/unknown-field.yaml'),
    },
    {
      kind: 'cli',
      name: "apply -f the seed's NPA Argo Rollout on the local platform",
      args: () => ['apply', '-f', env.path('specs/npa-rollout.yaml')],
      exit: 1,
      expected:
        /:\d+:\d+ apiVersion: an Argo Rollout runs on the kubernetes platform \(cutover server --platform kubernetes\), not on the local platform; write a cutover\.dev\/v1alpha1 Rollout for the local platform/,
      names: f('specs/npa-rollout.yaml'),
    },
    {
      kind: 'cli',
      name: 'apply -f 1,000,000 replicas',
      args: () => ['apply', '-f', env.path('specs/replicas.yaml')],
      exit: 1,
      expected: /spec\.replicas: expected an integer 0\.\.1000/,
      names: f('specs/replicas.yaml'),
    },
    {
      kind: 'cli',
      name: 'apply -f an empty file',
      args: () => ['apply', '-f', env.path('specs/empty.yaml')],
      exit: 1,
      expected: /no resources/,
      names: f('specs/empty.yaml'),
    },
    {
      kind: 'cli',
      name: 'release create -f /dev/zero',
      args: () => ['release', 'create', '-f', '/dev/zero'],
      exit: 1,
      expected: /cannot read release file \/dev\/zero: expected a regular file/,
      names: () => '/dev/zero',
    },
    {
      kind: 'cli',
      name: 'release create --type weekly',
      args: () => ['release', 'create', '-f', env.path('specs/empty.yaml'), '--type', 'weekly'],
      exit: 2,
      expected: /--type: expected one of standard, hotfix, rollback, scheduled, got "weekly"/,
    },
    {
      kind: 'cli',
      name: 'release approve with an empty comment',
      args: () => ['release', 'approve', 'r1', '--comment', ' '],
      exit: 2,
      expected: /--comment is required and cannot be empty/,
    },
    {
      kind: 'cli',
      name: 'demo --rate -5',
      args: () => ['demo', '--rate', '-5'],
      exit: 2,
      expected: /--rate: expected an integer 1\.\.10000 \(requests per second\), got "-5"/,
    },
    {
      kind: 'cli',
      name: 'demo --rate 0',
      args: () => ['demo', '--rate', '0'],
      exit: 2,
      expected: /--rate: expected an integer 1\.\.10000/,
    },
    {
      kind: 'cli',
      name: 'demo --rate abc',
      args: () => ['demo', '--rate', 'abc'],
      exit: 2,
      expected: /--rate: expected an integer 1\.\.10000/,
    },
    {
      kind: 'cli',
      name: 'demo --rate 1e9',
      args: () => ['demo', '--rate', '1e9'],
      exit: 2,
      expected: /--rate: expected an integer 1\.\.10000/,
    },
    {
      kind: 'cli',
      name: 'server --port 70000',
      args: () => ['server', '--port', '70000'],
      exit: 2,
      expected: /--port \/ CUTOVER_API_PORT: expected a port number 0\.\.65535, got "70000"/,
    },
    {
      kind: 'cli',
      name: 'undo --to-revision abc',
      args: () => ['undo', 'web', '--to-revision', 'abc'],
      exit: 2,
      expected: /--to-revision: expected a revision number ≥ 1, got abc/,
    },
    {
      kind: 'cli',
      name: 'get analysisrun --measurements 0',
      args: () => ['get', 'analysisrun', 'x', '--measurements', '0'],
      exit: 2,
      expected: /--measurements: expected an integer ≥ 1, got 0/,
    },
    {
      kind: 'cli',
      name: 'token revoke with an id and --user',
      args: () => ['token', 'revoke', 'abc', '--user', 'eve'],
      exit: 2,
      expected: /give a token id or --user, not both/,
    },
  ];
}

// ---------------------------------------------------------------------------------------------

/** An admin token, round-robin: one token's rate limit (50 req/s) would slow the table down. */
function adminToken(): string {
  const token = tokens[nextToken++ % tokens.length];
  if (token === undefined) throw new Error('no admin token');
  return token;
}

async function call(
  method: string,
  path: string,
  options: { body?: string; contentType?: string; token?: string } = {},
): Promise<{ status: number; json: Json }> {
  // The API limits each token to 50 requests/s: past it, wait as told and ask again.
  for (let attempt = 0; ; attempt++) {
    const res = await request(`http://127.0.0.1:${env.apiPort()}${path}`, {
      method: method as 'GET',
      headers: {
        authorization: `Bearer ${options.token ?? adminToken()}`,
        ...(options.body !== undefined ? { 'content-type': options.contentType ?? 'application/json' } : {}),
      },
      ...(options.body !== undefined ? { body: options.body } : {}),
      headersTimeout: 15_000,
      bodyTimeout: 15_000,
    });
    const text = await res.body.text();
    if (res.statusCode === 429 && attempt < 5) {
      await new Promise((r) => setTimeout(r, 1000));
      continue;
    }
    return {
      status: res.statusCode,
      json: (text.startsWith('{') ? JSON.parse(text) : { raw: text }) as Json,
    };
  }
}

async function get(path: string): Promise<unknown> {
  const res = await call('GET', path);
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${JSON.stringify(res.json)}`);
  return res.json;
}

/** What a bad input must not change. The audit log is left out: it records refusals too. */
async function snapshot() {
  const events = (await get('/api/v1/events?limit=1')) as { items: { id: number }[] };
  return {
    rollouts: await get('/api/v1/rollouts'),
    revisions: await get('/api/v1/rollouts/web/revisions'),
    templates: await get('/api/v1/analysistemplates'),
    environments: await get('/api/v1/environments'),
    releases: await get('/api/v1/releases'),
    tokens: await get('/api/v1/tokens'),
    lastEvent: events.items.at(-1)?.id,
  };
}

describe('the bad-input corpus', () => {
  let before: Awaited<ReturnType<typeof snapshot>>;

  beforeAll(async () => {
    [port, otherPort, busyPort] = (await freePorts(3)) as [number, number, number];
    env.write('replicas/.keep', '');
    const created = await env.apply(
      yaml(set(rolloutDoc(), 'spec.template.env.VERSION', 'v1'), templateDoc(), environmentDoc()),
      'web-v1.yaml',
    );
    expect(created.code, created.stderr).toBe(0);
    await env.waitForRollout('web', (r) => r.status.phase === 'Healthy', { what: 'Healthy on v1' });
    tokens.push(env.apiToken());
    for (let i = 0; i < 11; i++) {
      const res = await call('POST', '/api/v1/tokens', {
        body: JSON.stringify({ user: `corpus${i}`, role: 'admin' }),
      });
      tokens.push(String(res.json['token']));
    }
    const viewer = await call('POST', '/api/v1/tokens', {
      body: JSON.stringify({ user: 'corpus-viewer', role: 'viewer' }),
    });
    viewerToken = String(viewer.json['token']);
    busy = await occupyPort(busyPort);
    // Files the CLI cases read.
    const base = yaml(rolloutDoc());
    env.write('specs/big.yaml', `# ${'x'.repeat(600 * 1024)}\n${base}`);
    env.write('specs/bad-yaml.yaml', base.replace(`port: ${port}`, `port: ${port}: 1`));
    env.write('specs/unknown-field.yaml', yaml(set(rolloutDoc(), 'spec.replicaz', 3)));
    env.write('specs/replicas.yaml', yaml(set(rolloutDoc(), 'spec.replicas', 1_000_000)));
    env.write('specs/empty.yaml', '# nothing\n');
    env.write(
      'specs/npa-rollout.yaml',
      readFileSync(new URL('./fixtures/argo/npa-rollout.yaml', import.meta.url), 'utf8'),
    );
    execFileSync('mkfifo', [env.path('specs/fifo')]);
    before = await snapshot();
  });

  afterAll(async () => {
    await new Promise<void>((ok) => (busy ? busy.close(() => ok()) : ok()));
    await env.cleanup();
  });

  // Built once the ports are known.
  const table = () => [...specCases(), ...apiCases(), ...cliCases()];

  it('should hold at least 200 distinct cases', () => {
    const all = table();
    expect(new Set(all.map((c) => c.name)).size).toBe(all.length);
    expect(all.length).toBeGreaterThanOrEqual(200);
  });

  it('should refuse every case with a clear error and leave the installation as it was', async () => {
    const failures: string[] = [];
    for (const c of table()) {
      try {
        await runCase(c);
        expect(await snapshot(), 'state changed').toEqual(before);
      } catch (error) {
        failures.push(
          `${c.kind} "${c.name}": ${(error as Error).message.split('\n')[0]} (answer: ${lastAnswer.slice(0, 300)})`,
        );
      }
    }
    expect(failures, failures.join('\n')).toEqual([]);
    // The traffic never moved off v1.
    for (let i = 0; i < 5; i++) expect((await fetchOnce(port)).version).toBe('v1');
  }, 240_000);

  /** What the last case got back, for the failure message. */
  let lastAnswer = '';

  async function runCase(c: Case): Promise<void> {
    lastAnswer = '';
    if (c.kind === 'spec') {
      const file = SPEC_FILE();
      const res = await call('POST', '/api/v1/apply', { body: JSON.stringify({ file, text: c.text }) });
      lastAnswer = JSON.stringify(res.json);
      expect(res.status, JSON.stringify(res.json)).toBe(400);
      expect(String(res.json['code'])).toMatch(/^CUTOVER_E_SPEC_(INVALID|YAML)$/);
      const message = String(res.json['message']);
      expect(message).toContain(`${file}:`);
      expect(message).toMatch(/:\d+:\d+ /);
      if (c.path !== '') expect(message).toContain(` ${c.path}: `);
      expect(message).toMatch(c.expected);
      return;
    }
    if (c.kind === 'api') {
      const body =
        c.body === undefined ? undefined : typeof c.body === 'string' ? c.body : JSON.stringify(c.body);
      const res = await call(c.method, c.url, {
        ...(body !== undefined ? { body } : {}),
        ...(c.contentType ? { contentType: c.contentType } : {}),
        ...(c.as === 'viewer' ? { token: viewerToken } : {}),
      });
      lastAnswer = JSON.stringify(res.json);
      expect(res.status, JSON.stringify(res.json)).toBe(c.status);
      expect(res.json['code']).toBe(c.code);
      if (c.path !== undefined) expect(res.json['path']).toBe(c.path);
      expect(String(res.json['message'])).toMatch(c.expected);
      if (c.path && c.status === 400) expect(String(res.json['message'])).toContain(c.path);
      return;
    }
    const result = await env.cli(c.args(), { timeoutMs: 30_000 });
    lastAnswer = `exit ${result.code}: ${result.stderr}`;
    expect(result.code, `stdout: ${result.stdout} stderr: ${result.stderr}`).toBe(c.exit);
    expect(result.stderr).toMatch(c.expected);
    if (c.names) expect(result.stderr).toContain(c.names());
  }
});
