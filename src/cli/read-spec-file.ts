import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CliError } from './errors.js';

/**
 * Reads a spec file given on the command line.
 * @param what - how messages name it, e.g. `spec file`, `release file`.
 * @returns its absolute path (the base of its relative paths) and text.
 * @throws CliError `CUTOVER_E_SPEC_FILE` naming the file and the reason (ENOENT, EACCES...).
 */
export function readSpecFile(filename: string, what: string): { file: string; text: string } {
  const file = resolve(filename);
  try {
    return { file, text: readFileSync(file, 'utf8') };
  } catch (error) {
    throw new CliError(
      'CUTOVER_E_SPEC_FILE',
      `cannot read ${what} ${filename}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}
