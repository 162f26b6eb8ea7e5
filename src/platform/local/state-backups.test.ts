import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StateBackups } from './state-backups.js';

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'cutover-state-backups-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

function writeState(ordinal: number, text: string): void {
  const dir = join(home, 'state', 'agent', String(ordinal));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'state.json'), text);
}

describe('StateBackups (real tar)', () => {
  it('should restore every ordinal as it was, and refuse a backup that no longer matches its sha256', async () => {
    writeState(0, 'zero-v1');
    writeState(1, 'one-v1');
    const backups = new StateBackups(home);
    const backup = (await backups.take('agent', 1, 1_000))!;
    expect(backup.sha256).toMatch(/^[0-9a-f]{64}$/);
    writeState(0, 'zero-v2');
    writeState(2, 'two-v2');

    await backups.restore('agent', backup.id);
    expect(readFileSync(join(home, 'state/agent/0/state.json'), 'utf8')).toBe('zero-v1');
    expect(readFileSync(join(home, 'state/agent/1/state.json'), 'utf8')).toBe('one-v1');
    expect(() => readFileSync(join(home, 'state/agent/2/state.json'))).toThrow();

    writeState(0, 'zero-v3');
    appendFileSync(backup.file, 'tampered');
    await expect(backups.restore('agent', backup.id)).rejects.toMatchObject({
      code: 'CUTOVER_E_STATE_BACKUP',
    });
    expect(readFileSync(join(home, 'state/agent/0/state.json'), 'utf8')).toBe('zero-v3');
    expect(backups.latestOf('agent', 1)?.id).toBe(backup.id);
    expect(backups.latestOf('agent', 2)).toBeUndefined();
  });
});
