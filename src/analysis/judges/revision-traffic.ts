/**
 * Turns the router's per-second traffic (`TrafficSeconds`) into what the judges count: totals per
 * revision over seconds, and requests slower than a latency threshold.
 */
import type { RevisionSecondDetail, TrafficSeconds } from '../../dataplane/protocol.js';
import type { RevisionSample } from './fixed-sample-judge.js';

/** The seconds of one revision, by second (s since the epoch). Pure. */
export function secondsOf(traffic: TrafficSeconds, revision: number): Map<number, RevisionSecondDetail> {
  const seconds = traffic.revisions.find((r) => r.revision === revision)?.seconds ?? [];
  return new Map(seconds.map((s) => [s.second, s]));
}

/**
 * The first latency bucket counted as slower than `thresholdSeconds`: the first whose lower bound is
 * at least the threshold, so every request counted took longer than the threshold (requests in the
 * bucket holding the threshold are not counted; the buckets are 20 % wide). Pure.
 *
 * @param bounds - upper bounds of the buckets, s, ascending
 */
export function slowBucket(bounds: readonly number[], thresholdSeconds: number): number {
  for (let i = 0; i < bounds.length; i++) if ((bounds[i] ?? 0) >= thresholdSeconds) return i + 1;
  return bounds.length + 1;
}

/** Requests of one second in buckets ≥ `fromBucket` (see {@link slowBucket}). Pure. */
export function slowRequests(second: RevisionSecondDetail, fromBucket: number): number {
  let n = 0;
  for (const [bucket, count] of second.latency) if (bucket >= fromBucket) n += count;
  return n;
}

/** A revision's totals over every second of `traffic`, latency as dense counts per bucket. Pure. */
export function revisionSample(traffic: TrafficSeconds, revision: number): RevisionSample {
  const latency = new Array<number>(traffic.latencyBounds.length + 1).fill(0);
  let requests = 0;
  let errors = 0;
  for (const s of secondsOf(traffic, revision).values()) {
    requests += s.requests;
    errors += s.errors;
    for (const [bucket, count] of s.latency) latency[bucket] = (latency[bucket] ?? 0) + count;
  }
  return { requests, errors, latency };
}
