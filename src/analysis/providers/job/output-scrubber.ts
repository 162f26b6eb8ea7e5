import { StringDecoder } from 'node:string_decoder';

/** What replaces a credential in a job's output. */
const SCRUBBED = '*****';

/**
 * A cutover API token (`cut_<16 hex>_<43 base64url>`, see src/auth/token.ts), and what remains of
 * one cut by the start of a kept tail: its prefix with any part of its id and secret.
 */
const TOKEN = /cut_[0-9a-f]{16}_[A-Za-z0-9_-]{43}/g;
const TOKEN_PREFIX_TAIL = /cut_[0-9a-f]{0,16}(?:_[A-Za-z0-9_-]{0,43})?$/;
/** Longest token, characters: what a chunk boundary may split. */
const CARRY = 4 + 16 + 1 + 43 - 1;

/**
 * Replaces credentials in a stream of output, chunk by chunk, before anything keeps or publishes
 * it: cutover API tokens (the bootstrap admin token and every user's and agent's) and the literal
 * `secrets` given (resolved secret values), each by {@link SCRUBBED}. A credential split across two
 * chunks is caught: the last characters of a chunk wait for the next one. Linear in the output.
 *
 * @example
 * const s = new OutputScrubber(['hunter2']);
 * s.push('token cut_0123456789abcdef_' + 'x'.repeat(43) + ' and hunter2') + s.end();
 * // 'token ***** and *****'
 */
export class OutputScrubber {
  readonly #secrets: string[];
  readonly #carry: number;
  #pending = '';
  readonly #decoder = new StringDecoder('utf8');

  /** @param secrets - literal values to hide as well (empty strings are ignored). */
  constructor(secrets: readonly string[] = []) {
    this.#secrets = secrets.filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
    this.#carry = Math.max(CARRY, ...this.#secrets.map((s) => s.length - 1));
  }

  /** Scrub `chunk` (UTF-8): returns what can be released now; the rest waits for {@link end}. */
  push(chunk: Buffer | string): string {
    const text = this.#scrub(
      this.#pending + (typeof chunk === 'string' ? chunk : this.#decoder.write(chunk)),
    );
    const keep = Math.min(this.#carry, text.length);
    this.#pending = text.slice(text.length - keep);
    return text.slice(0, text.length - keep);
  }

  /** The end of the stream: what was held back, scrubbed, with any token cut short by the end. */
  end(): string {
    const rest = this.#scrub(this.#pending + this.#decoder.end()).replace(TOKEN_PREFIX_TAIL, SCRUBBED);
    this.#pending = '';
    return rest;
  }

  #scrub(text: string): string {
    let out = text.replace(TOKEN, SCRUBBED);
    for (const secret of this.#secrets) out = out.split(secret).join(SCRUBBED);
    return out;
  }
}

/** {@link OutputScrubber} over one whole text. Pure. */
export function scrubOutput(text: string, secrets: readonly string[] = []): string {
  const scrubber = new OutputScrubber(secrets);
  return scrubber.push(text) + scrubber.end();
}
