import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../clock/index.js';
import { runSuites } from './run-suites.js';
import type { SuiteSpec } from './suite-spec.js';
import { validationReportMarkdown } from './validation-report-markdown.js';

/** bwrap on $PATH, if installed (Debian package bubblewrap): the network test needs the real sandbox. */
const BWRAP = (process.env.PATH ?? '').split(delimiter).find((dir) => {
  try {
    accessSync(join(dir, 'bwrap'), constants.X_OK);
    return true;
  } catch {
    return false;
  }
});

const PASSING = `import { test } from 'node:test';
test('adds', () => {});
test('subtracts', () => {});
test('later', { skip: 'not yet' }, () => {});
`;

const FAILING = `import { describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
test('works', () => {});
describe('checkout', () => {
  it('charges the card', () => assert.equal(1, 2));
  it('sends a receipt', () => {});
});
`;

const NETWORK = `import { test } from 'node:test';
import { connect } from 'node:net';
test('reaches the listener', () => new Promise((resolve, reject) => {
  const socket = connect(Number(process.env.LISTENER_PORT), '127.0.0.1');
  socket.once('connect', () => { socket.destroy(); resolve(); });
  socket.once('error', reject);
}));
`;

const tap = (file: string): string[] => [process.execPath, '--test', '--test-reporter=tap', file];

describe('runSuites', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-suites-test-'));
  let listener: Server;
  let listenerPort = 0;

  beforeAll(async () => {
    writeFileSync(join(dir, 'passing.test.mjs'), PASSING);
    writeFileSync(join(dir, 'failing.test.mjs'), FAILING);
    writeFileSync(join(dir, 'network.test.mjs'), NETWORK);
    listener = createServer((socket) => socket.end());
    await new Promise<void>((ok) => listener.listen(0, '127.0.0.1', ok));
    const address = listener.address();
    listenerPort = typeof address === 'object' && address !== null ? address.port : 0;
  });

  afterAll(async () => {
    await new Promise<void>((ok) => listener.close(() => ok()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('should count passed, failed and skipped tests per suite and name the failed tests', async () => {
    const clock = new SimulatedClock(1_000);
    const report = await runSuites(
      [
        { name: 'unit', command: tap('passing.test.mjs'), cwd: dir },
        { name: 'checkout', command: tap('failing.test.mjs'), cwd: dir },
      ],
      { tmpDir: dir, clock },
    );
    expect(report.passed).toBe(false);
    expect(report.startedAt).toBe(1_000);
    const [unit, checkout] = report.suites;
    expect(unit).toMatchObject({
      name: 'unit',
      result: 'Passed',
      exitCode: 0,
      tests: { passed: 2, failed: 0, skipped: 1, total: 3 },
      failures: [],
    });
    expect(checkout).toMatchObject({
      name: 'checkout',
      result: 'Failed',
      exitCode: 1,
      tests: { passed: 2, failed: 1, skipped: 0, total: 3 },
      failures: ['checkout > charges the card'],
    });
    expect(checkout?.output).toContain('# fail 1');
    expect(checkout?.durationMs).toBeGreaterThan(0);

    const markdown = validationReportMarkdown(report);
    expect(markdown).toContain('**Validation failed** (1 of 2 suites passed');
    expect(markdown).toContain('| unit | Passed | 2 | 0 | 1 | 3 | 0 |');
    expect(markdown).toContain('| checkout | Failed | 2 | 1 | 0 | 3 | 1 |');
    expect(markdown).toContain('- checkout > charges the card');
  });

  it('should fail a suite that exits non-zero without TAP, and keep only the last 4 KiB of output', async () => {
    const script = `process.stdout.write('x'.repeat(10000) + 'END'); process.exit(3)`;
    const report = await runSuites([{ name: 'lint', command: [process.execPath, '-e', script] }], {
      tmpDir: dir,
    });
    expect(report.suites[0]).toMatchObject({ result: 'Failed', exitCode: 3, tests: null });
    expect(report.suites[0]?.output).toHaveLength(4096);
    expect(report.suites[0]?.output.endsWith('END')).toBe(true);
    expect(validationReportMarkdown(report)).toContain('| lint | Failed | - | - | - | - | 3 |');
  });

  it('should report a timeout as Error and kill the suite', async () => {
    const started = Date.now();
    const report = await runSuites(
      [
        {
          name: 'slow',
          command: [process.execPath, '-e', 'setTimeout(() => {}, 60000)'],
          timeoutSeconds: 0.5,
        },
      ],
      { tmpDir: dir },
    );
    expect(report.suites[0]).toMatchObject({ result: 'Error', exitCode: null });
    expect(report.suites[0]?.detail).toMatch(/^timed out after 0\.5 s and was killed/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('should report Error, not throw, for a suite that cannot run', async () => {
    const suites: SuiteSpec[] = [
      { name: 'missing', command: ['/nonexistent/program'] },
      { name: 'relative', command: ['true'], cwd: 'relative/dir' },
      { name: 'strict', command: ['true'], sandbox: 'required' },
    ];
    // prlimit: null, so the missing program is a spawn error rather than prlimit's exit code 127.
    const report = await runSuites(suites, { tmpDir: dir, bwrap: null, prlimit: null });
    expect(report.suites.map((suite) => suite.result)).toEqual(['Error', 'Error', 'Error']);
    expect(report.suites[0]?.detail).toMatch(/cannot start .*ENOENT/);
    expect(report.suites[1]?.detail).toMatch(/cwd: expected an absolute directory/);
    expect(report.suites[2]?.detail).toMatch(/sandbox: required, but bubblewrap is not installed/);
  });

  it.skipIf(BWRAP === undefined)(
    'should fail a suite that opens a socket without network: true, and pass it with network: true (needs bwrap)',
    async () => {
      const suite: SuiteSpec = {
        name: 'net',
        command: tap('network.test.mjs'),
        cwd: dir,
        env: { LISTENER_PORT: String(listenerPort) },
        sandbox: 'required',
      };
      const report = await runSuites([suite, { ...suite, name: 'net-allowed', network: true }], {
        tmpDir: dir,
      });
      expect(report.suites[0]).toMatchObject({
        result: 'Failed',
        tests: { passed: 0, failed: 1 },
        failures: ['reaches the listener'],
      });
      expect(report.suites[1]).toMatchObject({ result: 'Passed', tests: { passed: 1, failed: 0 } });
    },
  );
});
