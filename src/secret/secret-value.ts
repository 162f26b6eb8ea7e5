import { inspect } from 'node:util';

/** What a secret value prints as, everywhere: API answers, CLI output, events, logs. */
export const SECRET_MASK = '*****';

/**
 * A secret value (an AnalysisTemplate arg from `valueFrom.secretKeyRef` or `valueFrom.env`) as its
 * own type, so it cannot reach an output by accident: `toJSON`, `toString`, template literals and
 * `util.inspect` (console, pino) all give {@link SECRET_MASK}. Only the code that hands the value
 * to its consumer (a metric provider's request, a job's environment) calls {@link reveal}, as Vault
 * never returns a secret it was not asked for.
 *
 * @example `${new SecretValue('s3cret')}` // '*****'
 */
export class SecretValue {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The value in clear: only for the code that hands it to the provider that needs it. */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return SECRET_MASK;
  }

  toJSON(): string {
    return SECRET_MASK;
  }

  [inspect.custom](): string {
    return SECRET_MASK;
  }
}
