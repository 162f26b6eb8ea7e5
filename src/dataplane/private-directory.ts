import { chmodSync, mkdirSync, statSync } from 'node:fs';

/**
 * Make `dir` a directory only its owner can enter (0700), creating it (and its parents) if needed:
 * the data directory holds the database, the tokens, the audit key and the data plane's admin
 * socket. An existing directory that others can read or enter is narrowed to 0700.
 * @throws when `dir` exists and is not a directory this user owns (it is then left as it is).
 */
export function privateDirectory(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = statSync(dir);
  if (!st.isDirectory()) throw new Error(`${dir} is not a directory`);
  if (typeof process.getuid === 'function' && st.uid !== process.getuid())
    throw new Error(`${dir} belongs to uid ${st.uid}, not to this user (uid ${process.getuid()})`);
  if ((st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
}
