/**
 * The subset of Kubernetes JSONPath (k8s.io/client-go/util/jsonpath) that Argo Rollouts' web provider
 * users write in `jsonPath`: one `{...}` expression made of a root `$` (optional, as in kubectl),
 * `.name` / `['name']` children, `[n]` indexes (negative from the end) and `[*]` / `.*` wildcards.
 */

/** One step of a compiled path. */
type Segment = { kind: 'child'; name: string } | { kind: 'index'; index: number } | { kind: 'wildcard' };

/** A compiled JSONPath; see {@link compileJsonPath}. */
export interface JsonPath {
  /** The path as written, e.g. `{$.data.ok}`. */
  readonly source: string;
  readonly segments: readonly Segment[];
}

/** `jsonPath` when the metric has none: the whole body, as Argo Rollouts. */
export const DEFAULT_JSON_PATH = '{$}';

const NAME = /^[A-Za-z_][A-Za-z0-9_-]*/;

/**
 * Compiles a JSONPath template. Pure.
 *
 * @throws Error with a message naming the column, for anything outside the supported subset
 *   (filters `[?()]`, slices, unions, recursive descent `..`, text outside the braces)
 * @example compileJsonPath('{$.items[0].value}')
 */
export function compileJsonPath(source: string): JsonPath {
  const trimmed = source.trim();
  if (!trimmed.startsWith('{') || !trimmed.endsWith('}')) {
    throw new Error(`expected one {...} expression such as {$.data.value}, got ${JSON.stringify(source)}`);
  }
  const body = trimmed.slice(1, -1).trim();
  const segments: Segment[] = [];
  let i = 0;
  const fail = (what: string): never => {
    throw new Error(`${what} at column ${i + 2} of ${JSON.stringify(source)}`);
  };
  if (body.startsWith('$')) i = 1;
  else if (!body.startsWith('.') && !body.startsWith('[') && body !== '') fail('expected $, . or [');
  while (i < body.length) {
    const c = body[i];
    if (c === '.') {
      if (body[i + 1] === '.') fail('recursive descent (..) is not supported');
      i++;
      if (body[i] === '*') {
        segments.push({ kind: 'wildcard' });
        i++;
        continue;
      }
      const match = NAME.exec(body.slice(i));
      if (match === null) fail('expected a field name');
      const name = (match as RegExpExecArray)[0];
      segments.push({ kind: 'child', name });
      i += name.length;
    } else if (c === '[') {
      const close = body.indexOf(']', i);
      if (close === -1) fail('unclosed [');
      const inner = body.slice(i + 1, close).trim();
      if (inner === '*') segments.push({ kind: 'wildcard' });
      else if (/^-?\d+$/.test(inner)) segments.push({ kind: 'index', index: Number(inner) });
      else if (/^'[^']*'$/.test(inner) || /^"[^"]*"$/.test(inner)) {
        segments.push({ kind: 'child', name: inner.slice(1, -1) });
      } else if (inner.startsWith('?')) fail('filters [?(...)] are not supported');
      else fail(`unsupported subscript [${inner}] (expected [n], [*] or ['name'])`);
      i = close + 1;
    } else {
      fail(`unexpected ${JSON.stringify(c)}`);
    }
  }
  return { source, segments };
}

/**
 * Every value the path selects in `data`, in document order. Pure.
 *
 * As Kubernetes JSONPath without `allowMissingKeys`: a missing field or an index out of range is an
 * error; a wildcard over an empty array or object selects nothing.
 *
 * @throws Error naming the missing field or index
 */
export function findJsonPath(path: JsonPath, data: unknown): unknown[] {
  let current: unknown[] = [data];
  for (const segment of path.segments) {
    const next: unknown[] = [];
    for (const value of current) {
      if (segment.kind === 'wildcard') {
        if (Array.isArray(value)) next.push(...value);
        else if (isRecord(value)) next.push(...Object.values(value));
        else throw new Error(`${path.source}: [*] applied to ${describe(value)}`);
      } else if (segment.kind === 'index') {
        if (!Array.isArray(value))
          throw new Error(`${path.source}: [${segment.index}] applied to ${describe(value)}`);
        const index = segment.index < 0 ? value.length + segment.index : segment.index;
        if (index < 0 || index >= value.length) {
          throw new Error(
            `${path.source}: array index ${segment.index} out of range (length ${value.length})`,
          );
        }
        next.push(value[index]);
      } else {
        if (!isRecord(value) || !Object.hasOwn(value, segment.name)) {
          throw new Error(`${path.source}: ${segment.name} is not found`);
        }
        next.push(value[segment.name]);
      }
    }
    current = next;
  }
  return current;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}
