import type { OutlierDetectionSpec, OutlierEjection } from '../dataplane/protocol.js';
import type { Endpoint } from './endpoint.js';
import type { RevisionTarget } from './revision-target.js';

/** Istio's defaults (DestinationRule `outlierDetection`). */
const DEFAULTS = {
  consecutive5xxErrors: 5,
  consecutiveGatewayErrors: 0,
  intervalMs: 10_000,
  baseEjectionTimeMs: 30_000,
  maxEjectionPercent: 10,
  minHealthPercent: 0,
} as const;
/** Ejections remembered for the data plane's status, newest last. */
const EJECTIONS_KEPT = 50;

interface EndpointHealth {
  consecutive5xx: number;
  consecutiveGateway: number;
  /** Times ejected so far: the ejection time grows with it. */
  ejections: number;
  /** ms since the epoch; 0 when not ejected. */
  ejectedUntil: number;
}

/** A duration of the spec in ms (`30s`, `500ms`, or seconds as a number). */
function durationMs(value: string | number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number') return value * 1000;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(value);
  if (match === null) return fallback;
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * factor;
}

/**
 * Outlier detection of one Rollout's replicas, with Istio DestinationRule's `outlierDetection`
 * semantics: a replica that answers `consecutive5xxErrors` 5xx in a row (or
 * `consecutiveGatewayErrors` 502/503/504 or connection failures in a row) is ejected from its
 * revision's load balancing for `baseEjectionTime × the number of times it was ejected`; at most
 * `maxEjectionPercent` of a revision's replicas are ejected at once, and none when fewer than
 * `minHealthPercent` of them would be left healthy (neither ejected nor failing). Ejected replicas come back at the first
 * `interval` sweep after their time. Any non-5xx answer resets the counts.
 */
export class OutlierDetector {
  readonly spec: OutlierDetectionSpec;
  readonly #health = new Map<Endpoint, EndpointHealth>();
  readonly #targets = new Set<RevisionTarget>();
  readonly #ejections: OutlierEjection[] = [];
  readonly #timer: NodeJS.Timeout;
  readonly #c5xx: number;
  readonly #cGateway: number;
  readonly #baseMs: number;
  /** Ejections so far (a counter for /metrics). */
  ejectionsTotal = 0;

  constructor(spec: OutlierDetectionSpec) {
    this.spec = spec;
    this.#c5xx = spec.consecutive5xxErrors ?? DEFAULTS.consecutive5xxErrors;
    this.#cGateway = spec.consecutiveGatewayErrors ?? DEFAULTS.consecutiveGatewayErrors;
    this.#baseMs = durationMs(spec.baseEjectionTime, DEFAULTS.baseEjectionTimeMs);
    this.#timer = setInterval(() => this.sweep(Date.now()), durationMs(spec.interval, DEFAULTS.intervalMs));
    this.#timer.unref();
  }

  /** Whether `other` is the same configuration. */
  sameSpec(other: OutlierDetectionSpec): boolean {
    return JSON.stringify(other) === JSON.stringify(this.spec);
  }

  /** Whether the endpoint is ejected now. */
  ejected(endpoint: Endpoint): boolean {
    return (this.#health.get(endpoint)?.ejectedUntil ?? 0) > 0;
  }

  /** The last ejections (at most 50), oldest first. */
  ejections(): readonly OutlierEjection[] {
    return this.#ejections;
  }

  /**
   * One answer of `endpoint` (of `target`): `status` 100..599, or 0 for a failure of the router's
   * own (connection refused or reset, timeout).
   * @param now - ms since the epoch.
   */
  observe(target: RevisionTarget, endpoint: Endpoint, status: number, now: number): void {
    let h = this.#health.get(endpoint);
    if (status > 0 && status < 500) {
      if (h !== undefined && h.ejectedUntil === 0) {
        h.consecutive5xx = 0;
        h.consecutiveGateway = 0;
      }
      return;
    }
    if (h === undefined) {
      h = { consecutive5xx: 0, consecutiveGateway: 0, ejections: 0, ejectedUntil: 0 };
      this.#health.set(endpoint, h);
    }
    if (h.ejectedUntil > 0) return;
    h.consecutive5xx++;
    const gateway = status === 0 || status === 502 || status === 503 || status === 504;
    if (gateway) h.consecutiveGateway++;
    const by5xx = this.#c5xx > 0 && h.consecutive5xx >= this.#c5xx;
    const byGateway = this.#cGateway > 0 && h.consecutiveGateway >= this.#cGateway;
    if (!by5xx && !byGateway) return;
    if (!this.#mayEject(target, endpoint)) return;
    h.ejections++;
    h.ejectedUntil = now + this.#baseMs * h.ejections;
    this.ejectionsTotal++;
    this.#targets.add(target);
    target.refresh();
    this.#ejections.push({
      replica: endpoint.id,
      revision: target.revision,
      at: now,
      until: h.ejectedUntil,
      reason: byGateway
        ? `${h.consecutiveGateway} consecutive gateway errors`
        : `${h.consecutive5xx} consecutive 5xx errors`,
    });
    if (this.#ejections.length > EJECTIONS_KEPT) this.#ejections.shift();
    h.consecutive5xx = 0;
    h.consecutiveGateway = 0;
  }

  /**
   * Whether `endpoint` may be ejected now: the revision's ejected replicas stay within
   * `maxEjectionPercent` (at least one may go, as Envoy), and the healthy ones (neither ejected nor
   * failing) stay at least `minHealthPercent` of them; otherwise detection holds back, so a
   * revision whose replicas all fail keeps them all.
   */
  #mayEject(target: RevisionTarget, endpoint: Endpoint): boolean {
    const all = target.allEndpoints;
    if (all.length === 0) return false;
    const ejected = all.filter((e) => this.ejected(e)).length + 1;
    const maxPercent = this.spec.maxEjectionPercent ?? DEFAULTS.maxEjectionPercent;
    const minHealth = this.spec.minHealthPercent ?? DEFAULTS.minHealthPercent;
    const maxEjected = Math.max(maxPercent > 0 ? 1 : 0, Math.floor((all.length * maxPercent) / 100));
    if (ejected > maxEjected) return false;
    const healthy = all.filter(
      (e) => e !== endpoint && !this.ejected(e) && (this.#health.get(e)?.consecutive5xx ?? 0) === 0,
    ).length;
    return (healthy * 100) / all.length >= minHealth;
  }

  /** Brings back the replicas whose ejection time is over. */
  sweep(now: number): void {
    for (const [endpoint, h] of this.#health) {
      if (h.ejectedUntil > 0 && now >= h.ejectedUntil) h.ejectedUntil = 0;
      if (h.ejectedUntil === 0 && h.consecutive5xx === 0 && h.ejections === 0) this.#health.delete(endpoint);
    }
    for (const target of this.#targets) target.refresh();
  }

  /** Stops the sweep timer. */
  close(): void {
    clearInterval(this.#timer);
  }
}
