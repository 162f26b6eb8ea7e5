/**
 * CPU and memory use of local replica processes, for the MONITOR stage's "CPU or memory above 80%"
 * thresholds. Linux only: read from `/proc/<pid>/stat` (proc(5)).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { type Clock, systemClock } from '../clock/index.js';

/**
 * Clock ticks per second of `utime`/`stime` in `/proc/<pid>/stat` (`sysconf(_SC_CLK_TCK)`, USER_HZ).
 * Linux reports these fields in USER_HZ, which is 100 on every architecture Node supports, whatever
 * the kernel's internal HZ; Node has no sysconf binding to ask.
 */
export const CLOCK_TICKS_PER_SECOND = 100;

/** Page size assumed when `getconf PAGESIZE` cannot be run, bytes (x86-64's; arm64 may use 16 KiB). */
export const DEFAULT_PAGE_SIZE_BYTES = 4096;

/** One reading of a process's resource use. */
export interface ProcessUsage {
  readonly pid: number;
  /** When it was read, ms since the epoch (from the injected clock). */
  readonly at: number;
  /** CPU time the process used since it started, user + system, s (children not included). */
  readonly cpuSeconds: number;
  /** Resident set size, bytes. */
  readonly rssBytes: number;
}

/** Options of {@link sampleProcessUsage}. */
export interface SampleProcessUsageOptions {
  /** Time source for {@link ProcessUsage.at}. @default systemClock */
  readonly clock?: Clock;
  /** Page size, bytes. @default `getconf PAGESIZE`, read once, or {@link DEFAULT_PAGE_SIZE_BYTES} */
  readonly pageSizeBytes?: number;
}

/**
 * Reads the CPU time and resident memory of each process.
 *
 * Not pure: reads `/proc` (synchronously; these are in-memory files, read in microseconds). A pid
 * that does not exist (the replica exited) or cannot be read is left out of the result rather than
 * thrown, so the caller sees which replicas answered. Children of the processes are not summed.
 *
 * @param pids - process ids
 * @returns one reading per live pid, in the order given
 * @example sampleProcessUsage([process.pid]) // [{ pid: 4242, at: 1_700_000_000_000, cpuSeconds: 0.31, rssBytes: 61_440_000 }]
 */
export function sampleProcessUsage(
  pids: readonly number[],
  options: SampleProcessUsageOptions = {},
): ProcessUsage[] {
  const clock = options.clock ?? systemClock;
  const pageSize = options.pageSizeBytes ?? pageSizeBytes();
  const usage: ProcessUsage[] = [];
  for (const pid of pids) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    const at = clock.now();
    const stat = parseProcStat(text);
    if (stat === null) continue;
    usage.push({
      pid,
      at,
      cpuSeconds: (stat.utimeTicks + stat.stimeTicks) / CLOCK_TICKS_PER_SECOND,
      rssBytes: stat.rssPages * pageSize,
    });
  }
  return usage;
}

/** The fields of `/proc/<pid>/stat` that {@link sampleProcessUsage} reads. */
export interface ProcStat {
  /** User-mode CPU time, clock ticks (field 14). */
  readonly utimeTicks: number;
  /** Kernel-mode CPU time, clock ticks (field 15). */
  readonly stimeTicks: number;
  /** Resident set size, pages (field 24). */
  readonly rssPages: number;
}

/**
 * Parses the text of `/proc/<pid>/stat` (proc(5)).
 *
 * Pure. Fields are counted after the *last* `)`, since the command name in field 2 may itself hold
 * spaces and parentheses.
 *
 * @returns the fields, or `null` when the text is not a stat line
 * @example parseProcStat('42 (a b) c) S 1 42 42 0 -1 0 0 0 0 0 150 25 0 0 20 0 1 0 100 1000 512 ...')
 *   // { utimeTicks: 150, stimeTicks: 25, rssPages: 512 }
 */
export function parseProcStat(text: string): ProcStat | null {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  // After ")" come fields 3 (state) onwards; field n is at index n - 3.
  const fields = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const utimeTicks = Number(fields[14 - 3]);
  const stimeTicks = Number(fields[15 - 3]);
  const rssPages = Number(fields[24 - 3]);
  if (![utimeTicks, stimeTicks, rssPages].every((n) => Number.isFinite(n) && n >= 0)) return null;
  return { utimeTicks, stimeTicks, rssPages };
}

/** The limits usage is measured against. */
export interface UsageLimits {
  /** CPU limit, cores. @default 1 */
  readonly cpuLimitCores?: number;
  /** Memory limit, bytes. @default os.totalmem() */
  readonly memoryLimitBytes?: number;
}

/** A process's use of its limits. */
export interface UsageRatios {
  /**
   * CPU used between the two readings as a ratio of the limit: Δcpu s / Δwall s / cores. May exceed 1
   * for a multi-threaded process; `null` when no wall time passed or the CPU time went backwards (the
   * pid was reused by another process).
   */
  readonly cpuRatio: number | null;
  /** Resident memory at the later reading as a ratio of the limit (0..1, may exceed 1). */
  readonly memoryRatio: number;
}

/**
 * CPU and memory use of one process between two readings, as ratios of its limits.
 *
 * Pure apart from the default memory limit, which reads `os.totalmem()`.
 *
 * @throws RangeError when the readings are of different pids, or a limit is not positive
 * @example usageRatios({ pid: 1, at: 0, cpuSeconds: 1, rssBytes: 0 }, { pid: 1, at: 2_000, cpuSeconds: 2.6, rssBytes: 512 },
 *   { memoryLimitBytes: 1024 }) // { cpuRatio: 0.8, memoryRatio: 0.5 }
 */
export function usageRatios(prev: ProcessUsage, next: ProcessUsage, limits: UsageLimits = {}): UsageRatios {
  if (prev.pid !== next.pid) {
    throw new RangeError(`readings are of different processes: pid ${prev.pid} and pid ${next.pid}`);
  }
  const cores = limits.cpuLimitCores ?? 1;
  const memoryLimit = limits.memoryLimitBytes ?? totalmem();
  if (!(cores > 0)) throw new RangeError(`cpuLimitCores must be a number > 0, got ${cores}`);
  if (!(memoryLimit > 0)) throw new RangeError(`memoryLimitBytes must be a number > 0, got ${memoryLimit}`);
  const wallSeconds = (next.at - prev.at) / 1_000;
  const cpuSeconds = next.cpuSeconds - prev.cpuSeconds;
  const cpuRatio = wallSeconds > 0 && cpuSeconds >= 0 ? cpuSeconds / wallSeconds / cores : null;
  return { cpuRatio, memoryRatio: next.rssBytes / memoryLimit };
}

let cachedPageSize: number | undefined;

/** The system's page size, bytes, from `getconf PAGESIZE` (run once per process). */
function pageSizeBytes(): number {
  if (cachedPageSize === undefined) {
    try {
      const value = Number(
        execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8', timeout: 2_000 }).trim(),
      );
      cachedPageSize = Number.isSafeInteger(value) && value > 0 ? value : DEFAULT_PAGE_SIZE_BYTES;
    } catch {
      cachedPageSize = DEFAULT_PAGE_SIZE_BYTES;
    }
  }
  return cachedPageSize;
}
