import { RevisionRecorder } from './revision-recorder.js';

/**
 * Distinct `flag=variant` pairs recorded per revision; a response naming another pair is not
 * recorded under it (counted in {@link VariantRecorders.dropped}), so a service cannot make the
 * router's memory grow without bound (each pair keeps a {@link RevisionRecorder}, ~100 KiB).
 */
export const MAX_VARIANTS_PER_REVISION = 16;

/** Longest `flag=variant` pair recorded, characters (a flag key is at most 256). */
const MAX_PAIR_LENGTH = 320;

/**
 * Traffic of one revision per feature flag variant: one {@link RevisionRecorder} per
 * `flag=variant` pair, created at the first response naming it; a response counts once under each
 * pair it names.
 *
 * A service names the variants it answered with in the response header
 * `x-cutover-flag-variant: <flag key>=<variant>` (several as a list, or one line each); the router
 * forwards it unchanged, and analysis judges a flag's variants apart (the builtin metrics with
 * `flag` and `variant`, the `cutover_router_flag_variant_*` series).
 */
export class VariantRecorders {
  readonly #byPair = new Map<string, RevisionRecorder>();
  /**
   * Responses' pairs not recorded: malformed (no `=`, an empty side, white space around `=`), too
   * long, or beyond {@link MAX_VARIANTS_PER_REVISION}.
   */
  dropped = 0;

  /**
   * Count one finished request under each pair of `header`.
   * @param header - the `x-cutover-flag-variant` value(s), `flag=variant[, flag=variant...]`.
   * @param outcome - index into `OUTCOME_CLASSES`.
   * @param seconds - latency, s.
   * @param nowMs - ms since the epoch.
   */
  record(header: string, outcome: number, seconds: number, nowMs: number): void {
    // The common case, one pair, looks up the header value as it is: no split, no allocation.
    const known = this.#byPair.get(header);
    if (known !== undefined) {
      known.record(outcome, seconds, nowMs);
      return;
    }
    if (header.indexOf(',') < 0) {
      this.#recordPair(header.trim(), outcome, seconds, nowMs);
      return;
    }
    for (const part of header.split(',')) {
      const pair = part.trim();
      if (pair !== '') this.#recordPair(pair, outcome, seconds, nowMs);
    }
  }

  #recordPair(pair: string, outcome: number, seconds: number, nowMs: number): void {
    let recorder = this.#byPair.get(pair);
    if (recorder === undefined) {
      const eq = pair.indexOf('=');
      if (
        eq <= 0 ||
        eq === pair.length - 1 ||
        pair.length > MAX_PAIR_LENGTH ||
        /\s/.test(pair) ||
        this.#byPair.size >= MAX_VARIANTS_PER_REVISION
      ) {
        this.dropped++;
        return;
      }
      recorder = new RevisionRecorder(nowMs);
      this.#byPair.set(pair, recorder);
    }
    recorder.record(outcome, seconds, nowMs);
  }

  /** The recorder of one variant of one flag; undefined when no response named it. */
  get(flag: string, variant: string): RevisionRecorder | undefined {
    return this.#byPair.get(`${flag}=${variant}`);
  }

  /** Every pair recorded, in order of first sight. */
  *entries(): IterableIterator<{ flag: string; variant: string; recorder: RevisionRecorder }> {
    for (const [pair, recorder] of this.#byPair) {
      const eq = pair.indexOf('=');
      yield { flag: pair.slice(0, eq), variant: pair.slice(eq + 1), recorder };
    }
  }
}
