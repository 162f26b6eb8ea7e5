import { readFileSync } from 'node:fs';

/** Descriptors kept free for everything but client connections (upstream pools, logs, probes), count. */
const RESERVED_FDS = 512;
/** Cap when the open-files limit cannot be read, connections. */
const FALLBACK_MAX_CONNECTIONS = 10_000;

/**
 * The soft limit on open files of this process (`Max open files` of /proc/self/limits), or
 * undefined when it cannot be read (not Linux) or is unlimited.
 */
function openFilesLimit(limits = '/proc/self/limits'): number | undefined {
  try {
    const line = readFileSync(limits, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = Number(line?.slice('Max open files'.length).trim().split(/\s+/)[0]);
    return Number.isInteger(soft) && soft > 0 ? soft : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Default cap on the client connections of all of a router's listeners: each proxied connection
 * holds two descriptors (client and upstream), and {@link RESERVED_FDS} stay free, so the router
 * answers 503 instead of failing to accept (EMFILE) or to connect upstream. Pure but for the read.
 * @returns connections, at least 64.
 */
export function defaultMaxConnections(limit = openFilesLimit()): number {
  if (limit === undefined) return FALLBACK_MAX_CONNECTIONS;
  return Math.max(64, Math.floor((limit - RESERVED_FDS) / 2));
}

/**
 * The client connections open across a router's listeners and their cap (shared by the listeners,
 * as Envoy's overload manager caps downstream connections): at the cap a listener first closes
 * its longest-idle keep-alive connection for the new one, and answers 503 when none is idle.
 */
export class ConnectionBudget {
  /** Upper bound of open client connections, count. */
  readonly max: number;
  /** Client connections open now. */
  open = 0;
  /** Connections answered 503 because the budget was spent, since the router started. */
  rejected = 0;

  constructor(max: number) {
    if (!Number.isInteger(max) || max < 1)
      throw new RangeError(`maxConnections: expected an integer >= 1, got ${max}`);
    this.max = max;
  }

  get full(): boolean {
    return this.open >= this.max;
  }
}
