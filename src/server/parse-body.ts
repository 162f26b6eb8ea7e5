import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { ApiError } from './errors.js';

/** One problem of a body, by field path (`a.b.0`), in words. */
interface BodyIssue {
  path: string;
  message: string;
}

/** Zod's issues as field issues: an unknown field is named by its own path, with the fields allowed. */
function bodyIssues(
  issues: readonly z.core.$ZodIssue[],
  allowed: readonly string[] | undefined,
): BodyIssue[] {
  return issues.flatMap((issue) => {
    const path = issue.path.map(String);
    if (issue.code !== 'unrecognized_keys') return [{ path: path.join('.'), message: issue.message }];
    const expected =
      path.length === 0 && allowed !== undefined
        ? allowed.length === 0
          ? 'no fields (this route takes no body)'
          : `one of ${allowed.join(', ')}`
        : 'a known field';
    return issue.keys.map((key) => ({
      path: [...path, key].join('.'),
      message: `unknown field ${JSON.stringify(key)}; expected ${expected}`,
    }));
  });
}

/**
 * Validates a body or query string with a zod schema, whole: nothing acts on a value that has any
 * problem.
 * @throws ApiError 400 `CUTOVER_E_BAD_REQUEST` naming the first issue's field path (an unknown
 *   field: its own path), with every issue.
 */
export function parseBody<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const shape = (schema as { shape?: Record<string, unknown> }).shape;
  const issues = bodyIssues(result.error.issues, shape === undefined ? undefined : Object.keys(shape));
  const first = issues[0];
  const path = first?.path ?? '';
  throw new ApiError(
    400,
    'CUTOVER_E_BAD_REQUEST',
    `${path ? `${path}: ` : ''}${first?.message ?? 'invalid body'}`,
    {
      path,
      issues,
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
