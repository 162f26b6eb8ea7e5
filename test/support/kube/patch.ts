/**
 * The patch formats of `PATCH`: JSON merge patch (RFC 7386; also used for strategic merge patch,
 * see the module header) and JSON patch (RFC 6902: add, remove, replace, move, copy, test).
 * Pure functions; they return a new document and never change their arguments.
 */

/** JSON merge patch, RFC 7386 section 2: objects merge recursively, `null` deletes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const result: Record<string, unknown> = isObject(target) ? structuredClone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/** One RFC 6902 operation. */
type JsonPatchOperation = { op: string; path: string; value?: unknown; from?: string };

/** Thrown when a JSON patch cannot apply (bad pointer, failed `test`); the server answers 422. */
export class PatchError extends Error {}

/** JSON patch, RFC 6902: applies the operations in order to a copy of `target`. Throws `PatchError`. */
export function jsonPatch(target: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) throw new PatchError('a JSON patch is an array of operations');
  let doc = structuredClone(target);
  for (const operation of operations as JsonPatchOperation[]) {
    const operand = () =>
      structuredClone(
        operation.op === 'move' || operation.op === 'copy'
          ? read(doc, operation.from ?? '')
          : operation.value,
      );
    switch (operation.op) {
      case 'add':
      case 'copy':
        doc = write(doc, operation.path, operand(), 'add');
        break;
      case 'replace':
        doc = write(doc, operation.path, operand(), 'replace');
        break;
      case 'remove':
        doc = write(doc, operation.path, undefined, 'remove');
        break;
      case 'move': {
        const value = operand();
        doc = write(doc, operation.from ?? '', undefined, 'remove');
        doc = write(doc, operation.path, value, 'add');
        break;
      }
      case 'test':
        if (JSON.stringify(read(doc, operation.path)) !== JSON.stringify(operation.value)) {
          throw new PatchError(`test failed at ${operation.path}`);
        }
        break;
      default:
        throw new PatchError(`unknown JSON patch operation ${JSON.stringify(operation.op)}`);
    }
  }
  return doc;
}

/** RFC 6901 pointer tokens: `/a/b~1c` -> `['a', 'b/c']`. */
function tokens(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new PatchError(`invalid JSON pointer ${JSON.stringify(pointer)}`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function read(doc: unknown, pointer: string): unknown {
  let node = doc;
  for (const token of tokens(pointer)) {
    if (!isObject(node) && !Array.isArray(node)) throw new PatchError(`path ${pointer} does not exist`);
    node = (node as Record<string, unknown>)[token];
    if (node === undefined) throw new PatchError(`path ${pointer} does not exist`);
  }
  return node;
}

function write(doc: unknown, pointer: string, value: unknown, mode: 'add' | 'replace' | 'remove'): unknown {
  const path = tokens(pointer);
  const last = path.pop();
  if (last === undefined) return value;
  const parent = read(
    doc,
    path.length === 0 ? '' : `/${path.map((t) => t.replaceAll('~', '~0').replaceAll('/', '~1')).join('/')}`,
  );
  if (Array.isArray(parent)) {
    const index = last === '-' ? parent.length : Number(last);
    if (!Number.isInteger(index) || index < 0 || index > parent.length)
      throw new PatchError(`bad array index in ${pointer}`);
    if (mode === 'add') parent.splice(index, 0, value);
    else if (index >= parent.length) throw new PatchError(`path ${pointer} does not exist`);
    else if (mode === 'replace') parent[index] = value;
    else parent.splice(index, 1);
    return doc;
  }
  if (!isObject(parent)) throw new PatchError(`path ${pointer} does not exist`);
  if (mode !== 'add' && !(last in parent)) throw new PatchError(`path ${pointer} does not exist`);
  if (mode === 'remove') delete parent[last];
  else parent[last] = value;
  return doc;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
