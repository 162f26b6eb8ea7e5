import { isoTime, markdownTable } from './markdown-text.js';
import type { TimelineEntry } from './types.js';

/**
 * The lines of a timeline as a Markdown table (time UTC, stage, reason, actor, message), in time
 * order (stable for equal times); `_No entries._` when empty. Internal to the records module.
 */
export function timelineTable(timeline: readonly TimelineEntry[]): string[] {
  if (timeline.length === 0) return ['_No entries._'];
  const sorted = [...timeline].sort((a, b) => a.at - b.at);
  return markdownTable(
    ['Time (UTC)', 'Stage', 'Reason', 'Actor', 'Message'],
    sorted.map((e) => [isoTime(e.at), e.stage ?? '', e.reason, e.actor ?? '', e.message]),
  );
}
