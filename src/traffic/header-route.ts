import type { HeaderRouteSpec } from '../dataplane/protocol.js';
import type { LinearRegex } from '../regex/index.js';
import { compileHeaderRouteRegex } from '../spec/header-route-regex.js';
import type { RevisionTarget } from './revision-target.js';

/**
 * The value of a request header by its lower-case name (several lines of one field joined with
 * `, `, RFC 9110 section 5.3), or undefined when the request has none.
 */
export type HeaderLookup = (lowerName: string) => string | undefined;

/**
 * Longest header value a `regex` condition is tested against, characters; a longer value does not
 * match. The RE2 engine is linear in the value's length, so this bounds the cost of one test on the
 * router's hot path whatever the pattern.
 */
export const MAX_REGEX_MATCHED_VALUE_LENGTH = 1024;

const EXACT = 0;
const PREFIX = 1;
const REGEX = 2;

interface Condition {
  /** Lower-case header name. */
  name: string;
  kind: typeof EXACT | typeof PREFIX | typeof REGEX;
  value: string;
  /** Compiled once, when the route is applied. */
  regex: LinearRegex | null;
}

/**
 * One header route of a listener, compiled from its {@link HeaderRouteSpec} when the listener's
 * routes change (never per request): as Argo Rollouts' `setHeaderRoute`, a request matching every
 * condition goes to {@link target}. Header names compare case-insensitively (RFC 9110 section
 * 5.1); values exactly (`exact`, `prefix`) or by an unanchored `regex` test in RE2 syntax, in time
 * linear in the value's length (as Istio and Envoy, which Argo Rollouts hands these routes to).
 */
export class HeaderRoute {
  readonly name: string;
  readonly target: RevisionTarget;
  readonly #conditions: readonly Condition[];

  /**
   * @throws PatternSyntaxError when a regex is not valid RE2 (the data plane validates specs first).
   */
  constructor(spec: HeaderRouteSpec, target: RevisionTarget) {
    this.name = spec.name;
    this.target = target;
    this.#conditions = spec.match.map((m): Condition => {
      const name = m.headerName.toLowerCase();
      const v = m.headerValue;
      if (v.exact !== undefined) return { name, kind: EXACT, value: v.exact, regex: null };
      if (v.prefix !== undefined) return { name, kind: PREFIX, value: v.prefix, regex: null };
      return { name, kind: REGEX, value: v.regex ?? '', regex: compileHeaderRouteRegex(v.regex ?? '') };
    });
  }

  /** Whether the request matches every condition. Pure; cost bounded by the conditions' caps. */
  matches(header: HeaderLookup): boolean {
    for (const c of this.#conditions) {
      const value = header(c.name);
      if (value === undefined) return false;
      if (c.kind === EXACT) {
        if (value !== c.value) return false;
      } else if (c.kind === PREFIX) {
        if (!value.startsWith(c.value)) return false;
      } else if (value.length > MAX_REGEX_MATCHED_VALUE_LENGTH || !c.regex!.test(value)) {
        return false;
      }
    }
    return true;
  }
}

/**
 * A {@link HeaderLookup} over a request head in HTTP/1.1 wire form (latin1: the request line, then
 * `Name: value` lines separated by CRLF, optionally ending with the empty line). The head is
 * indexed once, on the first lookup, so a request costs one pass over its head however many
 * conditions the routes have; nothing is done for a request no route looks at.
 */
export function headerLookupOf(head: string): HeaderLookup {
  let fields: Map<string, string> | undefined;
  return (lowerName) => {
    if (fields === undefined) {
      fields = new Map();
      let i = head.indexOf('\r\n');
      while (i >= 0 && i + 2 < head.length) {
        const start = i + 2;
        const end = head.indexOf('\r\n', start);
        const line = end < 0 ? head.slice(start) : head.slice(start, end);
        if (line === '') break;
        const colon = line.indexOf(':');
        if (colon > 0) {
          const name = line.slice(0, colon).toLowerCase();
          const value = line.slice(colon + 1).trim();
          const seen = fields.get(name);
          fields.set(name, seen === undefined ? value : `${seen}, ${value}`);
        }
        i = end;
      }
    }
    return fields.get(lowerName);
  };
}
