import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DataPlaneInfo } from './protocol.js';

/** File in the data directory that says where the data plane listens. */
export const DATAPLANE_INFO_FILE = 'dataplane.json';

/**
 * The content of `<home>/dataplane.json`, or null when it is missing, unreadable or of an older
 * layout. Does not check that the processes are alive.
 */
export function readDataPlaneInfo(home: string): DataPlaneInfo | null {
  try {
    const info = JSON.parse(readFileSync(join(home, DATAPLANE_INFO_FILE), 'utf8')) as DataPlaneInfo;
    return typeof info.pid === 'number' &&
      typeof info.routerPid === 'number' &&
      typeof info.adminSocket === 'string' &&
      typeof info.metricsPort === 'number'
      ? info
      : null;
  } catch {
    return null;
  }
}

/** Write `<home>/dataplane.json` (0600) so that readers see the old or the new content, never a torn one. */
export function writeDataPlaneInfo(home: string, info: DataPlaneInfo): void {
  const path = join(home, DATAPLANE_INFO_FILE);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
}
