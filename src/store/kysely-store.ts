import { type Kysely, Migrator, PostgresAdapter } from 'kysely';
import type { AnalysisRun } from '../analysis/types.js';
import { type AuditEntry, GENESIS_HASH, type Qualifier, type Role, type UserKind } from '../auth/index.js';
import { initialStatus, type Revision, type RolloutStatus } from '../engine/index.js';
import type { HandoffRun, HandoffStateRef, StoredHandoffState } from '../handoff/types.js';
import type { DeploymentRecord, IncidentRecord } from '../records/types.js';
import type { FeatureFlags } from '../spec/feature-flags-schema.js';
import type { Environment } from '../spec/release-types.js';
import type { AnalysisTemplate, LocalTemplate, RolloutSpec } from '../spec/types.js';
import type { FreezeOverride, PlanProgress, Release } from '../workflow/index.js';
import { ConfigTables } from './config-tables.js';
import { DriftTables } from './drift-tables.js';
import { StoreError } from './errors.js';
import { FeatureFlagTables } from './feature-flag-tables.js';
import { HandoffTables } from './handoff-tables.js';
import { LeaseTables } from './lease-tables.js';
import { migrationProvider } from './migrations.js';
import { ReleaseTables } from './release-tables.js';
import type { Database } from './schema.js';
import type {
  ConfigKind,
  ControlPlaneReplica,
  EventQuery,
  NewAuditEntry,
  NewEvent,
  RolloutApplyResult,
  Store,
  StoredConfigVersion,
  StoredEvent,
  StoredRelease,
  StoredRollout,
  StoredToken,
  StoredWorkdirChecksum,
} from './store.js';

/**
 * The Store over any Kysely dialect: SQL shared by every backend. A backend folder (`sqlite/`)
 * only builds the dialect and sets the connection up.
 */
export class KyselyStore implements Store {
  private readonly releases: ReleaseTables;
  private readonly handoffs: HandoffTables;
  private readonly configs: ConfigTables;
  private readonly featureFlags: FeatureFlagTables;
  private readonly drift: DriftTables;
  private readonly leases: LeaseTables;

  constructor(protected readonly db: Kysely<Database>) {
    this.leases = new LeaseTables(db, (db) => this.clock(db));
    this.releases = new ReleaseTables(db);
    this.handoffs = new HandoffTables(db);
    this.configs = new ConfigTables(db);
    this.featureFlags = new FeatureFlagTables(db);
    this.drift = new DriftTables(db);
  }

  /** Which backend this store is on. */
  get backend(): 'sqlite' | 'postgres' {
    return this.db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
  }

  /** The Kysely instance (for `store copy`, which reads and writes whole tables). */
  get kysely(): Kysely<Database> {
    return this.db;
  }

  /** The database's time, ms since the epoch (a backend with a server overrides it with the server's clock). */
  protected async clock(_db: Kysely<Database>): Promise<number> {
    return Date.now();
  }

  tryAcquireLease(name: string, holder: string, durationMs: number) {
    return this.leases.tryAcquire(name, holder, durationMs);
  }
  releaseLease(name: string, holder: string, token: number) {
    return this.leases.release(name, holder, token);
  }
  getLease(name: string) {
    return this.leases.get(name);
  }
  heartbeatReplica(replica: Omit<ControlPlaneReplica, 'seenAt'>) {
    return this.leases.heartbeat(replica);
  }
  listReplicas(since: number) {
    return this.leases.list(since);
  }

  putWorkdirChecksum(checksum: StoredWorkdirChecksum): Promise<void> {
    return this.drift.put(checksum);
  }
  listWorkdirChecksums(rollout?: string): Promise<StoredWorkdirChecksum[]> {
    return this.drift.list(rollout);
  }

