import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A directory with one file per live replica process group (`<pgid>`), so that a data plane that
 * starts after its predecessor was killed (`kill -9`, a crash) can stop the replicas it orphaned:
 * they hold ports and memory, and nothing routes to them any more.
 */
export class PidRegistry {
  readonly #dir: string;

  /** @param dir - e.g. `$CUTOVER_HOME/run/replicas`; created if missing. */
  constructor(dir: string) {
    this.#dir = dir;
    mkdirSync(dir, { recursive: true });
  }

  add(pid: number, id: string): void {
    writeFileSync(join(this.#dir, String(pid)), `${id}\n`);
  }

  remove(pid: number): void {
    rmSync(join(this.#dir, String(pid)), { force: true });
  }

  /**
   * Stops every process group still listed (SIGTERM, then SIGKILL after `graceMs`) and clears the
   * list. Call once, before starting any replica.
   * @returns the process group ids that were still alive.
   */
  reapOrphans(graceMs = 5_000): number[] {
    const alive: number[] = [];
    for (const name of readdirSync(this.#dir)) {
      const pid = Number(name);
      rmSync(join(this.#dir, name), { force: true });
      if (!Number.isInteger(pid) || pid <= 1) continue;
      try {
        process.kill(-pid, 'SIGTERM');
        alive.push(pid);
      } catch {
        // already gone
      }
    }
    if (alive.length > 0) {
      setTimeout(() => {
        for (const pid of alive) {
          try {
            process.kill(-pid, 'SIGKILL');
          } catch {}
        }
      }, graceMs).unref();
    }
    return alive;
  }
}
