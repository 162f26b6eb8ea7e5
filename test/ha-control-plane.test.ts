import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CutoverEnv,
  freePort,
  isAlive,
  type LoadGenerator,
  REPO_ROOT,
  type RolloutJson,
  rolloutDoc,
  sampleTemplate,
  specYaml,
  startLoad,
  waitUntil,
} from './support/cutover-env.js';
import { type FreshDatabase, freshDatabase } from './support/postgres.js';

const CLI = join(REPO_ROOT, 'bin', 'cutover.js');

interface Replica {
  process: ChildProcess;
  url: string;
  exit: Promise<number | null>;
  output: () => string;
}

interface ServerStatus {
  self: string;
  leader: string | null;
  lease: { holder: string; token: number; expired: boolean } | null;
  replicas: { id: string; address: string; pid: number; leader: boolean }[];
}

/**
 * Three control-plane replicas (`cutover server --store postgres://...`) on one PostgreSQL and one
 * data directory: one leads (runs the controller and the crew), the others serve the API and
 * forward changes to it. `kill -9` of the leader mid-canary under load; later a leader frozen
 * (SIGSTOP) past its lease, which must step down when it wakes rather than act (fencing).
 */
describe('Highly available control plane on PostgreSQL', () => {
  const env = CutoverEnv.create('cutover-ha-');
  let database: FreshDatabase;
  let port = 0;
  let load: LoadGenerator | undefined;
  const replicas: Replica[] = [];

  function startReplica(): Promise<Replica> {
    const child = spawn(process.execPath, [CLI, 'server', '--port', '0'], {
      env: { ...env.env, CUTOVER_LOG_LEVEL: 'info' },
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    const exit = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
    return waitUntil(
      () => {
        const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
        if (child.exitCode !== null) throw new Error(`replica exited ${child.exitCode}: ${output}`);
        return url === undefined ? undefined : { process: child, url, exit, output: () => output };
      },
      { timeoutMs: 30_000, what: 'a replica to listen' },
    );
  }

  /** Runs the CLI against one replica's API. */
  const cli = (replica: Replica, args: string[]) => env.cliOk(args, { env: { CUTOVER_SERVER: replica.url } });
  const status = async (replica: Replica) =>
    JSON.parse((await cli(replica, ['server', 'status', '-o', 'json'])).stdout) as ServerStatus;
  const rollout = async (replica: Replica) =>
    JSON.parse((await cli(replica, ['get', 'rollout', 'api', '-o', 'json'])).stdout) as RolloutJson;
  const waitForRollout = (replica: Replica, what: string, predicate: (r: RolloutJson) => boolean) => {
    let last: RolloutJson | undefined;
    return waitUntil(
      async () => {
        last = await rollout(replica);
        return predicate(last) ? last : undefined;
      },
      { timeoutMs: 60_000, what, describe: () => JSON.stringify(last?.status) },
    );
  };
  const leaderOf = (replica: Replica) =>
    waitUntil(
      async () => {
        const s = await status(replica);
        const leader = s.replicas.find((r) => r.leader);
        return leader === undefined ? undefined : { status: s, leader };
      },
      { timeoutMs: 30_000, what: 'a leader' },
    );
  const replicaAt = (address: string) => replicas.find((r) => r.url === address)!;

  const spec = (version: string) =>
    specYaml(
      rolloutDoc('api', {
        replicas: 2,
        port,
        template: sampleTemplate(env, version),
        strategy: {
          canary: {
            scaleDownDelaySeconds: 1,
            steps: [
              { setWeight: 25 },
              { pause: {} },
              { setWeight: 50 },
              { pause: {} },
              { setWeight: 75 },
              { pause: { duration: '1s' } },
            ],
          },
        },
      }),
    );

  beforeAll(async () => {
    database = await freshDatabase();
    port = await freePort();
    env.env.CUTOVER_STORE = database.url;
    // Started one after the other: the first starts the data plane, the others adopt it.
    for (let i = 0; i < 3; i++) replicas.push(await startReplica());
  });

  afterAll(async () => {
    await load?.stop();
    for (const r of replicas) {
      if (r.process.exitCode === null && r.process.pid !== undefined && isAlive(r.process.pid)) {
        r.process.kill('SIGCONT');
        r.process.kill('SIGKILL');
      }
    }
    await env.cleanup();
    await database.drop();
  });

  it('should fail over from a killed leader within 15 s and carry the canary on, with no request failed and no step done twice', async () => {
    const first = await leaderOf(replicas[1]!);
    expect(first.status.replicas).toHaveLength(3);
    expect(first.status.replicas.filter((r) => r.leader)).toHaveLength(1);
    expect(first.status.lease?.token).toBe(1);
    const leader = replicaAt(first.leader.address);
    const followers = replicas.filter((r) => r !== leader);

    // Changes sent to a follower are carried out by the leader.
    await cli(followers[0]!, ['apply', '-f', env.write('v1.yaml', spec('v1'))]);
    await waitForRollout(followers[0]!, 'Healthy on v1', (r) => r.status.phase === 'Healthy');
    load = startLoad(port, { concurrency: 4 });
    await waitUntil(() => load!.total >= 50, { timeoutMs: 10_000, what: '50 responses of v1' });
    await cli(followers[1]!, ['apply', '-f', env.write('v2.yaml', spec('v2'))]);
    await waitForRollout(
      followers[0]!,
      'paused at step 2 (25%)',
      (r) => r.status.phase === 'Paused' && r.status.currentStepIndex === 1,
    );

    leader.process.kill('SIGKILL');
    const killedAt = Date.now();
    const next = await waitUntil(
      async () => {
        const s = await status(followers[0]!);
        const l = s.replicas.find((r) => r.leader && r.address !== leader.url);
        return l === undefined ? undefined : { status: s, leader: l };
      },
      { timeoutMs: 20_000, intervalMs: 100, what: 'a new leader' },
    );
    const failoverMs = Date.now() - killedAt;
    expect(failoverMs).toBeLessThan(15_000);
    expect(next.status.lease?.token).toBe(2);
    // The canary is where it was: step 2, 25 %.
    const after = await rollout(followers[1]!);
    expect(after.status.currentStepIndex).toBe(1);
    expect(after.status.phase).toBe('Paused');

    await cli(followers[1]!, ['promote', 'api']);
    await waitForRollout(
      followers[0]!,
      'paused at step 4 (50%)',
      (r) => r.status.phase === 'Paused' && r.status.currentStepIndex === 3,
    );

    // The second leader freezes past its lease: the third takes over; the frozen one, woken, steps
    // down (exit 75) instead of acting on its stale view.
    const frozen = replicaAt(next.leader.address);
    const last = replicas.find((r) => r !== leader && r !== frozen)!;
    frozen.process.kill('SIGSTOP');
    const third = await waitUntil(
      async () => {
        const s = await status(last);
        return s.leader !== null && s.leader !== next.leader.id ? s : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 100, what: 'the third replica to lead' },
    );
    expect(third.lease?.token).toBe(3);
    await cli(last, ['promote', 'api']);
    frozen.process.kill('SIGCONT');
    expect(await frozen.exit).toBe(75);
    expect(frozen.output()).toMatch(/no longer leads/);

    const done = await waitForRollout(
      last,
      'Healthy on v2',
      (r) => r.status.phase === 'Healthy' && r.status.stableRevision === 2,
    );
    expect(done.status.stableRevision).toBe(2);
    const counts = await load.stop();
    expect(counts.failed, counts.failures.join('\n')).toBe(0);
    expect(counts.byVersion.v2 ?? 0).toBeGreaterThan(0);

    // Every step of the update recorded once, by whichever leader did it.
    const history = JSON.parse((await cli(last, ['history', 'api', '-o', 'json'])).stdout) as {
      events: { reason: string; message: string; time: number }[];
    };
    const update = history.events.filter((e) => e.time >= killedAt - 60_000);
    const once = (reason: string, message: RegExp) =>
      expect(
        update.filter((e) => e.reason === reason && message.test(e.message)),
        `${reason} ${message}`,
      ).toHaveLength(1);
    for (const weight of [25, 50, 75, 100]) once('SetWeight', new RegExp(`to ${weight}%$`));
    // Steps 2 and 4 (pauses without a duration) end by a promotion, the others by completing.
    for (const step of [1, 3, 5, 6]) once('RolloutStepCompleted', new RegExp(`step ${step}/6 `));
    for (const step of [2, 4]) once('RolloutPromoted', new RegExp(`past step ${step}/6$`));
    expect(update.filter((e) => e.reason === 'RolloutPromoted')).toHaveLength(2);
    once('RolloutCompleted', /revision 2/);
    const verify = await cli(last, ['audit', 'verify']);
    expect(verify.stdout).toMatch(/intact/);
  });
});
