import { type CompiledExpression, evaluateExpression } from './expression/index.js';
import { findJsonPath, type JsonPath } from './providers/web/json-path.js';

/**
 * Judge a JSON answer as a web metric's `jsonPath` + `successCondition` would (Argo Rollouts'
 * web provider): `result` is the field at `path` (one value, or the list when the path matches
 * several), and the answer passes when `condition` is `true`. Never throws.
 * @returns the verdict and a one-line detail for people (`{$.ready} = true; result == true is true`).
 */
export function judgeJson(
  body: Buffer | string,
  path: JsonPath,
  condition: CompiledExpression,
): { ok: boolean; detail: string } {
  let data: unknown;
  try {
    data = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  } catch {
    return { ok: false, detail: 'the answer is not JSON' };
  }
  let result: unknown;
  try {
    const found = findJsonPath(path, data);
    result = found.length === 1 ? found[0] : found;
  } catch (error) {
    return { ok: false, detail: `${path.source}: ${(error as Error).message}` };
  }
  try {
    const ok = evaluateExpression(condition, { result }) === true;
    return {
      ok,
      detail: `${path.source} = ${JSON.stringify(result)?.slice(0, 80)}; ${condition.source} is ${ok}`,
    };
  } catch (error) {
    return { ok: false, detail: `${condition.source}: ${(error as Error).message}` };
  }
}
