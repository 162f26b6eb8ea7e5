import type { Endpoint } from './endpoint.js';
import type { OutlierDetector } from './outlier-detection.js';
import { RevisionRecorder } from './revision-recorder.js';
import { UpstreamPolicy } from './upstream-policy.js';
import { VariantRecorders } from './variant-recorders.js';

/**
 * One revision of one Rollout as a routing target: its ready endpoints, chosen round-robin, its
 * in-flight count and its traffic recorder. Shared by every listener that routes to the revision.
 */
export class RevisionTarget {
  readonly rollout: string;
  readonly revision: number;
  /** An extra (experiment) replica set of the revision; undefined for the revision's own set. */
  readonly set: string | undefined;
  /** Endpoints that receive new requests (ready, not draining, not ejected). Replaced, never mutated. */
  endpoints: readonly Endpoint[] = [];
  /** Ready endpoints, ejected ones included (as last set). */
  allEndpoints: readonly Endpoint[] = [];
  /** The Rollout's outlier detection; null when it has none. */
  outliers: OutlierDetector | null = null;
  /** The Rollout's timeout, connection pool and retries (shared, updated in place). */
  policy = new UpstreamPolicy();
  /** Requests of this revision waiting for a connection (`connectionPool` limits). */
  pending = 0;
  /** Tries that failed and were retried (each retried request counts once in {@link recorder}). */
  failedTries = 0;
  /** Answers to mirrored copies (role `mirror`); null until a mirror route targets the revision. */
  mirrorRecorder: RevisionRecorder | null = null;
  /** Comparisons of mirrored answers with the clients' (2xx: same, 5xx: different); null until then. */
  mirrorComparison: RevisionRecorder | null = null;
  /** Requests in flight to any endpoint of this revision, including draining ones. */
  inFlight = 0;
  readonly recorder: RevisionRecorder;
  /** Traffic per feature flag variant its responses named (`x-cutover-flag-variant`); null until one did. */
  variants: VariantRecorders | null = null;
  #next = 0;

  /**
   * @param nowMs - creation time, ms since the epoch.
   * @param set - an extra replica set of the revision (`ReplicaSetSpec.set`).
   */
  constructor(rollout: string, revision: number, nowMs: number, set?: string) {
    this.rollout = rollout;
    this.revision = revision;
    this.set = set;
    this.recorder = new RevisionRecorder(nowMs);
  }

  /**
   * Count one finished request under the flag variants its response named.
   * @param header - the response's `x-cutover-flag-variant` value.
   * @param outcome - index into `OUTCOME_CLASSES`.
   * @param seconds - latency, s.
   * @param nowMs - ms since the epoch.
   */
  recordVariants(header: string, outcome: number, seconds: number, nowMs: number): void {
    this.variants ??= new VariantRecorders();
    this.variants.record(header, outcome, seconds, nowMs);
  }

  /** Replace the ready endpoints (those ejected by outlier detection receive nothing). */
  setEndpoints(list: readonly Endpoint[]): void {
    this.allEndpoints = list;
    this.refresh();
  }

  /** Recompute the endpoints that receive requests (after an ejection or its end). */
  refresh(): void {
    const outliers = this.outliers;
    this.endpoints =
      outliers === null ? this.allEndpoints : this.allEndpoints.filter((e) => !outliers.ejected(e));
  }

  /**
   * The next endpoint, round-robin; `avoid` is skipped when another one exists.
   * @returns undefined when the revision has no ready endpoint.
   */
  pick(avoid?: Endpoint): Endpoint | undefined {
    const list = this.endpoints;
    const n = list.length;
    if (n === 0) return undefined;
    let i = this.#next++ % n;
    if (this.#next > 1e9) this.#next = 0;
    if (list[i] === avoid && n > 1) i = (i + 1) % n;
    return list[i];
  }
}
