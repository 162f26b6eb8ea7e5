/**
 * Helpers shared by the record renderers: text made safe for a Markdown table cell, and times in
 * ISO 8601 UTC. Internal to the records module.
 */

/**
 * Makes text safe inside a GitHub-flavoured Markdown table cell: `|` is escaped (GFM spec,
 * "Tables": a pipe inside a cell must be escaped) and line breaks become spaces, since a cell
 * cannot span lines. An empty value becomes `-` so the column stays visible.
 */
export function tableCell(text: string): string {
  const cell = text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|').trim();
  return cell === '' ? '-' : cell;
}

/** A time (ms since epoch) as ISO 8601 UTC, e.g. `2025-01-01T10:00:00.000Z`. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** A table: a header row, the delimiter row, then one row per entry; cells are escaped. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const line = (cells: readonly string[]) => `| ${cells.map(tableCell).join(' | ')} |`;
  return [line(header), `|${header.map(() => '---').join('|')}|`, ...rows.map(line)];
}

/** A duration in whole seconds as `1h 2m 3s` (leading zero units left out; `0s` for zero). */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const parts = [h > 0 ? `${h}h` : '', h > 0 || m > 0 ? `${m}m` : '', `${s}s`].filter((p) => p !== '');
  return parts.join(' ');
}