  putConfigVersion(
    input: Omit<StoredConfigVersion, 'version'>,
    events: (version: number) => NewEvent[],
  ): Promise<{ version: number; created: boolean }> {
    return this.configs.put(input, events);
  }
  getConfigVersion(kind: ConfigKind, name: string, version?: number) {
    return this.configs.get(kind, name, version);
  }
  listConfigVersions(options: { kind?: ConfigKind; all?: boolean } = {}) {
    return this.configs.list(options);
  }
  replaceConfigData(kind: ConfigKind, name: string, version: number, data: string) {
    return this.configs.replaceData(kind, name, version, data);
  }
  putSecretRotation(name: string, rotation: { schedule: string; notifications: unknown[] } | null) {
    return this.configs.putRotation(name, rotation);
  }
  listSecretRotations() {
    return this.configs.listRotations();
  }
  markSecretRotationNotified(name: string, version: number) {
    return this.configs.markNotified(name, version);
  }

  /** Runs pending migrations. @throws StoreError when a migration fails. */
  async migrate(): Promise<void> {
    const { error, results } = await new Migrator({
      db: this.db,
      provider: migrationProvider,
    }).migrateToLatest();
    if (error) {
      const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
      throw new StoreError('CUTOVER_E_STORE_MIGRATION', `migration ${failed} failed`, { cause: error });
    }
  }

  async apply(
    input: {
      rollouts: { name: string; spec: RolloutSpec; hash: string }[];
      templates: AnalysisTemplate[];
      environments?: Environment[];
      featureFlags?: FeatureFlags[];
    },
    actor: string,
    now: number,
  ): Promise<RolloutApplyResult[]> {
    return this.db.transaction().execute(async (tx) => {
      await this.releases.putEnvironments(tx, input.environments ?? [], now);
      await this.featureFlags.put(tx, input.featureFlags ?? [], actor, now);
      for (const t of input.templates) {
        const clusterScope = t.kind === 'ClusterAnalysisTemplate' ? 1 : 0;
        await tx
          .insertInto('analysis_templates')
          .values({
            name: t.metadata.name,
            cluster_scope: clusterScope,
            body: JSON.stringify(t),
            updated_at: now,
          })
          .onConflict((oc) =>
            oc.columns(['name', 'cluster_scope']).doUpdateSet({ body: JSON.stringify(t), updated_at: now }),
          )
          .execute();
      }
      const results: RolloutApplyResult[] = [];
      const events: NewEvent[] = [];
      const event = (rollout: string, reason: string, message: string) =>
        events.push({ time: now, rollout, type: 'Normal', reason, message, actor });
      for (const r of input.rollouts) {
        const row = await tx.selectFrom('rollouts').selectAll().where('name', '=', r.name).executeTakeFirst();
        const template = JSON.stringify(r.spec.template);
        if (!row) {
          await tx
            .insertInto('rollouts')
            .values({
              name: r.name,
              spec: JSON.stringify(r.spec),
              status: JSON.stringify(initialStatus(now)),
              target_revision: 1,
              created_at: now,
              updated_at: now,
            })
            .execute();
          await tx
            .insertInto('revisions')
            .values({ rollout: r.name, number: 1, hash: r.hash, template, created_at: now })
            .execute();
          event(r.name, 'RolloutCreated', `Rollout created with revision 1 (${r.hash})`);
          results.push({ name: r.name, change: 'created', revision: 1 });
          continue;
        }
        const revisions = await tx
          .selectFrom('revisions')
          .selectAll()
          .where('rollout', '=', r.name)
          .orderBy('number')
          .execute();
        const target = revisions.find((v) => v.number === row.target_revision);
        const status = JSON.parse(row.status) as RolloutStatus;
        let targetRevision = row.target_revision;
        let change: RolloutApplyResult['change'] =
          row.spec === JSON.stringify(r.spec) ? 'unchanged' : 'updated';
        if (target?.hash !== r.hash) {
          const stable = revisions.find((v) => v.number === status.stableRevision);
          if (stable?.hash === r.hash) {
            targetRevision = stable.number;
            event(
              r.name,
              'RevisionTargeted',
              `Template matches stable revision ${stable.number}; returning to it`,
            );
          } else {
            targetRevision = Math.max(0, ...revisions.map((v) => v.number)) + 1;
            await tx
              .insertInto('revisions')
              .values({ rollout: r.name, number: targetRevision, hash: r.hash, template, created_at: now })
              .execute();
            event(r.name, 'RevisionCreated', `Revision ${targetRevision} created (${r.hash})`);
          }
          change = 'revised';
        } else if (change === 'updated') {
          event(r.name, 'RolloutSpecUpdated', 'Spec updated; template unchanged, no new revision');
        }
        if (change !== 'unchanged') {
          await tx
            .updateTable('rollouts')
            .set({ spec: JSON.stringify(r.spec), target_revision: targetRevision, updated_at: now })
            .where('name', '=', r.name)
            .execute();
        }
        results.push({ name: r.name, change, revision: targetRevision });
      }
      if (events.length > 0) await tx.insertInto('events').values(events).execute();
      return results;
    });
  }

