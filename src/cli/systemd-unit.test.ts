import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { renderSystemdUnit } from './systemd-unit.js';

const hasAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('renderSystemdUnit', () => {
  const unit = renderSystemdUnit({
    node: process.execPath,
    cli: new URL('../../bin/cutover.js', import.meta.url).pathname,
    home: '/var/lib/cutover data',
    user: 'root',
    env: { CUTOVER_API_PORT: '7410', CUTOVER_ROUTER_HOST: '0.0.0.0' },
    userUnit: false,
  });

  it('should run the server as the user, with the data directory and the carried environment, leaving the data plane running on stop', () => {
    expect(unit).toContain('User=root\n');
    expect(unit).toContain('Environment="CUTOVER_HOME=/var/lib/cutover data"\n');
    expect(unit).toContain('Environment=CUTOVER_API_PORT=7410\n');
    expect(unit).toMatch(/\nExecStart=\S+node \S+\/bin\/cutover\.js server\n/);
    expect(unit).toContain('KillMode=process\n');
    expect(unit).toContain('Restart=always\n');
    expect(unit).toContain('WantedBy=multi-user.target\n');
  });

  it.skipIf(!hasAnalyze)('should be a unit systemd-analyze verify accepts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cutover-unit-'));
    dirs.push(dir);
    const file = join(dir, 'cutover.service');
    writeFileSync(file, unit);
    expect(() => execFileSync('systemd-analyze', ['verify', file], { stdio: 'pipe' })).not.toThrow();
    // And one it refuses, so the check above can fail.
    writeFileSync(file, unit.replace('ExecStart=', 'ExecStart=relative/'));
    expect(() => execFileSync('systemd-analyze', ['verify', file], { stdio: 'pipe' })).toThrow();
  });
});
