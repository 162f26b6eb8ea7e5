import { describe, expect, it } from 'vitest';
import { formatDuration, tableCell } from './markdown-text.js';

describe('tableCell', () => {
  it.each([
    { text: 'a | b', expected: 'a \\| b' },
    { text: 'line one\nline two', expected: 'line one line two' },
    { text: '', expected: '-' },
  ])('should turn $text into $expected', ({ text, expected }) => {
    expect(tableCell(text)).toBe(expected);
  });
});

describe('formatDuration', () => {
  it.each([
    { ms: 0, expected: '0s' },
    { ms: 45_000, expected: '45s' },
    { ms: 125_000, expected: '2m 5s' },
    { ms: 3_600_000, expected: '1h 0m 0s' },
    { ms: 3_723_400, expected: '1h 2m 3s' },
  ])('should format $ms ms as $expected', ({ ms, expected }) => {
    expect(formatDuration(ms)).toBe(expected);
  });
});