  getFeatureFlags(name: string): Promise<FeatureFlags | undefined> {
    return this.featureFlags.get(name);
  }

  listFeatureFlags(): Promise<FeatureFlags[]> {
    return this.featureFlags.list();
  }

  async getRollout(name: string): Promise<StoredRollout | undefined> {
    const row = await this.db.selectFrom('rollouts').selectAll().where('name', '=', name).executeTakeFirst();
    if (!row) return undefined;
    const revisions = await this.db
      .selectFrom('revisions')
      .selectAll()
      .where('rollout', '=', name)
      .orderBy('number')
      .execute();
    return toRollout(row, revisions);
  }

  async listRollouts(): Promise<StoredRollout[]> {
    const rows = await this.db.selectFrom('rollouts').selectAll().orderBy('name').execute();
    const revisions = await this.db.selectFrom('revisions').selectAll().orderBy('number').execute();
    // Grouped once (in number order): a filter per Rollout made this O(Rollouts × revisions).
    const byRollout = new Map<string, Database['revisions'][]>();
    for (const v of revisions) {
      const of = byRollout.get(v.rollout);
      if (of === undefined) byRollout.set(v.rollout, [v]);
      else of.push(v);
    }
    return rows.map((row) => toRollout(row, byRollout.get(row.name) ?? []));
  }

