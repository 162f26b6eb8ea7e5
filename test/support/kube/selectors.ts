import type { KubeObject } from './kinds.js';

/** A parsed selector: every requirement must hold. */
export type Selector = (object: KubeObject) => boolean;

/** Thrown for selector syntax the simulated server does not support (set-based `in`, `notin`); answered 400. */
export class SelectorError extends Error {}

/**
 * A `labelSelector` query parameter: equality (`a=b`, `a==b`, `a!=b`) and existence (`a`, `!a`)
 * requirements, comma-separated, as the API server's label selector syntax. Set-based `in` / `notin`
 * throw `SelectorError`.
 */
export function parseLabelSelector(text: string | null): Selector {
  const requirements = (text ?? '')
    .split(',')
    .map((r) => r.trim())
    .filter((r) => r !== '')
    .map((requirement): Selector => {
      const labels = (o: KubeObject) => o.metadata.labels ?? {};
      const notEqual = /^([^!=\s]+)\s*!=\s*(\S*)$/.exec(requirement);
      if (notEqual) return (o) => labels(o)[notEqual[1] as string] !== notEqual[2];
      const equal = /^([^!=\s]+)\s*==?\s*(\S*)$/.exec(requirement);
      if (equal) return (o) => labels(o)[equal[1] as string] === equal[2];
      const absent = /^!([^!=\s()]+)$/.exec(requirement);
      if (absent) return (o) => !((absent[1] as string) in labels(o));
      if (/^[^!=\s()]+$/.test(requirement)) return (o) => requirement in labels(o);
      throw new SelectorError(
        `unable to parse requirement: ${JSON.stringify(requirement)} (the simulated server supports =, ==, != and existence)`,
      );
    });
  return (object) => requirements.every((r) => r(object));
}

/** A `fieldSelector`: `metadata.name` and `metadata.namespace` with `=`, `==`, `!=`; other fields throw `SelectorError`. */
export function parseFieldSelector(text: string | null): Selector {
  const requirements = (text ?? '')
    .split(',')
    .filter((r) => r !== '')
    .map((requirement): Selector => {
      const match = /^metadata\.(name|namespace)\s*(!=|==|=)\s*(\S*)$/.exec(requirement.trim());
      if (!match)
        throw new SelectorError(
          `field selector ${JSON.stringify(requirement)} is not supported (metadata.name, metadata.namespace)`,
        );
      const [, field, operator, value] = match;
      return (o) => (o.metadata[field as 'name' | 'namespace'] === value) === (operator !== '!=');
    });
  return (object) => requirements.every((r) => r(object));
}
