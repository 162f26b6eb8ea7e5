/** Counts of one test suite's tests. */
export interface TestCounts {
  passed: number;
  /** Failed and cancelled tests. */
  failed: number;
  /** Skipped and todo tests. */
  skipped: number;
  total: number;
}

/** What {@link parseTapSummary} reads from a TAP stream. */
export interface TapSummary {
  /** The counts, or `null` when the text holds no TAP (no version line, plan or test point). */
  counts: TestCounts | null;
  /**
   * Names of the failed tests, leaves only (a `describe` that failed because a child failed is not
   * listed); a nested test is named `parent > child`. In the order they were reported.
   */
  failures: string[];
  /** The reason of a `Bail out!`, when the producer gave up. */
  bailOut: string | undefined;
}

const TEST_POINT = /^(\s*)(not ok|ok)\b\s*(\d+)?\s*(?:-\s*)?(.*)$/;
const SUBTEST = /^(\s*)# Subtest: (.*)$/;
const SUMMARY = /^# (tests|pass|fail|cancelled|skipped|todo) (\d+)\s*$/;
const DIRECTIVE = /(?<!\\)#\s*(SKIP|TODO)\b/i;

/** The description and directive of a test point's rest of line (`name # SKIP reason`). */
function splitDirective(rest: string): { name: string; directive: 'skip' | 'todo' | undefined } {
  const match = DIRECTIVE.exec(rest);
  const raw = match === null ? rest : rest.slice(0, match.index);
  const name = raw.trim().replace(/\\([\\#])/g, '$1');
  const directive = match === null ? undefined : match[1]?.toLowerCase() === 'skip' ? 'skip' : 'todo';
  return { name, directive };
}

/**
 * Reads the counts and the failed tests' names from TAP output (TAP 13/14, as `node --test
 * --test-reporter=tap`, tap, tape and pytest-tap print it). Pure; never throws.
 *
 * Counts come from the producer's trailing summary comments (`# pass N`, `# fail N`,
 * `# cancelled N`, `# skipped N`, `# todo N`, `# tests N`, as node:test writes them) when present,
 * otherwise from the top-level test points: `ok` passes, `not ok` fails, and a `# SKIP` or `# TODO`
 * directive makes either skipped (TAP 14: a todo failure is not a failure). YAML diagnostic blocks
 * (`---` ... `...`) are ignored, so an assertion message that looks like a test point does not count.
 *
 * @example
 * parseTapSummary('TAP version 13\nok 1 - a\nnot ok 2 - b\n1..2\n')
 * // { counts: { passed: 1, failed: 1, skipped: 0, total: 2 }, failures: ['b'], bailOut: undefined }
 */
export function parseTapSummary(text: string): TapSummary {
  let sawTap = false;
  let inYaml = false;
  let yamlIndent = 0;
  let bailOut: string | undefined;
  const summary = new Map<string, number>();
  const points = { passed: 0, failed: 0, skipped: 0 };
  const failures: string[] = [];
  // Names of the open subtests by indentation depth, and how many failures were seen below each.
  const names: string[] = [];
  const failuresBelow: number[] = [];

  for (const line of text.split(/\r?\n/)) {
    if (inYaml) {
      const indent = line.length - line.trimStart().length;
      if (line.trim() === '...' && indent <= yamlIndent) inYaml = false;
      continue;
    }
    if (/^\s*TAP version \d+/.test(line) || /^\s*1\.\.\d+/.test(line)) {
      sawTap = true;
      continue;
    }
    const bail = /^\s*Bail out!\s*(.*)$/.exec(line);
    if (bail !== null) {
      sawTap = true;
      bailOut = bail[1] ?? '';
      continue;
    }
    const subtest = SUBTEST.exec(line);
    if (subtest !== null) {
      const depth = Math.floor((subtest[1] ?? '').length / 4);
      names[depth] = (subtest[2] ?? '').trim();
      names.length = depth + 1;
      continue;
    }
    const summaryLine = SUMMARY.exec(line);
    if (summaryLine !== null) {
      summary.set(summaryLine[1] ?? '', Number(summaryLine[2]));
      continue;
    }
    const point = TEST_POINT.exec(line);
    if (point === null) {
      if (line.trim() === '---') {
        inYaml = true;
        yamlIndent = line.length - line.trimStart().length;
      }
      continue;
    }
    sawTap = true;
    const indent = (point[1] ?? '').length;
    const depth = Math.floor(indent / 4);
    const ok = point[2] === 'ok';
    const { name, directive } = splitDirective(point[4] ?? '');
    const childFailures = failuresBelow[depth] ?? 0;
    failuresBelow.length = depth;
    const failed = !ok && directive === undefined;
    if (failed) {
      // A parent fails because a child did: its children are already listed.
      if (childFailures === 0) failures.push([...names.slice(0, depth), name].join(' > '));
      for (let d = 0; d < depth; d++) failuresBelow[d] = (failuresBelow[d] ?? 0) + 1;
    }
    names.length = depth;
    if (depth === 0) {
      if (directive !== undefined) points.skipped++;
      else if (ok) points.passed++;
      else points.failed++;
    }
  }

  if (!sawTap && summary.size === 0) return { counts: null, failures, bailOut };
  if (summary.has('pass') || summary.has('fail')) {
    const passed = summary.get('pass') ?? 0;
    const failed = (summary.get('fail') ?? 0) + (summary.get('cancelled') ?? 0);
    const skipped = (summary.get('skipped') ?? 0) + (summary.get('todo') ?? 0);
    return {
      counts: { passed, failed, skipped, total: summary.get('tests') ?? passed + failed + skipped },
      failures,
      bailOut,
    };
  }
  return {
    counts: { ...points, total: points.passed + points.failed + points.skipped },
    failures,
    bailOut,
  };
}
