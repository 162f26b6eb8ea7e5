import { describe, expect, it } from 'vitest';
import { dataPlaneMatches } from '../controller/desired-diff.js';
import type { ReplicaStatus, RolloutDataPlaneSpec, RolloutDataPlaneStatus } from '../dataplane/protocol.js';
import type { ServedFlagSet } from '../flags/served-flags.js';
import { dataPlaneDrift, environmentDrift, flagsDrift, workingDirectoryDrift } from './compare.js';
import { envFingerprints, fingerprint } from './fingerprint.js';
import type { DirectoryChecksum } from './workdir.js';

const template = { command: ['node', 'server.js'], cwd: '/srv/agent', env: { VERSION: 'v2' } };

function desired(): RolloutDataPlaneSpec {
  return {
    rollout: 'web',
    replicaSets: [
      { revision: 1, hash: 'aaa', template, replicas: 2 },
      { revision: 2, hash: 'bbb', template, replicas: 1 },
    ],
    listeners: [
      {
        port: 8080,
        backends: [
          { revision: 1, weight: 90 },
          { revision: 2, weight: 10 },
        ],
      },
    ],
  };
}

function replica(id: string, state: ReplicaStatus['state'], env?: Record<string, string>): ReplicaStatus {
  return {
    id,
    pid: 1,
    port: 9000,
    state,
    ready: state === 'Running',
    restarts: 0,
    startedAt: 0,
    lastExitCode: null,
    ...(env !== undefined ? { envFingerprints: env } : {}),
  };
}

/** The data plane's status of a desired state applied as is. */
function applied(spec: RolloutDataPlaneSpec): RolloutDataPlaneStatus {
  return {
    ...spec,
    replicaSets: spec.replicaSets.map(({ template: _t, ...rs }) => ({
      ...rs,
      readyReplicas: rs.replicas,
      replicaStatuses: [],
    })),
  };
}

describe('dataPlaneDrift', () => {
  it('should find nothing when the data plane runs the desired state', () => {
    expect(dataPlaneDrift(desired(), applied(desired()))).toEqual([]);
  });

  it('should name a changed weight with both values', () => {
    const observed = applied(desired());
    observed.listeners[0]!.backends = [
      { revision: 1, weight: 0 },
      { revision: 2, weight: 100 },
    ];
    expect(dataPlaneDrift(desired(), observed)).toEqual([
      {
        kind: 'Rollout',
        name: 'web',
        aspect: 'dataPlane',
        field: 'listeners[8080].weights',
        desired: 'r1=90 r2=10',
        observed: 'r2=100',
      },
    ]);
  });

  it('should name replica counts, hashes, extra and missing sets, listeners and routes', () => {
    const observed = applied(desired());
    observed.replicaSets[0]!.replicas = 5;
    observed.replicaSets[1]!.hash = 'ccc';
    observed.replicaSets.push({
      revision: 3,
      hash: 'ddd',
      replicas: 1,
      readyReplicas: 1,
      replicaStatuses: [],
    });
    observed.listeners[0]!.headerRoutes = [
      { name: 'beta', revision: 2, match: [{ headerName: 'x-beta', headerValue: { exact: '1' } }] },
    ];
    observed.listeners.push({ port: 9090, backends: [{ revision: 1, weight: 100 }] });
    observed.timeoutMs = 1000;
    const fields = dataPlaneDrift(desired(), observed).map((f) => [f.field, f.desired, f.observed]);
    expect(fields).toEqual([
      ['replicaSets[r1].replicas', '2', '5'],
      ['replicaSets[r2].hash', 'bbb', 'ccc'],
      ['replicaSets[r3]', '(absent)', '1 replica(s) of ddd'],
      ['timeoutMs', '(absent)', '1000'],
      ['listeners[8080].headerRoutes', '[]', expect.stringContaining('"name":"beta"')],
      ['listeners[9090]', '(absent)', 'weights r1=100'],
    ]);
    expect(dataPlaneDrift(desired(), undefined)).toMatchObject([
      { field: 'rollout', desired: 'running', observed: '(absent)' },
    ]);
  });

  it('should agree with dataPlaneMatches on every mutation', () => {
    const mutations: ((o: RolloutDataPlaneStatus) => void)[] = [
      () => {},
      (o) => {
        o.replicaSets[0]!.replicas = 3;
      },
      (o) => {
        o.replicaSets[1]!.replicas = 0;
      },
      (o) => {
        o.replicaSets.splice(1, 1);
      },
      (o) => {
        o.replicaSets[0]!.ordinals = [0, 1];
      },
      (o) => {
        o.replicaSets.push({ revision: 9, hash: 'x', replicas: 0, readyReplicas: 0, replicaStatuses: [] });
      },
      (o) => {
        o.listeners[0]!.backends.push({ revision: 3, weight: 0 });
      },
      (o) => {
        o.listeners[0]!.backends.reverse();
      },
      (o) => {
        o.listeners = [];
      },
      (o) => {
        o.activeReplica = null;
      },
      (o) => {
        o.retries = { attempts: 2 };
      },
      (o) => {
        o.listeners[0]!.sessionAffinity = { type: 'ClientIP' };
      },
      (o) => {
        o.listeners[0]!.mirrorRoutes = [];
      },
    ];
    for (const mutate of mutations) {
      const observed = applied(desired());
      mutate(observed);
      expect(dataPlaneDrift(desired(), observed).length === 0, mutate.toString()).toBe(
        dataPlaneMatches(desired(), observed),
      );
    }
  });
});

