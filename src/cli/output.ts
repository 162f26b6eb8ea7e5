import { CliError } from './errors.js';

/** Output formats of read commands (`-o`). */
const OUTPUT_FORMATS = ['text', 'json'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export function outputFormat(value: string | undefined): OutputFormat {
  const format = value ?? 'text';
  if ((OUTPUT_FORMATS as readonly string[]).includes(format)) return format as OutputFormat;
  throw new CliError(
    'CUTOVER_E_USAGE',
    `-o: expected one of ${OUTPUT_FORMATS.join(', ')}, got ${JSON.stringify(value)}`,
    2,
  );
}

/** Parses `60s`, `5m`, `90` (seconds) for `--timeout`; ms. */
export function parseTimeout(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!m)
    throw new CliError(
      'CUTOVER_E_USAGE',
      `--timeout: expected a duration like 60s, 5m or 90, got ${JSON.stringify(value)}`,
      2,
    );
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return n * (unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000);
}
