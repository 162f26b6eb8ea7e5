import { describe, expect, it } from 'vitest';
import { rolloutThreads, serverPlatform } from './platform-setting.js';

describe('server platform settings', () => {
  it('should take local or kubernetes, local when unset, and refuse anything else naming the setting', () => {
    expect(serverPlatform(undefined)).toBe('local');
    expect(serverPlatform(' ')).toBe('local');
    expect(serverPlatform('kubernetes')).toBe('kubernetes');
    expect(() => serverPlatform('k8s', '--platform')).toThrow(
      /--platform: expected local or kubernetes, got "k8s"/,
    );
  });

  it("should default --rollout-threads to Argo's 10 on kubernetes and 1 on local, and refuse what the platform cannot take", () => {
    expect(rolloutThreads(undefined, 'kubernetes')).toBe(10);
    expect(rolloutThreads('', 'local')).toBe(1);
    expect(rolloutThreads('32', 'kubernetes')).toBe(32);
    expect(rolloutThreads('1', 'local')).toBe(1);
    for (const bad of ['0', '101', '2.5', '-1', 'ten', '1e2'])
      expect(() => rolloutThreads(bad, 'kubernetes', '--rollout-threads')).toThrow(
        new RegExp(`--rollout-threads: expected an integer from 1 to 100, got "${bad.replace('.', '\\.')}"`),
      );
    expect(() => rolloutThreads('4', 'local')).toThrow(
      /CUTOVER_ROLLOUT_THREADS: the local platform reconciles one Rollout at a time \(1\), got 4/,
    );
  });
});
