import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

/** `npm run demo` is the README's first command: it must run whole and report no unexpected failure. */
describe('cutover demo', () => {
  it('should take v1 through a promoted canary, a rolled-back faulty canary and a blue-green, losing no request', async () => {
    const { stdout } = await run(process.execPath, ['bin/cutover.js', 'demo'], { timeout: 120_000 });
    expect(stdout).toMatch(/RolloutCompleted: Rollout completed update to revision 2/);
    expect(stdout).toMatch(/RolloutAborted: .*revision 3/);
    expect(stdout).toMatch(/SwitchService/);
    expect(stdout).toMatch(/RolloutCompleted: Rollout completed update to revision 4/);
    const failed = /failed, as the client saw:\s+(\d+) \((\d+) are v3's injected 500s; (\d+) other\)/.exec(
      stdout,
    );
    expect(failed).not.toBeNull();
    expect(Number(failed?.[3])).toBe(0);
    const rollback = /v3 first request → 100% on stable: ([\d.]+) s/.exec(stdout);
    expect(Number(rollback?.[1])).toBeLessThanOrEqual(5);
  });
});
