import { type ChildProcess, spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../clock/index.js';
import { type ProcessUsage, parseProcStat, sampleProcessUsage, usageRatios } from './replica-usage.js';

const onLinux = process.platform === 'linux';

describe('parseProcStat', () => {
  it('should read utime, stime and rss after the last parenthesis of the command name', () => {
    const text =
      '42 (a b) c) S 1 42 42 0 -1 4194560 0 0 0 0 150 25 0 0 20 0 1 0 100 1000000 512 18446744073709551615\n';
    expect(parseProcStat(text)).toEqual({ utimeTicks: 150, stimeTicks: 25, rssPages: 512 });
  });

  it.each(['', 'garbage', '42 (node) S 1 2'])('should return null for %j', (text) => {
    expect(parseProcStat(text)).toBeNull();
  });
});

describe('usageRatios', () => {
  const reading = (at: number, cpuSeconds: number, rssBytes: number): ProcessUsage => ({
    pid: 7,
    at,
    cpuSeconds,
    rssBytes,
  });

  it.each([
    ['a process busy on one core', reading(0, 1, 0), reading(2_000, 3, 512), {}, 1],
    ['a process at 80% of one core', reading(0, 1, 0), reading(2_000, 2.6, 512), {}, 0.8],
    [
      'a process at 80% against two cores',
      reading(0, 1, 0),
      reading(2_000, 4.2, 512),
      { cpuLimitCores: 2 },
      0.8,
    ],
    ['an idle process', reading(0, 1, 0), reading(2_000, 1, 512), {}, 0],
    ['no wall time', reading(1_000, 1, 0), reading(1_000, 2, 512), {}, null],
    ['a reused pid whose CPU time went back', reading(0, 10, 0), reading(1_000, 1, 512), {}, null],
  ])('should compute the CPU ratio of %s', (_what, prev, next, limits, expected) => {
    const { cpuRatio, memoryRatio } = usageRatios(prev, next, { memoryLimitBytes: 1_024, ...limits });
    if (expected === null) expect(cpuRatio).toBeNull();
    else expect(cpuRatio).toBeCloseTo(expected, 10);
    expect(memoryRatio).toBe(0.5);
  });

  it('should default the memory limit to the machine memory', () => {
    const { memoryRatio } = usageRatios(reading(0, 0, 0), reading(1_000, 0, 1_024 ** 3));
    expect(memoryRatio).toBeGreaterThan(0);
    expect(memoryRatio).toBeLessThanOrEqual(1);
  });

  it('should throw RangeError for readings of different pids or a non-positive limit', () => {
    expect(() => usageRatios(reading(0, 0, 0), { ...reading(1_000, 0, 0), pid: 8 })).toThrow(RangeError);
    expect(() => usageRatios(reading(0, 0, 0), reading(1_000, 0, 0), { cpuLimitCores: 0 })).toThrow(
      RangeError,
    );
  });
});

describe.runIf(onLinux)('sampleProcessUsage', () => {
  let children: ChildProcess[] = [];

  afterEach(() => {
    for (const child of children) child.kill('SIGKILL');
    children = [];
  });

  /** A node child running `code`; it exits by itself within 20 s, so a lost child does not linger. */
  function startChild(code: string): number {
    const child = spawn(process.execPath, ['-e', code], { stdio: 'ignore' });
    children.push(child);
    if (child.pid === undefined) throw new Error('the child did not start');
    return child.pid;
  }

  it('should read the test process itself', () => {
    const clock = new SimulatedClock(1_000);
    const [usage] = sampleProcessUsage([process.pid], { clock });
    expect(usage?.pid).toBe(process.pid);
    expect(usage?.at).toBe(1_000);
    expect(usage?.cpuSeconds).toBeGreaterThan(0);
    // The kernel's RSS and Node's own report agree, allowing for the heap moving between the two reads.
    const rss = process.memoryUsage().rss;
    expect(usage?.rssBytes).toBeGreaterThan(rss * 0.5);
    expect(usage?.rssBytes).toBeLessThan(rss * 1.5);
  });

  it('should leave out a pid that does not exist', () => {
    expect(sampleProcessUsage([2 ** 22 + 1, process.pid]).map((usage) => usage.pid)).toEqual([process.pid]);
  });

  it('should see a busy child use up to one core, and an idle child almost none', async () => {
    const busy = startChild('const end = Date.now() + 20_000; while (Date.now() < end) {}');
    const idle = startChild('setTimeout(() => {}, 20_000)');
    // Let both get past start-up, then measure over one second of real time.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const before = sampleProcessUsage([busy, idle]);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const after = sampleProcessUsage([busy, idle]);
    const [busyBefore, idleBefore] = before;
    const [busyAfter, idleAfter] = after;
    if (!busyBefore || !idleBefore || !busyAfter || !idleAfter) throw new Error('a child could not be read');
    const busyUsage = usageRatios(busyBefore, busyAfter);
    const idleUsage = usageRatios(idleBefore, idleAfter);
    // A spin loop takes a whole core when it has one (about 1.0 on an idle machine); on a loaded
    // 2-core machine it still gets a fair share, and a single thread cannot exceed one core by much.
    expect(busyUsage.cpuRatio).toBeGreaterThan(0.25);
    expect(busyUsage.cpuRatio).toBeLessThan(1.2);
    expect(idleUsage.cpuRatio).toBeLessThan(0.1);
    expect(busyUsage.memoryRatio).toBeGreaterThan(0);
    expect(busyUsage.memoryRatio).toBeLessThan(0.5);
  }, 10_000);
});
