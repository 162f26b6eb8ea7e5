import { chmodSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { AuthError } from './errors.js';

/**
 * Writes a token file readable by its owner only (mode 0600), atomically (a reader never sees
 * half a token).
 */
export function writeTokenFile(path: string, token: string): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `${token}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600); // mode applies only when the file is created
  renameSync(tmp, path);
}

/**
 * Reads a token file, refusing one that group or others may read or write (as ssh refuses a
 * private key: a token any local user can read is anyone's token).
 * @throws AuthError `CUTOVER_E_TOKEN_FILE` when missing, empty or too open.
 */
export function readTokenFile(path: string): string {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (error) {
    throw new AuthError(
      'CUTOVER_E_TOKEN_FILE',
      `cannot read token file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  if ((mode & 0o077) !== 0) {
    throw new AuthError(
      'CUTOVER_E_TOKEN_FILE',
      `token file ${path} is accessible by group or others (mode ${(mode & 0o777).toString(8)}); run chmod 600 ${path}`,
    );
  }
  const token = readFileSync(path, 'utf8').trim();
  if (token === '') throw new AuthError('CUTOVER_E_TOKEN_FILE', `token file ${path} is empty`);
  return token;
}
