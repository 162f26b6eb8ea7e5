import type { Command } from 'commander';
import type { AnalysisRun } from '../../analysis/types.js';
import type { RolloutResource } from '../../api/views.js';
import type {
  ListenerSpec,
  OutlierEjection,
  ReplicaSetStatus,
  SessionCount,
} from '../../dataplane/protocol.js';
import type { Revision } from '../../engine/index.js';
import type { HandoffRun } from '../../handoff/index.js';
import type { RolloutApplyResult, StoredEvent } from '../../store/index.js';
import type { ApiClient } from '../api-client.js';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import {
  formatEvents,
  formatRevisions,
  formatRollout,
  formatRolloutList,
  type RolloutView,
} from '../format.js';
import { outputFormat, parseTimeout } from '../output.js';
import { readSpecFile } from '../read-spec-file.js';

async function fetchView(api: ApiClient, name: string): Promise<RolloutView> {
  const path = `/api/v1/rollouts/${encodeURIComponent(name)}`;
  const [rollout, rs, revisions, runs] = await Promise.all([
    api.get<RolloutResource>(path),
    api.get<{
      items: ReplicaSetStatus[];
      listeners: ListenerSpec[];
      sessions?: SessionCount[];
      ejections?: OutlierEjection[];
    }>(`${path}/replicasets`),
    api.get<{ items: Revision[] }>(`${path}/revisions`),
    api.get<{ items: AnalysisRun[] }>(`${path}/analysisruns`),
  ]);
  const handoffs =
    rollout.spec.handoff === undefined
      ? []
      : (await api.get<{ items: HandoffRun[] }>(`${path}/handoffs`)).items;
  return {
    rollout,
    replicaSets: rs.items,
    listeners: rs.listeners,
    revisions: revisions.items,
    analysisRuns: runs.items,
    handoffs,
    sessions: rs.sessions ?? [],
    ejections: rs.ejections ?? [],
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Registers the Rollout verbs (as `kubectl argo rollouts`). */
export function registerRolloutCommands(program: Command, ctx: CliContext): void {
  program
    .command('apply')
    .description(
      'create or update Rollouts, AnalysisTemplates, Environments and FeatureFlags from a YAML file (validated whole first)',
    )
    .requiredOption('-f, --filename <file>', 'spec file (several YAML documents allowed)')
    .action(async (opts: { filename: string }) => {
      const { file, text } = readSpecFile(opts.filename, 'spec file');
      const api = await ctx.api();
      const { results, templates, environments, configs, featureFlags } = await api.post<{
        results: RolloutApplyResult[];
        templates: { kind: string; name: string }[];
        environments: string[];
        configs: { kind: string; name: string; version: number; created: boolean }[];
        featureFlags?: string[];
      }>('/api/v1/apply', { file, text });
      for (const e of environments) ctx.out(`environment.cutover.dev/${e} configured`);
      for (const c of configs) {
        ctx.out(
          `${c.kind.toLowerCase()}.cutover.dev/${c.name} ${c.created ? 'configured' : 'unchanged'} (version ${c.version})`,
        );
      }
      for (const f of featureFlags ?? []) ctx.out(`featureflags.cutover.dev/${f} configured`);
      for (const t of templates) ctx.out(`${t.kind.toLowerCase()}.cutover.dev/${t.name} configured`);
      for (const r of results) {
        ctx.out(
          `rollout.cutover.dev/${r.name} ${r.change}${r.change === 'unchanged' ? '' : ` (revision ${r.revision})`}`,
        );
      }
    });

  const get = program.command('get').description('show a resource');
  get
    .command('rollout <name>')
    .description('show a Rollout: revisions, replicas, step, weights, analysis runs')
    .option('-w, --watch', 'keep showing it live')
    .option('-o, --output <format>', 'text or json')
    .action(async (name: string, opts: { watch?: boolean; output?: string }) => {
      const format = outputFormat(opts.output);
      const api = await ctx.api();
      if (format === 'json') {
        ctx.out(JSON.stringify(await api.get(`/api/v1/rollouts/${encodeURIComponent(name)}`), null, 2));
        return;
      }
      if (!opts.watch) {
        ctx.out(formatRollout(await fetchView(api, name)));
        return;
      }
      for (;;) {
        const text = formatRollout(await fetchView(api, name));
        process.stdout.write(process.stdout.isTTY ? `\x1b[2J\x1b[H${text}\n` : `${text}\n---\n`);
        await sleep(1000);
      }
    });

  program
    .command('list')
    .description('list resources')
    .command('rollouts')
    .description('list Rollouts with phase, step and weight')
    .option('-o, --output <format>', 'text or json')
    .action(async (opts: { output?: string }) => {
      const format = outputFormat(opts.output);
      const { items } = await (await ctx.api()).get<{ items: RolloutResource[] }>('/api/v1/rollouts');
      ctx.out(format === 'json' ? JSON.stringify({ items }, null, 2) : formatRolloutList(items));
    });

  const op = (verb: string, description: string, body?: (opts: Record<string, unknown>) => unknown) => {
    const cmd = program.command(`${verb} <name>`).description(description);
    return cmd.action(async (name: string, opts: Record<string, unknown>) => {
      const api = await ctx.api();
      await api.post<RolloutResource>(`/api/v1/rollouts/${encodeURIComponent(name)}/${verb}`, body?.(opts));
      ctx.out(
        `rollout '${name}' ${verb === 'retry' ? 'retried' : `${verb}${verb.endsWith('e') ? 'd' : 'ed'}`}`,
      );
    });
  };
  op('promote', 'leave the current pause or step; --full skips every remaining step and analysis', (o) => ({
    full: o.full === true,
  })).option('--full', 'skip every remaining step and analysis');
  op('abort', 'abort the update: all traffic back to stable');
  op('retry', 'restart an aborted update from its first step');
  op('pause', 'hold the rollout where it is');
  op('resume', 'release a paused rollout');

  program
    .command('undo <name>')
    .description('roll back to the previous revision (or --to-revision N) by applying its template')
    .option('--to-revision <n>', 'revision number to return to')
    .option('--now', 'immediate: skip every step and analysis of the rollback (as Argo rollbackWindow)')
    .option(
      '--restore-state',
      'a stateful Rollout: stop every replica and restore the state directories backed up while that revision ran',
    )
    .action(async (name: string, opts: { toRevision?: string; now?: boolean; restoreState?: boolean }) => {
      const toRevision = opts.toRevision === undefined ? undefined : Number(opts.toRevision);
      if (toRevision !== undefined && (!Number.isInteger(toRevision) || toRevision < 1)) {
        throw new CliError(
          'CUTOVER_E_USAGE',
          `--to-revision: expected a revision number ≥ 1, got ${opts.toRevision}`,
          2,
        );
      }
      const api = await ctx.api();
      const r = await api.post<
        RolloutApplyResult & { toRevision: number; fastTrack: boolean; restoredFrom?: string }
      >(`/api/v1/rollouts/${encodeURIComponent(name)}/undo`, {
        ...(toRevision ? { toRevision } : {}),
        ...(opts.now === true ? { now: true } : {}),
        ...(opts.restoreState === true ? { restoreState: true } : {}),
      });
      const outcome =
        (r.revision === r.toRevision ? `back on revision ${r.revision}` : `as new revision ${r.revision}`) +
        (r.fastTrack ? ', immediately (no steps, no analysis)' : '') +
        (r.restoredFrom !== undefined ? `, state restored from backup ${r.restoredFrom}` : '');
      ctx.out(`rollout '${name}' undone to the template of revision ${r.toRevision}, ${outcome}`);
    });

  program
    .command('history <name>')
    .description('revisions and every recorded decision with its actor and reason')
    .option('-o, --output <format>', 'text or json')
    .action(async (name: string, opts: { output?: string }) => {
      const format = outputFormat(opts.output);
      const api = await ctx.api();
      const path = `/api/v1/rollouts/${encodeURIComponent(name)}`;
      const [rollout, revisions, events] = await Promise.all([
        api.get<RolloutResource>(path),
        api.get<{ items: Revision[] }>(`${path}/revisions`),
        api.get<{ items: StoredEvent[] }>(`/api/v1/events?rollout=${encodeURIComponent(name)}&limit=5000`),
      ]);
      if (format === 'json') {
        ctx.out(JSON.stringify({ revisions: revisions.items, events: events.items }, null, 2));
        return;
      }
      ctx.out(`${formatRevisions(revisions.items, rollout)}\n\nEVENTS\n${formatEvents(events.items)}`);
    });

  program
    .command('status <name>')
    .description('print the phase; exit 0 when Healthy, 3 when Degraded (see docs/cli-reference.md)')
    .option('-w, --watch', 'wait until Healthy or Degraded')
    .option('-t, --timeout <duration>', 'with --watch: give up after this long (exit 4)', '60s')
    .option('-o, --output <format>', 'text or json (the final {phase, message} as JSON)')
    .action(async (name: string, opts: { watch?: boolean; timeout: string; output?: string }) => {
      const timeoutMs = parseTimeout(opts.timeout);
      const json = outputFormat(opts.output) === 'json';
      const api = await ctx.api();
      const deadline = Date.now() + timeoutMs;
      let last = '';
      for (;;) {
        const r = await api.get<RolloutResource>(`/api/v1/rollouts/${encodeURIComponent(name)}`);
        const line = `${r.status.phase}${r.status.message ? ` - ${r.status.message}` : ''}`;
        if (line !== last && !json) ctx.out(line);
        last = line;
        const done =
          r.status.phase === 'Healthy'
            ? EXIT.ok
            : r.status.phase === 'Degraded'
              ? EXIT.degraded
              : !opts.watch
                ? EXIT.notHealthy
                : Date.now() >= deadline
                  ? EXIT.timeout
                  : undefined;
        if (done !== undefined) {
          if (json)
            ctx.out(
              JSON.stringify({
                phase: r.status.phase,
                message: r.status.message,
                timedOut: done === EXIT.timeout,
              }),
            );
          else if (done === EXIT.timeout)
            ctx.out(`timed out after ${opts.timeout} waiting for rollout ${name} to be Healthy`);
          process.exitCode = done;
          return;
        }
        await sleep(250);
      }
    });
}
