import type { Logger } from 'pino';
import {
  type AuditEntry,
  type AuditHead,
  type AuditKey,
  type AuditVerification,
  AuthError,
  auditHmac,
  loadOrCreateAuditKey,
  readAuditHead,
  verifyAuditChain,
  writeAuditHead,
} from '../auth/index.js';
import type { NewAuditEntry, Store } from '../store/index.js';

/** Options of {@link AuditLog.open}. */
export interface AuditLogOptions {
  store: Store;
  /** The audit key file (`$CUTOVER_HOME/audit.key`), created at the first start. */
  keyFile: string;
  /** The head checkpoint file (`$CUTOVER_HOME/audit-head.json`), rewritten after each append. */
  headFile: string;
  logger: Logger;
}

/**
 * The audit log of one installation: an HMAC chain in the store, keyed by a secret outside the
 * database, whose newest entry is checkpointed in a file outside the database after every append.
 * Recomputing the chain without the key, and deleting its newest entries, are both detected by
 * {@link AuditLog.verify}.
 *
 * The head only moves forward, and only to an entry that continues it: when the store's chain no
 * longer continues the checkpoint (rows deleted or inserted behind the server's back) the
 * checkpoint is frozen, so the evidence stays until someone looks.
 */
export class AuditLog {
  #head: AuditHead | undefined;
  #frozen = false;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly options: AuditLogOptions,
    private readonly key: AuditKey,
  ) {}

  /**
   * Loads (or creates) the key, verifies the stored chain and checkpoints its newest entry. A broken
   * chain is logged and leaves the checkpoint as it was (frozen).
   * @throws AuthError `CUTOVER_E_AUDIT_KEY` when the key file is unreadable, too open or malformed.
   */
  static async open(options: AuditLogOptions): Promise<AuditLog> {
    const entries = await options.store.listAudit();
    const key = loadOrCreateAuditKey(options.keyFile, (entries.at(-1)?.id ?? 0) + 1);
    const log = new AuditLog(options, key);
    const result = await log.verify(entries);
    const last = entries.at(-1);
    if (!result.ok) {
      log.#frozen = true;
      options.logger.error(
        { broken: result.broken },
        'the audit log is broken; its head checkpoint is left as it was (run cutover audit verify)',
      );
    } else if (last) {
      log.#advance(last);
    }
    return log;
  }

  /**
   * Appends an entry (its id, prevHash and HMAC assigned in the store's transaction), then rewrites
   * the head checkpoint. Appends run one at a time, in order.
   * @throws the store's error (StoreError `CUTOVER_E_STORE_FULL`, ...); a checkpoint that cannot be
   *   written is logged, not thrown (the next append writes it).
   */
  append(entry: NewAuditEntry): Promise<AuditEntry> {
    const next = this.#queue.then(async () => {
      const sealed = await this.options.store.appendAudit(entry, (e) => auditHmac(this.key.key, e));
      const head = this.#head;
      if (this.#frozen) return sealed;
      const continues =
        head === undefined
          ? sealed.id === 1
          : (sealed.id === head.id + 1 && sealed.prevHash === head.hash) ||
            (await this.#continuedByReplicas(head, sealed));
      if (!continues) {
        this.#frozen = true;
        this.options.logger.error(
          { entry: sealed.id, head: head?.id ?? null },
          'the audit log does not continue its head checkpoint (entries deleted or inserted outside cutover); checkpoint frozen',
        );
        return sealed;
      }
      this.#advance(sealed);
      return sealed;
    });
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /** Verifies the stored chain against the key and the head checkpoint file. */
  async verify(entries?: readonly AuditEntry[]): Promise<AuditVerification> {
    const all = entries ?? (await this.options.store.listAudit());
    let head: AuditHead | undefined;
    try {
      head = readAuditHead(this.options.headFile);
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      return { ok: false, entries: all.length, broken: { id: 0, reason: error.message } };
    }
    return verifyAuditChain(all, {
      key: this.key.key,
      keyedFrom: this.key.keyedFrom,
      ...(head ? { head } : {}),
    });
  }

  /**
   * Whether the entries between the checkpoint and `sealed` were appended by other control-plane
   * replicas of this installation (several on one PostgreSQL): each continues the one before and
   * carries this key's HMAC, which only a holder of the key can compute.
   */
  async #continuedByReplicas(head: AuditHead, sealed: AuditEntry): Promise<boolean> {
    if (sealed.id <= head.id + 1) return false;
    const between = await this.options.store.listAudit({ afterId: head.id, limit: sealed.id - head.id - 1 });
    let previous: AuditHead = head;
    for (const entry of [...between, sealed]) {
      const { hash, ...unsealed } = entry;
      if (entry.id !== previous.id + 1 || entry.prevHash !== previous.hash) return false;
      if (auditHmac(this.key.key, unsealed) !== hash) return false;
      previous = { id: entry.id, hash };
    }
    return true;
  }

  #advance(entry: AuditEntry): void {
    this.#head = { id: entry.id, hash: entry.hash };
    try {
      writeAuditHead(this.options.headFile, this.#head);
    } catch (error) {
      this.options.logger.error(
        { err: error, entry: entry.id },
        'cannot write the audit head checkpoint; the next append retries',
      );
    }
  }
}
