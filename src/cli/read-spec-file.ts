import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { resolve } from 'node:path';
import { CliError } from './errors.js';

/**
 * Largest spec or release file the CLI reads, bytes: the API takes bodies of at most 1 MiB, and the
 * text travels JSON-escaped inside one.
 */
const MAX_SPEC_FILE_BYTES = 512 * 1024;

function kindOf(stats: ReturnType<typeof fstatSync>): string {
  if (stats.isDirectory()) return 'directory';
  if (stats.isCharacterDevice()) return 'character device';
  if (stats.isBlockDevice()) return 'block device';
  if (stats.isFIFO()) return 'named pipe';
  if (stats.isSocket()) return 'socket';
  return 'special file';
}

/**
 * Reads a spec file given on the command line: a regular file of at most
 * {@link MAX_SPEC_FILE_BYTES}. A device (`/dev/zero`), a pipe or a directory is refused at once,
 * never read (opened non-blocking, so a FIFO without a writer does not hang).
 * @param what - how messages name it, e.g. `spec file`, `release file`.
 * @returns its absolute path (the base of its relative paths) and text.
 * @throws CliError `CUTOVER_E_SPEC_FILE` naming the file and the reason (ENOENT, EACCES, not a
 *   regular file, too large).
 */
export function readSpecFile(filename: string, what: string): { file: string; text: string } {
  const file = resolve(filename);
  const fail = (reason: string) =>
    new CliError('CUTOVER_E_SPEC_FILE', `cannot read ${what} ${filename}: ${reason}`);
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw fail((error as NodeJS.ErrnoException).code ?? (error as Error).message);
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw fail(`expected a regular file, got a ${kindOf(stats)}`);
    if (stats.size > MAX_SPEC_FILE_BYTES) {
      throw fail(`expected at most ${MAX_SPEC_FILE_BYTES} bytes, got ${stats.size}`);
    }
    // Read at most one byte more than allowed: a file growing while it is read is still bounded.
    const buffer = Buffer.alloc(MAX_SPEC_FILE_BYTES + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > MAX_SPEC_FILE_BYTES) throw fail(`expected at most ${MAX_SPEC_FILE_BYTES} bytes`);
    }
    return { file, text: buffer.subarray(0, length).toString('utf8') };
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw fail((error as NodeJS.ErrnoException).code ?? (error as Error).message);
  } finally {
    closeSync(fd);
  }
}
