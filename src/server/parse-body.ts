import type { z } from 'zod';
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