describe('environmentDrift', () => {
  const want = [{ key: 'r2', hash: 'bbb', env: envFingerprints({ VERSION: 'v2', API_KEY: 'sk-1' }) }];

  it('should name each variable a running replica was started with otherwise, as fingerprints', () => {
    const observed = applied(desired());
    observed.replicaSets[1]!.replicaStatuses = [
      replica('web-r2-0', 'Running', envFingerprints({ VERSION: 'v2', API_KEY: 'sk-1' })),
      replica('web-r2-1', 'Running', envFingerprints({ VERSION: 'v2', API_KEY: 'sk-2', DEBUG: '1' })),
      // On its way out, or from an older data plane: not compared.
      replica('web-r2-2', 'Draining', envFingerprints({})),
      replica('web-r2-3', 'Running'),
    ];
    expect(environmentDrift('web', want, observed)).toEqual([
      {
        kind: 'Rollout',
        name: 'web',
        aspect: 'environment',
        field: 'replicas[web-r2-1].env.API_KEY',
        desired: fingerprint('sk-1'),
        observed: fingerprint('sk-2'),
      },
      {
        kind: 'Rollout',
        name: 'web',
        aspect: 'environment',
        field: 'replicas[web-r2-1].env.DEBUG',
        desired: '(absent)',
        observed: fingerprint('1'),
      },
    ]);
    expect(JSON.stringify(environmentDrift('web', want, observed))).not.toContain('sk-');
  });

  it('should leave a set of another template hash to the data-plane comparison', () => {
    const observed = applied(desired());
    observed.replicaSets[1]!.hash = 'other';
    observed.replicaSets[1]!.replicaStatuses = [replica('web-r2-0', 'Running', {})];
    expect(environmentDrift('web', want, observed)).toEqual([]);
  });
});

