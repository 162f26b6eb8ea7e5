/**
 * From a Rollout's template to a revision's identity: the template is resolved against the spec
 * file's directory, then hashed, as Argo Rollouts names a ReplicaSet by the hash of its pod template
 * (`rollouts-pod-template-hash`).
 */
import { createHash } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import type { LocalTemplate } from './types.js';

/** Length of {@link templateHash}'s result, in hex characters (Argo's pod-template-hash is 10 characters too). */
export const TEMPLATE_HASH_LENGTH = 10;

/**
 * Resolves a template's working directory: a relative `cwd` is resolved against `baseDir` (the
 * directory of the spec file the template came from), and a missing `cwd` becomes `baseDir`.
 * Everything else is copied unchanged; `$(VAR)` references in `command` are expanded later, per
 * replica, by the platform.
 *
 * Pure: does not touch the file system and does not read the process's working directory.
 *
 * @param baseDir - absolute directory of the spec file
 * @returns a new template whose `cwd` is absolute
 * @throws TypeError when `baseDir` is not absolute (resolving it would depend on the process's cwd)
 * @example resolveTemplate({ command: ['node', 'server.js'], cwd: './v1' }, '/srv/web') // cwd: '/srv/web/v1'
 */
export function resolveTemplate(template: LocalTemplate, baseDir: string): LocalTemplate {
  if (!isAbsolute(baseDir)) {
    throw new TypeError(`resolveTemplate: baseDir must be an absolute path, got ${JSON.stringify(baseDir)}`);
  }
  return { ...template, cwd: resolve(baseDir, template.cwd ?? '.') };
}

/**
 * The identity of a revision: the first {@link TEMPLATE_HASH_LENGTH} hex characters of the SHA-256
 * of the template's canonical JSON (object keys sorted, `undefined` fields left out, array order
 * kept). Two templates that differ only in key order or in explicitly absent fields get the same
 * hash; any other difference (a command argument, an env value, a probe field) changes it.
 *
 * Pure. Pass the template returned by {@link resolveTemplate}, so the same relative `cwd` in two
 * different directories gives two revisions. Defaults are not applied first: writing a default
 * explicitly (`periodSeconds: 10`) is a new revision, as editing an Argo pod template is.
 *
 * @returns 10 lowercase hex characters
 * @example templateHash(resolveTemplate(rollout.spec.template, '/srv/web')) // '3f9a0c1b2d'
 */
export function templateHash(template: LocalTemplate): string {
  return createHash('sha256').update(canonicalJson(template)).digest('hex').slice(0, TEMPLATE_HASH_LENGTH);
}

/** JSON with object keys sorted at every depth, so equal values always serialize the same. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return item;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(item).sort()) sorted[key] = (item as Record<string, unknown>)[key];
    return sorted;
  });
}
