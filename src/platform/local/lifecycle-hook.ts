import type { LifecycleHandler } from '../../spec/types.js';
import { type ProbeContext, runProbe } from './probe.js';

/**
 * Run one container lifecycle hook (`postStart`, `preStop`) as the kubelet does: `exec` succeeds on
 * exit code 0, `httpGet` on a status in 200..399, `sleep` after its seconds; each bounded by
 * `timeoutMs` (a hook still running then counts as failed and is abandoned; an `exec` hook is
 * killed). Never throws.
 * @param timeoutMs - upper bound, ms (the caller's remaining grace period).
 * @returns whether it succeeded.
 */
export async function runLifecycleHook(
  handler: LifecycleHandler,
  context: ProbeContext,
  timeoutMs: number,
): Promise<boolean> {
  if (timeoutMs <= 0) return false;
  if (handler.sleep !== undefined) {
    const ms = handler.sleep.seconds * 1000;
    await new Promise((resolve) => setTimeout(resolve, Math.min(ms, timeoutMs)));
    return ms <= timeoutMs;
  }
  const { exec, httpGet } = handler;
  return runProbe(
    {
      ...(exec !== undefined ? { exec } : {}),
      ...(httpGet !== undefined ? { httpGet } : {}),
      timeoutSeconds: timeoutMs / 1000,
    },
    context,
  );
}
