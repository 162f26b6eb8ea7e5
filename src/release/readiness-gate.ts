import { request } from 'undici';
import { compileExpression, compileJsonPath, judgeJson } from '../analysis/index.js';
import type { ReadinessGate } from '../spec/index.js';

/** Time one check of a gate may take, ms. */
const CHECK_TIMEOUT_MS = 2_000;
/** Largest answer read, bytes. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * Check a Rollout's readiness gate once: GET its URL (`{{port}}` replaced by `port`), then judge
 * the answer as a web metric (`jsonPath`, `successCondition`; without a condition, any 2xx).
 * Never throws.
 * @returns whether it holds, and a one-line detail for the report.
 */
export async function checkReadinessGate(
  gate: ReadinessGate,
  port: number,
): Promise<{ ok: boolean; detail: string }> {
  const url = gate.httpGet.url.replaceAll('{{port}}', String(port));
  try {
    const res = await request(url, { signal: AbortSignal.timeout(CHECK_TIMEOUT_MS) });
    let body = '';
    for await (const chunk of res.body) {
      body += String(chunk);
      if (body.length > MAX_ANSWER_BYTES) break;
    }
    if (res.statusCode < 200 || res.statusCode > 299)
      return { ok: false, detail: `GET ${url}: ${res.statusCode}` };
    if (gate.successCondition === undefined) return { ok: true, detail: `GET ${url}: ${res.statusCode}` };
    const verdict = judgeJson(
      body,
      compileJsonPath(gate.jsonPath ?? '{$}'),
      compileExpression(gate.successCondition),
    );
    return { ok: verdict.ok, detail: `GET ${url}: ${verdict.detail}` };
  } catch (error) {
    return { ok: false, detail: `GET ${url}: ${(error as Error).message}` };
  }
}
