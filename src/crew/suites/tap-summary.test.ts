import { describe, expect, it } from 'vitest';
import { parseTapSummary } from './tap-summary.js';

/** Output of `node --test --test-reporter=tap` (Node 20) for a file with a failing nested test. */
const NODE_TAP = `TAP version 13
# hello
# Subtest: adds
ok 1 - adds
  ---
  duration_ms: 0.92
  ...
# Subtest: skipped one
ok 2 - skipped one # SKIP not now
  ---
  duration_ms: 0.10
  ...
# Subtest: todo one
not ok 3 - todo one # TODO
  ---
  duration_ms: 0.22
  error: 'x'
  ...
# Subtest: group
    # Subtest: inner ok
    ok 1 - inner ok
      ---
      duration_ms: 0.18
      ...
    # Subtest: inner fails
    not ok 2 - inner fails
      ---
      duration_ms: 0.44
      error: |-
        not ok 99 - fake
      ...
    1..2
not ok 4 - group
  ---
  failureType: 'subtestsFailed'
  ...
# Subtest: fails
not ok 5 - fails
  ---
  error: 'boom'
  ...
1..5
# tests 6
# suites 1
# pass 2
# fail 2
# cancelled 0
# skipped 1
# todo 1
# duration_ms 113.49
`;

describe('parseTapSummary', () => {
  it("should take the counts from node:test's summary and list only leaf failures with their parents", () => {
    expect(parseTapSummary(NODE_TAP)).toEqual({
      counts: { passed: 2, failed: 2, skipped: 2, total: 6 },
      failures: ['group > inner fails', 'fails'],
      bailOut: undefined,
    });
  });

  it('should count top-level test points when there is no summary, a todo failure not being a failure', () => {
    const tap = [
      'TAP version 14',
      '1..4',
      'ok 1 - a',
      'not ok 2 - b \\# c',
      'ok 3 # skip',
      'not ok 4 - d # TODO later',
    ];
    expect(parseTapSummary(tap.join('\n'))).toEqual({
      counts: { passed: 1, failed: 1, skipped: 2, total: 4 },
      failures: ['b # c'],
      bailOut: undefined,
    });
  });

  it('should count cancelled tests as failed', () => {
    const summary = parseTapSummary(
      'TAP version 13\n# tests 3\n# pass 1\n# fail 1\n# cancelled 1\n# skipped 0\n',
    );
    expect(summary.counts).toEqual({ passed: 1, failed: 2, skipped: 0, total: 3 });
  });

  it('should report a bail out', () => {
    expect(parseTapSummary('TAP version 13\nok 1 - a\nBail out! database down\n').bailOut).toBe(
      'database down',
    );
  });

  it('should return null counts for output that is not TAP', () => {
    expect(parseTapSummary('▶ adds\n  ✔ works (1ms)\nℹ tests 1\n')).toEqual({
      counts: null,
      failures: [],
      bailOut: undefined,
    });
  });
});
