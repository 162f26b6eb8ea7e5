/**
 * Kubernetes' resource quantities (`500m`, `128Mi`, `1.5`, `1e3`), as `k8s.io/apimachinery`'s
 * `resource.Quantity`: parsed exactly and written in their canonical form, the form the API and
 * `encoding/json` give back (`0.5` -> `500m`, `1024Mi` -> `1Gi`, `1000m` -> `1`).
 */

const QUANTITY = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/;
const DECIMAL_SUFFIX: Readonly<Record<string, number>> = {
  n: -9,
  u: -6,
  m: -3,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const BINARY_SUFFIX: Readonly<Record<string, number>> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const DECIMAL_NAME = new Map(Object.entries(DECIMAL_SUFFIX).map(([name, exponent]) => [exponent, name]));
const BINARY_NAME = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
const NANO = 10n ** 9n;

/** Whether `value` is a quantity Kubernetes accepts (a string such as `250m`, or a number). */
export function isQuantity(value: unknown): value is string | number {
  return canonicalQuantity(value) !== undefined;
}

/**
 * The canonical form of a quantity, as `resource.Quantity.String()`: the value rounded up to
 * nano units; a binary suffix kept (the largest power of 1024 that divides it) when the value is a
 * whole number of at least 1024, else a decimal suffix whose exponent is a multiple of 3
 * (`1e3`-style input keeps the exponent notation). Pure.
 *
 * @returns the canonical string, or undefined when `value` is not a quantity
 * @example canonicalQuantity('0.5') // '500m'
 * @example canonicalQuantity('2048Ki') // '2Mi'
 */
export function canonicalQuantity(value: unknown): string | undefined {
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
  if (typeof text !== 'string') return undefined;
  const match = QUANTITY.exec(text);
  if (match === null) return undefined;
  const [, sign = '', whole = '', fraction = '', exponent, suffix] = match;
  if (whole === '' && fraction === '') return undefined;
  const binary = suffix === undefined ? undefined : BINARY_SUFFIX[suffix];
  const power10 =
    (exponent === undefined ? 0 : Number(exponent)) +
    (suffix === undefined || binary !== undefined ? 0 : (DECIMAL_SUFFIX[suffix] ?? 0)) -
    fraction.length;
  let numerator = BigInt(`${whole}${fraction}` || '0') * 1024n ** BigInt(binary ?? 0) * NANO;
  let denominator = 1n;
  if (power10 >= 0) numerator *= 10n ** BigInt(power10);
  else denominator = 10n ** BigInt(-power10);
  // Rounded up to a nano, as resource.ParseQuantity does.
  const nano = (numerator + denominator - 1n) / denominator;
  if (nano === 0n) return '0';
  const negative = sign === '-' ? '-' : '';
  if (binary !== undefined && nano >= 1024n * NANO && nano % NANO === 0n) {
    let amount = nano / NANO;
    let power = 0;
    while (amount % 1024n === 0n && power < BINARY_NAME.length - 1) {
      amount /= 1024n;
      power++;
    }
    return `${negative}${amount}${BINARY_NAME[power]}`;
  }
  let mantissa = nano;
  let scale = -9;
  while (mantissa % 10n === 0n) {
    mantissa /= 10n;
    scale++;
  }
  const down = ((scale % 3) + 3) % 3;
  mantissa *= 10n ** BigInt(down);
  scale -= down;
  const name = exponent === undefined ? DECIMAL_NAME.get(scale) : undefined;
  const written = scale === 0 ? '' : (name ?? `e${scale}`);
  return `${negative}${mantissa}${written}`;
}
