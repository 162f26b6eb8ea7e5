/** Value helpers of the condition language, shared by the evaluator and the builtins. */

/** A JSON-like map value (an object that is not an array). */
export type MapValue = Record<string, unknown>;

/** Whether `v` is nil (JavaScript `null` or `undefined`), as expr's nil. */
export const isNilValue = (v: unknown): v is null | undefined => v === null || v === undefined;

/** Whether `v` is a map (any non-null, non-array object). */
export const isMap = (v: unknown): v is MapValue => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Type name in messages, in expr's words (`int` for integral numbers, `float` otherwise). */
export function typeName(v: unknown): string {
  if (isNilValue(v)) return 'nil';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'string') return 'string';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'function') return 'func';
  return 'map';
}

/**
 * expr's `==`: numbers compare numerically, arrays and maps deeply, values of different types are
 * unequal (not an error); NaN is unequal to everything, as in Go.
 */
export function valuesEqual(a: unknown, b: unknown): boolean {
  if (isNilValue(a) || isNilValue(b)) return isNilValue(a) && isNilValue(b);
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => valuesEqual(x, b[i]));
  }
  if (isMap(a) || isMap(b)) {
    if (!isMap(a) || !isMap(b)) return false;
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((k) => Object.hasOwn(b, k) && valuesEqual(a[k], b[k]));
  }
  return a === b;
}

/** Own-property lookup (never the prototype chain, so `constructor` or `__proto__` read as nil). */
export function getOwn(map: object, key: string): unknown {
  return Object.hasOwn(map, key) ? (map as MapValue)[key] : undefined;
}

/** Renders a value for messages, compactly. */
export function describeValue(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (isNilValue(v)) return 'nil';
  try {
    const text = JSON.stringify(v) ?? String(v);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
  } catch {
    return typeName(v);
  }
}
