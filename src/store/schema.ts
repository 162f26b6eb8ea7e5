import type { ColumnType, Generated } from 'kysely';

/** Table shapes; JSON documents are stored as TEXT so SQLite and PostgreSQL share one schema. */
export interface Database {
  rollouts: {
    name: string;
    spec: string;
    status: string;
    target_revision: number;
    created_at: number;
    updated_at: number;
  };
  revisions: {
    rollout: string;
    number: number;
    hash: string;
    template: string;
    created_at: number;
  };
  analysis_templates: {
    name: string;
    cluster_scope: number;
    body: string;
    updated_at: number;
  };
  analysis_runs: {
    name: string;
    rollout: string;
    revision: number;
    phase: string;
    body: string;
    created_at: number;
    updated_at: number;
  };
  handoff_runs: {
    name: string;
    rollout: string;
    phase: string;
    body: string;
    created_at: number;
    updated_at: number;
  };
  secret_rotations: {
    /** The Secret's stored name (`NAME` or `NAME@ENVIRONMENT`). */
    name: string;
    /** Its `rotationSchedule` (5-part cron, UTC). */
    schedule: string;
    /** Its `notifications` channels (JSON array). */
    notifications: string;
    /** The version whose due period was notified (once per period); null: none yet. */
    notified_version: number | null;
  };
  config_versions: {
    /** `ConfigMap` or `Secret`. */
    kind: string;
    name: string;
    version: number;
    /** A ConfigMap's data (JSON), a Secret's encrypted envelope (JSON). */
    data: string;
    sha256: string;
    /** The keys (JSON array of strings). */
    keys: string;
    created_at: number;
    actor: string;
  };
  handoff_states: {
    id: Generated<number>;
    rollout: string;
    /** `handoff` or `snapshot`. */
    kind: string;
    /** The handoff run that exported it; null for a snapshot. */
    run: string | null;
    replica: string;
    sha256: string;
    size: number;
    data: Buffer;
    exported_at: number;
  };
  events: {
    id: Generated<number>;
    time: number;
    rollout: string | null;
    type: string;
    reason: string;
    message: string;
    actor: string;
    /** Release the event is about (workflow events); null otherwise. */
    release: string | null;
  };
  environments: { name: string; spec: string; updated_at: number };
  workdir_checksums: {
    rollout: string;
    revision: number;
    /** The revision's working directory (absolute). */
    cwd: string;
    sha256: string;
    files: number;
    bytes: number;
    /** Each file's fingerprint by relative path (JSON); null for a directory with too many files. */
    manifest: string | null;
    taken_at: number;
  };
  feature_flags: {
    name: string;
    /** `metadata.environment`; null = every environment. */
    environment: string | null;
    /** The FeatureFlags resource (JSON). */
    body: string;
    created_at: number;
    updated_at: number;
  };
  releases: {
    name: string;
    /** The workflow's Release state (JSON). */
    state: string;
    /** The Release resource's spec (JSON). */
    spec: string;
    /** Directory of the release file: base of relative paths in the spec. */
    base_dir: string;
    status: string;
    created_at: number;
    updated_at: number;
    /** The plan's progress per environment (JSON array of PlanProgress); null before any. */
    progress: ColumnType<string | null, string | null | undefined, string | null>;
  };
  deployment_records: { release: string; environment: string; deploy_started_at: number; body: string };
  incidents: { name: string; release: string; detected_at: number; body: string };
  freeze_overrides: { id: Generated<number>; environment: string; body: string };
  users: {
    name: string;
    /** `user` or `agent`. */
    kind: string;
    created_at: number;
  };
  tokens: {
    id: string;
    user: string;
    role: string;
    qualifier: string | null;
    /** sha256 (hex) of the token's secret. */
    hash: string;
    created_at: number;
    revoked_at: number | null;
  };
  audit: {
    id: number;
    time: number;
    actor: string;
    role: string;
    method: string;
    path: string;
    summary: string;
    status: number;
    prev_hash: string;
    hash: string;
  };
  /** The controller lease (one row, `controller`): who leads, with which fencing token, until when. */
  leases: {
    name: string;
    /** The holding replica's id. */
    holder: string;
    /** Fencing token: 1, 2, ... one more at each change of holder. */
    token: number;
    /** ms since the epoch, the database's clock. */
    acquired_at: number;
    renewed_at: number;
    expires_at: number;
  };
  /** Control-plane replicas seen (each refreshes its row at every lease attempt). */
  replicas: {
    id: string;
    /** Base URL of its API, e.g. `http://127.0.0.1:7400`. */
    address: string;
    pid: number;
    host: string;
    version: string;
    started_at: number;
    seen_at: number;
  };
}
