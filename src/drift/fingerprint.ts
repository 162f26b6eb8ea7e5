import { createHash } from 'node:crypto';

/** Hex characters of a value's fingerprint. */
const FINGERPRINT_LENGTH = 16;

/**
 * A value as drift reports and the data plane's replica status show it: `sha256:` and the first 16
 * hex characters of its SHA-256, never the value (an environment variable may hold a Secret's
 * value). Pure.
 * @example fingerprint('v1') // 'sha256:3bfc269594ef6492'
 */
export function fingerprint(value: string | Buffer): string {
  return `sha256:${createHash('sha256').update(value).digest('hex').slice(0, FINGERPRINT_LENGTH)}`;
}

/**
 * The fingerprint of each variable of a template's `env` (names sorted), as a replica was started
 * with it: what the data plane reports per replica (`ReplicaStatus.envFingerprints`) and what the
 * controller compares with the environment it computed. Pure.
 */
export function envFingerprints(env: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(env ?? {}).sort()) out[name] = fingerprint(env![name]!);
  return out;
}
