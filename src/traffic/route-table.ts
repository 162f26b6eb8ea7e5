import type { Endpoint } from './endpoint.js';
import type { HeaderLookup, HeaderRoute } from './header-route.js';
import type { MirrorRoute } from './mirror-route.js';
import type { RevisionTarget } from './revision-target.js';

/**
 * The weighted backends of one listener. Picks with nginx's smooth weighted round-robin, which is
 * exact over every window of 100 requests (a 90/10 split sends exactly 10 of each 100 to the 10 %
 * side) and interleaves them evenly. A backend without a ready endpoint is skipped for the pick, so
 * its share falls back to the other weighted backends; backends of weight 0 never receive traffic.
 */
export class RouteTable {
  readonly targets: readonly RevisionTarget[];
  readonly weights: readonly number[];
  /** Tried in order before the weighted pick (Argo Rollouts' `setHeaderRoute`). */
  readonly headerRoutes: readonly HeaderRoute[];
  /** Copies of matching requests to another revision (Argo Rollouts' `setMirrorRoute`), in order. */
  readonly mirrorRoutes: readonly MirrorRoute[];
  readonly #current: Float64Array;

  /**
   * @param targets - one per backend.
   * @param weights - percent 0..100 per backend, same order.
   * @param headerRoutes - compiled header routes, in order.
   * @param mirrorRoutes - compiled mirror routes, in order (the first that selects a request wins).
   */
  constructor(
    targets: readonly RevisionTarget[],
    weights: readonly number[],
    headerRoutes: readonly HeaderRoute[] = [],
    mirrorRoutes: readonly MirrorRoute[] = [],
  ) {
    this.targets = targets;
    this.weights = weights;
    this.headerRoutes = headerRoutes;
    this.mirrorRoutes = mirrorRoutes;
    this.#current = new Float64Array(targets.length);
  }

  /**
   * The target for a request: the first header route it matches whose revision has a ready
   * endpoint (weights ignored, the weighted rotation not advanced), else the weighted pick.
   * @param header - the request's headers; without it only the weighted pick is made.
   * @returns undefined when no weighted backend has a ready endpoint.
   */
  route(header?: HeaderLookup): RevisionTarget | undefined {
    if (header !== undefined) {
      for (const r of this.headerRoutes) {
        if (r.target.endpoints.length > 0 && r.matches(header)) return r.target;
      }
    }
    return this.pick();
  }

  /**
   * The weighted target for the next request, or undefined when no weighted backend has a ready
   * endpoint. With `avoid`, backends whose only ready endpoint is `avoid` are skipped too (the
   * retry of a request whose endpoint failed: that revision's last ready replica may have just died).
   */
  pick(avoid?: Endpoint): RevisionTarget | undefined {
    const targets = this.targets;
    const current = this.#current;
    let best = -1;
    let total = 0;
    for (let i = 0; i < targets.length; i++) {
      const w = this.weights[i]!;
      const endpoints = targets[i]!.endpoints;
      if (w <= 0 || endpoints.length === 0 || (endpoints.length === 1 && endpoints[0] === avoid)) continue;
      current[i]! += w;
      total += w;
      if (best < 0 || current[i]! > current[best]!) best = i;
    }
    if (best < 0) return undefined;
    current[best]! -= total;
    return targets[best];
  }

  /** Whether `target` is a backend of weight > 0 (a session keeps its revision only while so). */
  weighted(target: RevisionTarget): boolean {
    const i = this.targets.indexOf(target);
    return i >= 0 && this.weights[i]! > 0;
  }

  /** The backend with the largest weight (to which a request that found no endpoint is counted). */
  primary(): RevisionTarget | undefined {
    let best = -1;
    for (let i = 0; i < this.targets.length; i++) {
      if (best < 0 || this.weights[i]! > this.weights[best]!) best = i;
    }
    return best < 0 ? undefined : this.targets[best];
  }
}
