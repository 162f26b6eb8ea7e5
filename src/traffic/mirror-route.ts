import { compileJsonPath, type JsonPath } from '../analysis/providers/web/json-path.js';
import type { MirrorRouteSpec, StringMatch } from '../dataplane/protocol.js';
import type { LinearRegex } from '../regex/index.js';
import { compileHeaderRouteRegex } from '../spec/header-route-regex.js';
import { type HeaderLookup, MAX_REGEX_MATCHED_VALUE_LENGTH } from './header-route.js';
import type { RevisionTarget } from './revision-target.js';

/** A compiled {@link StringMatch}. */
type Matcher = (value: string) => boolean;

function compile(match: StringMatch): Matcher {
  if (match.exact !== undefined) {
    const exact = match.exact;
    return (v) => v === exact;
  }
  if (match.prefix !== undefined) {
    const prefix = match.prefix;
    return (v) => v.startsWith(prefix);
  }
  const regex: LinearRegex = compileHeaderRouteRegex(match.regex ?? '');
  return (v) => v.length <= MAX_REGEX_MATCHED_VALUE_LENGTH && regex.test(v);
}

interface Alternative {
  method: Matcher | null;
  path: Matcher | null;
  headers: [string, Matcher][];
}

/**
 * One mirror route of a listener, compiled from its {@link MirrorRouteSpec} when the listener's
 * routes change (never per request): as Argo Rollouts' `setMirrorRoute` (Istio's `mirror` with
 * `mirrorPercentage`), a request matching one of the alternatives is copied to {@link target} in
 * `percentage` percent of cases. Method and path compare case-sensitively, header names
 * case-insensitively; regexes are RE2, unanchored, linear in the value's length.
 */
export class MirrorRoute {
  readonly name: string;
  readonly target: RevisionTarget;
  /** Share of matching requests copied, ratio 0..1. */
  readonly ratio: number;
  /**
   * How the copy's answer is compared with the client's: undefined, not at all; null, the status
   * only; a path, the status and that JSON field of both bodies.
   */
  readonly compare: JsonPath | null | undefined;
  readonly #alternatives: readonly Alternative[];

  /** @throws PatternSyntaxError or Error on a bad regex or jsonPath (the data plane validates specs first). */
  constructor(spec: MirrorRouteSpec, target: RevisionTarget) {
    this.name = spec.name;
    this.target = target;
    this.ratio = spec.percentage / 100;
    this.compare =
      spec.compare === undefined
        ? undefined
        : spec.compare.jsonPath === undefined
          ? null
          : compileJsonPath(spec.compare.jsonPath);
    this.#alternatives = spec.match.map((m) => ({
      method: m.method === undefined ? null : compile(m.method),
      path: m.path === undefined ? null : compile(m.path),
      headers: Object.entries(m.headers ?? {}).map(([name, v]) => [name.toLowerCase(), compile(v)]),
    }));
  }

  /**
   * Whether a request is copied: it matches an alternative and falls within the percentage.
   * @param head - the request head in wire form (latin1), request line first.
   */
  selects(head: string, header: HeaderLookup): boolean {
    if (this.ratio <= 0 || (this.ratio < 1 && Math.random() >= this.ratio)) return false;
    const sp1 = head.indexOf(' ');
    const sp2 = head.indexOf(' ', sp1 + 1);
    const method = head.slice(0, sp1);
    const target = head.slice(sp1 + 1, sp2);
    const q = target.indexOf('?');
    const path = q < 0 ? target : target.slice(0, q);
    next: for (const alt of this.#alternatives) {
      if (alt.method !== null && !alt.method(method)) continue;
      if (alt.path !== null && !alt.path(path)) continue;
      for (const [name, matcher] of alt.headers) {
        const value = header(name);
        if (value === undefined || !matcher(value)) continue next;
      }
      return true;
    }
    return false;
  }
}
