/**
 * Small private files of the data directory (keys, anchors): readable by their owner only (mode
 * 0600), written atomically.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { AuthError } from './errors.js';

/**
 * Writes `text` to `path` with mode 0600, atomically (a temporary file, then rename); creates the
 * directory (0700) when missing.
 */
export function writePrivateFile(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp`;
  try {
    writeFileSync(tmp, text, { mode: 0o600 });
    chmodSync(tmp, 0o600); // mode applies only when the file is created
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}

/**
 * Reads a private file; refuses one that group or others may access (as ssh a private key).
 * @returns undefined when the file does not exist.
 * @throws AuthError with `code` when it is unreadable or too open.
 */
export function readPrivateText(path: string, what: string, code: string): string | undefined {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new AuthError(code, `cannot read ${what} ${path}: ${(error as Error).message}`);
  }
  if ((mode & 0o077) !== 0) {
    throw new AuthError(
      code,
      `${what} ${path} is accessible by group or others (mode ${(mode & 0o777).toString(8)}); run chmod 600 ${path}`,
    );
  }
  return readFileSync(path, 'utf8');
}
