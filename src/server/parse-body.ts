import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { ApiError } from './errors.js';

/**
 * Validates a body or query string with a zod schema.
 * @throws ApiError 400 `CUTOVER_E_BAD_REQUEST` naming the first issue's field path, with every issue.
 */
export function parseBody<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue?.path.join('.') ?? '';
  throw new ApiError(
    400,
    'CUTOVER_E_BAD_REQUEST',
    `${path ? `${path}: ` : ''}${issue?.message ?? 'invalid body'}`,
    {
      path,
      issues: result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    },
  );
}

/**
 * The `file` of a spec sent as text: the absolute path it was read from, whose directory is the base
 * of the spec's relative paths (a relative one would be resolved against the server's directory).
 */
export const absoluteFile = z.string().min(1).refine(isAbsolute, {
  error: 'expected an absolute path (the directory of the file is the base of its relative paths)',
});