describe('workingDirectoryDrift', () => {
  const taken: DirectoryChecksum = {
    sha256: 'a'.repeat(64),
    files: 2,
    bytes: 30,
    manifest: { 'prompt.txt': 'sha256:1111111111111111', 'server.js': 'sha256:2222222222222222' },
  };

  it('should find nothing for the same checksum', () => {
    expect(workingDirectoryDrift('web', 1, taken, { ...taken })).toEqual([]);
  });

  it('should name each file changed, added or removed', () => {
    const now: DirectoryChecksum = {
      sha256: 'b'.repeat(64),
      files: 2,
      bytes: 40,
      manifest: { 'prompt.txt': 'sha256:3333333333333333', 'notes/new.md': 'sha256:4444444444444444' },
    };
    expect(workingDirectoryDrift('web', 2, taken, now).map((f) => [f.field, f.desired, f.observed])).toEqual([
      ['revisions[2].workingDirectory["notes/new.md"]', '(absent)', 'sha256:4444444444444444'],
      ['revisions[2].workingDirectory["prompt.txt"]', 'sha256:1111111111111111', 'sha256:3333333333333333'],
      ['revisions[2].workingDirectory["server.js"]', 'sha256:2222222222222222', '(absent)'],
    ]);
  });

  it('should sum up beyond 20 files, and compare totals without a manifest', () => {
    const many = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`f${i}`, `sha256:${i}`]));
    const now = { sha256: 'c'.repeat(64), files: 25, bytes: 99, manifest: many };
    const findings = workingDirectoryDrift('web', 1, { ...taken, manifest: {} }, now);
    expect(findings).toHaveLength(21);
    expect(findings[20]).toMatchObject({
      field: 'revisions[1].workingDirectory',
      observed: `sha256:${'c'.repeat(16)} (25 files, 99 bytes); 5 more file(s) differ`,
    });
    const { manifest: _m, ...bare } = now;
    expect(workingDirectoryDrift('web', 1, taken, bare)).toEqual([
      expect.objectContaining({
        field: 'revisions[1].workingDirectory',
        desired: `sha256:${'a'.repeat(16)} (2 files, 30 bytes)`,
        observed: `sha256:${'c'.repeat(16)} (25 files, 99 bytes)`,
      }),
    ]);
  });

  it('should report a directory that can no longer be read', () => {
    expect(workingDirectoryDrift('web', 1, taken, { error: 'cannot read /srv/agent: ENOENT' })).toMatchObject(
      [{ field: 'revisions[1].workingDirectory', observed: '(not checked: cannot read /srv/agent: ENOENT)' }],
    );
  });
});

describe('flagsDrift', () => {
  const set = (state: string, extra: Record<string, unknown> = {}): ServedFlagSet => ({
    name: 'planner',
    spec: {
      flags: {
        'new-planner': { state, variants: { on: true, off: false }, defaultVariant: 'off', ...extra },
      },
    },
  });

  it('should name the flag field that differs, whatever the key order', () => {
    const reordered: ServedFlagSet = {
      name: 'planner',
      spec: {
        flags: {
          'new-planner': { defaultVariant: 'off', variants: { off: false, on: true }, state: 'ENABLED' },
        },
      },
    };
    expect(flagsDrift([set('ENABLED')], [reordered])).toEqual([]);
    expect(flagsDrift([set('DISABLED')], [set('ENABLED')])).toEqual([
      {
        kind: 'FeatureFlags',
        name: 'planner',
        aspect: 'flags',
        field: 'spec.flags.new-planner.state',
        desired: 'DISABLED',
        observed: 'ENABLED',
      },
    ]);
  });

  it('should name missing and extra sets and flags', () => {
    const extraFlag = set('ENABLED');
    extraFlag.spec.flags['debug'] = { state: 'ENABLED', variants: { on: true }, defaultVariant: 'on' };
    expect(flagsDrift([set('ENABLED')], [extraFlag]).map((f) => [f.field, f.desired, f.observed])).toEqual([
      ['spec.flags.debug', '(absent)', 'defined'],
    ]);
    expect(
      flagsDrift([set('ENABLED')], [{ name: 'rogue', spec: { flags: {} } }]).map((f) => [
        f.name,
        f.field,
        f.desired,
        f.observed,
      ]),
    ).toEqual([
      ['planner', 'spec', '1 flag(s) served', '(absent)'],
      ['rogue', 'spec', '(absent)', '0 flag(s) served'],
    ]);
  });
});
