import { describe, expect, it } from 'vitest';
import { dataDirectoryEntry } from './paths.js';

describe('dataDirectoryEntry', () => {
  const entry = dataDirectoryEntry('/var/lib/cutover');

  it("should name cutover's own files of the data directory, and what is under them", () => {
    for (const path of [
      '/var/lib/cutover/cutover.db',
      '/var/lib/cutover/cutover.db-wal',
      '/var/lib/cutover/server.json.tmp',
      '/var/lib/cutover/flags.json.4242.tmp',
      '/var/lib/cutover/logs',
      '/var/lib/cutover/logs/web-r1-0.log',
      '/var/lib/cutover/run/replicas/123',
      '/var/lib/cutover/state/web/0/state.json',
      '/var/lib/cutover/keys/kek',
    ])
      expect(entry(path), path).toBe(true);
  });

  it('should not name anything else', () => {
    for (const path of [
      '/var/lib/cutover',
      '/var/lib/cutover/replicas/server.js',
      '/var/lib/cutover/rollout.yaml',
      '/var/lib/cutover-other/logs/x.log',
      '/srv/web/logs/app.log',
    ])
      expect(entry(path), path).toBe(false);
  });
});