  async saveStatus(name: string, status: RolloutStatus, events: NewEvent[]): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      const updated = await tx
        .updateTable('rollouts')
        .set({ status: JSON.stringify(status), updated_at: status.updatedAt })
        .where('name', '=', name)
        .executeTakeFirst();
      if (updated.numUpdatedRows === 0n)
        throw new StoreError('CUTOVER_E_NOT_FOUND', `rollout ${name} not found`);
      if (events.length > 0) await tx.insertInto('events').values(events).execute();
    });
  }

  async deleteRollout(name: string, event: NewEvent): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('rollouts').where('name', '=', name).execute();
      await tx.deleteFrom('revisions').where('rollout', '=', name).execute();
      // Run names are deterministic: a re-created rollout must not find its predecessor's runs.
      await tx.deleteFrom('analysis_runs').where('rollout', '=', name).execute();
      await this.handoffs.deleteRollout(tx, name);
      await this.drift.deleteRollout(tx, name);
      await tx.insertInto('events').values(event).execute();
    });
  }

  async getAnalysisTemplate(name: string, clusterScope: boolean): Promise<AnalysisTemplate | undefined> {
    const row = await this.db
      .selectFrom('analysis_templates')
      .select('body')
      .where('name', '=', name)
      .where('cluster_scope', '=', clusterScope ? 1 : 0)
      .executeTakeFirst();
    return row ? (JSON.parse(row.body) as AnalysisTemplate) : undefined;
  }

  async listAnalysisTemplates(): Promise<AnalysisTemplate[]> {
    const rows = await this.db.selectFrom('analysis_templates').select('body').orderBy('name').execute();
    return rows.map((r) => JSON.parse(r.body) as AnalysisTemplate);
  }

  async createAnalysisRun(run: AnalysisRun, now: number): Promise<void> {
    await this.db
      .insertInto('analysis_runs')
      .values({
        name: run.name,
        rollout: run.rollout,
        revision: run.revision,
        phase: run.status.phase,
        body: JSON.stringify(run),
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
  }

  async saveAnalysisRun(run: AnalysisRun, now: number): Promise<void> {
    await this.db
      .updateTable('analysis_runs')
      .set({ phase: run.status.phase, body: JSON.stringify(run), updated_at: now })
      .where('name', '=', run.name)
      .execute();
  }

  async getAnalysisRun(name: string): Promise<AnalysisRun | undefined> {
    const row = await this.db
      .selectFrom('analysis_runs')
      .select('body')
      .where('name', '=', name)
      .executeTakeFirst();
    return row ? (JSON.parse(row.body) as AnalysisRun) : undefined;
  }

  async listAnalysisRuns(filter: { rollout?: string; active?: boolean } = {}): Promise<AnalysisRun[]> {
    let q = this.db
      .selectFrom('analysis_runs')
      .select('body')
      .orderBy('created_at', 'desc')
      .orderBy('name', 'desc');
    if (filter.rollout !== undefined) q = q.where('rollout', '=', filter.rollout);
    if (filter.active) q = q.where('phase', 'in', ['Pending', 'Running']);
    const rows = await q.execute();
    return rows.map((r) => JSON.parse(r.body) as AnalysisRun);
  }

  createHandoffRun(run: HandoffRun, now: number): Promise<void> {
    return this.handoffs.createRun(run, now);
  }

  saveHandoffRun(run: HandoffRun, now: number): Promise<void> {
    return this.handoffs.saveRun(run, now);
  }

  getHandoffRun(name: string): Promise<HandoffRun | undefined> {
    return this.handoffs.getRun(name);
  }

  listHandoffRuns(filter?: { rollout?: string; active?: boolean }): Promise<HandoffRun[]> {
    return this.handoffs.listRuns(filter);
  }

  putHandoffState(state: Omit<StoredHandoffState, 'id'>): Promise<HandoffStateRef> {
    return this.handoffs.putState(state);
  }

  getHandoffState(id: number): Promise<StoredHandoffState | undefined> {
    return this.handoffs.getState(id);
  }

  handoffStateOfRun(run: string): Promise<StoredHandoffState | undefined> {
    return this.handoffs.stateOfRun(run);
  }

  latestHandoffState(rollout: string): Promise<StoredHandoffState | undefined> {
    return this.handoffs.latestState(rollout);
  }

  async appendEvents(events: NewEvent[]): Promise<void> {
    if (events.length > 0) await this.db.insertInto('events').values(events).execute();
  }

  async listEvents(query: EventQuery = {}): Promise<StoredEvent[]> {
    let q = this.db
      .selectFrom('events')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(query.limit ?? 500);
    if (query.rollout !== undefined) q = q.where('rollout', '=', query.rollout);
    if (query.release !== undefined) q = q.where('release', '=', query.release);
    if (query.afterId !== undefined) q = q.where('id', '>', query.afterId);
    const rows = await q.execute();
    return rows
      .reverse()
      .map((r) => ({ ...r, id: Number(r.id), time: Number(r.time), type: r.type as StoredEvent['type'] }));
  }

  async createToken(token: Omit<StoredToken, 'revokedAt'>): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('users')
        .values({ name: token.user, kind: token.kind, created_at: token.createdAt })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
      await tx
        .insertInto('tokens')
        .values({
          id: token.id,
          user: token.user,
          role: token.role,
          qualifier: token.qualifier,
          hash: token.hash,
          created_at: token.createdAt,
          revoked_at: null,
        })
        .execute();
    });
  }

  async getToken(id: string): Promise<StoredToken | undefined> {
    const row = await this.#tokens().where('tokens.id', '=', id).executeTakeFirst();
    return row ? toToken(row) : undefined;
  }

  async listTokens(): Promise<StoredToken[]> {
    const rows = await this.#tokens().orderBy('tokens.created_at').orderBy('tokens.id').execute();
    return rows.map(toToken);
  }

  #tokens() {
    return this.db
      .selectFrom('tokens')
      .innerJoin('users', 'users.name', 'tokens.user')
      .selectAll('tokens')
      .select('users.kind');
  }

  async revokeTokens(which: { id: string } | { user: string }, now: number): Promise<number> {
    let q = this.db.updateTable('tokens').set({ revoked_at: now }).where('revoked_at', 'is', null);
    q = 'id' in which ? q.where('id', '=', which.id) : q.where('user', '=', which.user);
    const result = await q.executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async appendAudit(
    entry: NewAuditEntry,
    seal: (entry: Omit<AuditEntry, 'hash'>) => string,
  ): Promise<AuditEntry> {
    return this.db.transaction().execute(async (tx) => {
      const last = await tx
        .selectFrom('audit')
        .select(['id', 'hash'])
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      const unsealed = { id: Number(last?.id ?? 0) + 1, ...entry, prevHash: last?.hash ?? GENESIS_HASH };
      const sealed: AuditEntry = { ...unsealed, hash: seal(unsealed) };
      await tx
        .insertInto('audit')
        .values({
          id: sealed.id,
          time: sealed.time,
          actor: sealed.actor,
          role: sealed.role,
          method: sealed.method,
          path: sealed.path,
          summary: sealed.summary,
          status: sealed.status,
          prev_hash: sealed.prevHash,
          hash: sealed.hash,
        })
        .execute();
      return sealed;
    });
  }

  async listAudit(query: { afterId?: number; limit?: number } = {}): Promise<AuditEntry[]> {
    let q = this.db.selectFrom('audit').selectAll().orderBy('id');
    if (query.afterId !== undefined) q = q.where('id', '>', query.afterId);
    if (query.limit !== undefined) q = q.limit(query.limit);
    const rows = await q.execute();
    return rows.map((r) => ({
      id: Number(r.id),
      time: Number(r.time),
      actor: r.actor,
      role: r.role,
      method: r.method,
      path: r.path,
      summary: r.summary,
      status: Number(r.status),
      prevHash: r.prev_hash,
      hash: r.hash,
    }));
  }

  getEnvironment(name: string) {
    return this.releases.getEnvironment(name);
  }
  listEnvironments() {
    return this.releases.listEnvironments();
  }
  createRelease(release: StoredRelease, events: NewEvent[]) {
    return this.releases.createRelease(release, events);
  }
  saveRelease(state: Release, events: NewEvent[]) {
    return this.releases.saveRelease(state, events);
  }
  saveReleaseProgress(name: string, progress: PlanProgress, events: NewEvent[]) {
    return this.releases.saveReleaseProgress(name, progress, events);
  }
  getRelease(name: string) {
    return this.releases.getRelease(name);
  }
  listReleases() {
    return this.releases.listReleases();
  }
  saveDeploymentRecord(record: DeploymentRecord) {
    return this.releases.saveDeploymentRecord(record);
  }
  getDeploymentRecord(release: string) {
    return this.releases.getDeploymentRecord(release);
  }
  listDeploymentRecords(query?: { from?: number; to?: number }) {
    return this.releases.listDeploymentRecords(query);
  }
  saveIncident(incident: IncidentRecord) {
    return this.releases.saveIncident(incident);
  }
  listIncidents(query?: { release?: string }) {
    return this.releases.listIncidents(query);
  }
  appendFreezeOverride(environment: string, override: FreezeOverride) {
    return this.releases.appendFreezeOverride(environment, override);
  }
  listFreezeOverrides(environment: string) {
    return this.releases.listFreezeOverrides(environment);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}

function toToken(row: Database['tokens'] & { kind: string }): StoredToken {
  return {
    id: row.id,
    user: row.user,
    kind: row.kind as UserKind,
    role: row.role as Role,
    qualifier: row.qualifier as Qualifier | null,
    hash: row.hash,
    createdAt: Number(row.created_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
  };
}

function toRollout(row: Database['rollouts'], revisions: Database['revisions'][]): StoredRollout {
  return {
    name: row.name,
    spec: JSON.parse(row.spec) as RolloutSpec,
    status: JSON.parse(row.status) as RolloutStatus,
    targetRevision: row.target_revision,
    createdAt: Number(row.created_at),
    revisions: revisions.map(
      (v): Revision => ({
        number: v.number,
        hash: v.hash,
        template: JSON.parse(v.template) as LocalTemplate,
        createdAt: Number(v.created_at),
      }),
    ),
  };
}
