import { createHash } from 'node:crypto';
import {
  createReadStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { runCommand } from '../../crew/backup/run-command.js';
import { StateBackupError } from '../errors.js';

/** Backups kept per Rollout; the oldest go first. */
const BACKUPS_KEPT = 10;
/** Bound on one tar run, ms. */
const TAR_TIMEOUT_MS = 10 * 60_000;

/** A backup of a stateful Rollout's state directories, taken before an update. Plain data. */
export interface StateBackup {
  /** `<rollout>-r<revision>-<createdAt>`. */
  id: string;
  rollout: string;
  /** The revision that ran on the state directories when it was taken (the update's stable one). */
  revision: number;
  /** Absolute path of the tar archive (every ordinal's directory). */
  file: string;
  /** Size of `file`, bytes. */
  bytes: number;
  /** SHA-256 of `file`, lowercase hex; a restore refuses a file that no longer matches. */
  sha256: string;
  /** ms since the epoch. */
  createdAt: number;
}

/**
 * Backups of stateful Rollouts' state directories (`<home>/state/<rollout>/<ordinal>`), as tar
 * archives under `<home>/backups/state/<rollout>/` with an `index.json` (the last 10 per Rollout),
 * each with its sha256 (as the crew's database backups). A backup is crash-consistent: it copies
 * the directories while the replicas run, as a volume snapshot would.
 */
export class StateBackups {
  readonly #home: string;

  /** @param home - the data directory (`$CUTOVER_HOME`). */
  constructor(home: string) {
    this.#home = home;
  }

  #stateDir(rollout: string): string {
    return join(this.#home, 'state', rollout);
  }

  #dir(rollout: string): string {
    return join(this.#home, 'backups', 'state', rollout);
  }

  /** The Rollout's backups, oldest first. */
  list(rollout: string): StateBackup[] {
    const index = join(this.#dir(rollout), 'index.json');
    if (!existsSync(index)) return [];
    return JSON.parse(readFileSync(index, 'utf8')) as StateBackup[];
  }

  /** The newest backup taken while `revision` ran, if any. */
  latestOf(rollout: string, revision: number): StateBackup | undefined {
    return this.list(rollout)
      .filter((b) => b.revision === revision)
      .at(-1);
  }

  /**
   * Archives every state directory of the Rollout. Nothing to archive (no state directory yet) is
   * not an error: returns undefined.
   * @throws StateBackupError (`CUTOVER_E_STATE_BACKUP`) when tar fails.
   */
  async take(rollout: string, revision: number, now: number): Promise<StateBackup | undefined> {
    const source = this.#stateDir(rollout);
    if (!existsSync(source)) return undefined;
    const dir = this.#dir(rollout);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const id = `${rollout}-r${revision}-${now}`;
    const file = join(dir, `${id}.tar`);
    const result = await runCommand('tar', ['-cf', file, '-C', source, '.'], { timeoutMs: TAR_TIMEOUT_MS });
    // GNU tar exits 1 when a file changed while it was read: still a crash-consistent copy.
    if (!result.ok && !existsSync(file)) {
      throw new StateBackupError(`cannot back up the state of ${rollout}: ${result.stderr.trim()}`);
    }
    const backup: StateBackup = {
      id,
      rollout,
      revision,
      file,
      bytes: statSync(file).size,
      sha256: await sha256Of(file),
      createdAt: now,
    };
    const all = [...this.list(rollout), backup];
    for (const old of all.slice(0, Math.max(0, all.length - BACKUPS_KEPT))) rmSync(old.file, { force: true });
    writeFileSync(join(dir, 'index.json'), JSON.stringify(all.slice(-BACKUPS_KEPT), null, 2), {
      mode: 0o600,
    });
    return backup;
  }

  /**
   * Replaces the Rollout's state directories with a backup's. The caller makes sure no replica of
   * the Rollout runs. The current directories are moved aside first and removed only once the
   * backup is in place.
   * @throws StateBackupError (`CUTOVER_E_STATE_BACKUP`) when the backup is unknown, its file no
   *   longer matches its sha256, or tar fails; the state directories are then unchanged.
   */
  async restore(rollout: string, id: string): Promise<StateBackup> {
    const backup = this.list(rollout).find((b) => b.id === id);
    if (backup === undefined) throw new StateBackupError(`rollout ${rollout} has no state backup ${id}`);
    if (!existsSync(backup.file) || (await sha256Of(backup.file)) !== backup.sha256) {
      throw new StateBackupError(`state backup ${id} does not match its sha256 ${backup.sha256}: refused`);
    }
    const target = this.#stateDir(rollout);
    const incoming = `${target}.restoring`;
    rmSync(incoming, { recursive: true, force: true });
    mkdirSync(incoming, { recursive: true, mode: 0o700 });
    const result = await runCommand('tar', ['-xf', backup.file, '-C', incoming], {
      timeoutMs: TAR_TIMEOUT_MS,
    });
    if (!result.ok) {
      rmSync(incoming, { recursive: true, force: true });
      throw new StateBackupError(`cannot restore state backup ${id}: ${result.stderr.trim()}`);
    }
    const aside = `${target}.replaced`;
    rmSync(aside, { recursive: true, force: true });
    if (existsSync(target)) renameSync(target, aside);
    renameSync(incoming, target);
    rmSync(aside, { recursive: true, force: true });
    return backup;
  }
}

function sha256Of(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject);
  });
}
