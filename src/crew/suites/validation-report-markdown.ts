import type { ValidationReport } from './run-suites.js';

/** Failed test names listed per suite before "and N more". */
const MAX_LISTED_FAILURES = 20;

/** A table cell: pipes escaped and line breaks flattened (GitHub Flavored Markdown tables). */
function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** Seconds with one decimal, from ms. */
function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/**
 * Renders a {@link ValidationReport} as Markdown: a verdict line, a table with one row per suite
 * (result, passed / failed / skipped / total tests, exit code, duration) and, under it, the failed
 * tests of each suite and how each suite that did not pass ended. Pure.
 *
 * Counts are `-` for a suite that printed no TAP.
 *
 * @example
 * ```md
 * **Validation failed** (1 of 2 suites passed, 3.2 s)
 *
 * | Suite | Result | Passed | Failed | Skipped | Total | Exit code | Duration |
 * | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |
 * | unit | Passed | 12 | 0 | 1 | 13 | 0 | 1.1 s |
 * ```
 */
export function validationReportMarkdown(report: ValidationReport): string {
  const passedCount = report.suites.filter((suite) => suite.result === 'Passed').length;
  const lines = [
    `**Validation ${report.passed ? 'passed' : 'failed'}** (${passedCount} of ${report.suites.length} suites passed, ${seconds(report.finishedAt - report.startedAt)})`,
    '',
    '| Suite | Result | Passed | Failed | Skipped | Total | Exit code | Duration |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const suite of report.suites) {
    const t = suite.tests;
    const counts = t === null ? ['-', '-', '-', '-'] : [t.passed, t.failed, t.skipped, t.total].map(String);
    lines.push(
      `| ${[cell(suite.name), suite.result, ...counts, suite.exitCode === null ? '-' : String(suite.exitCode), seconds(suite.durationMs)].join(' | ')} |`,
    );
  }
  for (const suite of report.suites) {
    if (suite.result === 'Passed') continue;
    lines.push('', `**${cell(suite.name)}**: ${suite.result}, ${suite.detail}`);
    for (const name of suite.failures.slice(0, MAX_LISTED_FAILURES)) lines.push(`- ${cell(name)}`);
    if (suite.failures.length > MAX_LISTED_FAILURES) {
      lines.push(`- and ${suite.failures.length - MAX_LISTED_FAILURES} more`);
    }
  }
  return `${lines.join('\n')}\n`;
}
