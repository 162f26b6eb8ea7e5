import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Prefix of every cutover token, so a leaked one is recognisable (as GitHub's `ghp_`). */
const TOKEN_PREFIX = 'cut_';

/** A freshly minted token: its public id and the secret shown once. */
export interface MintedToken {
  /** Public id (16 hex chars), stored in clear and listed by `token list`. */
  id: string;
  /** The bearer token `cut_<id>_<secret>`; only its hash is stored. */
  token: string;
  /** sha256 (hex) of the secret part. */
  hash: string;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Mints a token: an 8-byte id and a 32-byte random secret (base64url). */
export function mintToken(): MintedToken {
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { id, token: `${TOKEN_PREFIX}${id}_${secret}`, hash: sha256(secret) };
}

/** Splits a bearer token into its id and secret; undefined when it is not a cutover token. Pure. */
export function parseToken(token: string): { id: string; secret: string } | undefined {
  const m = /^cut_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/.exec(token);
  return m ? { id: m[1]!, secret: m[2]! } : undefined;
}

/** Whether `secret` hashes to `hash`, compared in constant time. */
export function secretMatches(secret: string, hash: string): boolean {
  const a = Buffer.from(sha256(secret), 'hex');
  const b = Buffer.from(hash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
