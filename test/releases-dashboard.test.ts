import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentRecord, IncidentRecord } from '../src/records/types.js';
import { openSqliteStore } from '../src/store/index.js';
import { hasChromium, launchChromium, signIn, tokenFor, watchConsole } from './support/browser.js';
import { CutoverEnv, freePorts, sampleTemplate, specYaml, waitUntil } from './support/cutover-env.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/**
 * The history seeded into the store before the server starts: seven deployments to production
 * (six in the last 10 days, one 45 days ago), two of the recent ones rolled back, each rollback
 * with a resolved incident. Lead times of the recent ones: 1, 2, 3, 4, 5 and 6 h (the 4 h one from
 * its earliest commit, not from the release's creation).
 */
const SEED = [
  { release: 'seed-1', service: 'shop', daysAgo: 1, leadHours: 1, status: 'SUCCESS' },
  { release: 'seed-2', service: 'shop', daysAgo: 2, leadHours: 2, status: 'ROLLBACK', restoreMinutes: 10 },
  { release: 'seed-3', service: 'cart', daysAgo: 3, leadHours: 3, status: 'SUCCESS' },
  { release: 'seed-4', service: 'shop', daysAgo: 5, leadHours: 4, status: 'SUCCESS', committed: true },
  { release: 'seed-5', service: 'cart', daysAgo: 7, leadHours: 5, status: 'ROLLBACK', restoreMinutes: 30 },
  { release: 'seed-6', service: 'shop', daysAgo: 9.5, leadHours: 6, status: 'SUCCESS' },
  { release: 'seed-old', service: 'shop', daysAgo: 45, leadHours: 100, status: 'SUCCESS' },
] as const;

/** The four DORA keys of the last 30 days of {@link SEED}, by hand. */
const LAST_30_DAYS = {
  /** 6 deployments in 30 days. */
  deploymentsPerDay: 6 / 30,
  deployments: 6,
  /** Median of 1, 2, 3, 4, 5, 6 h = 3.5 h, s. */
  leadTimeSeconds: 12_600,
  /** 2 rollbacks of 6. */
  changeFailureRate: 2 / 6,
  /** Median of 10 and 30 min = 20 min, s. */
  timeToRestoreSeconds: 1200,
};

/** Writes the {@link SEED} records and incidents and the `production` Environment to the store. */
async function seedHistory(env: CutoverEnv, now: number): Promise<void> {
  const store = await openSqliteStore(env.path('cutover.db'));
  try {
    await store.apply(
      {
        rollouts: [],
        templates: [],
        environments: [
          {
            apiVersion: 'cutover.dev/v1alpha1',
            kind: 'Environment',
            metadata: { name: 'production' },
            spec: { order: 1 },
          },
        ],
      },
      'user:seed',
      now,
    );
    for (const s of SEED) {
      const deployStartedAt = now - s.daysAgo * DAY_MS;
      const leadStart = deployStartedAt - s.leadHours * HOUR_MS;
      const committed = 'committed' in s;
      const incidents: string[] = [];
      if ('restoreMinutes' in s) {
        const detectedAt = deployStartedAt + 20 * 60_000;
        const incident: IncidentRecord = {
          name: `${s.release}-incident-1`,
          release: s.release,
          environment: 'production',
          services: [s.service],
          rollbackType: 'traffic',
          reason: 'error rate 0.21 > 0.05 for 120 s',
          trigger: 'errorRate',
          triggerValues: { errorRate: 0.21 },
          actor: 'agent:monitor',
          rolledBackTo: `${s.service} revision 1`,
          detectedAt,
          resolvedAt: detectedAt + s.restoreMinutes * 60_000,
          status: 'ROLLED_BACK',
          timeline: [],
          escalated: false,
        };
        await store.saveIncident(incident);
        incidents.push(incident.name);
      }
      const record: DeploymentRecord = {
        release: s.release,
        version: `1.0.${s.leadHours}`,
        type: 'standard',
        services: [s.service],
        environment: 'production',
        team: 'web',
        summary: `${s.release} of ${s.service}`,
        // With a commit time, lead time starts there, not at the (later) creation of the release.
        changes: committed
          ? [{ id: 'c1', description: 'a change', committedAt: leadStart }]
          : [{ description: 'a change' }],
        createdAt: committed ? deployStartedAt - HOUR_MS / 2 : leadStart,
        deployStartedAt,
        finishedAt: deployStartedAt + HOUR_MS,
        timeline: [],
        issues: [],
        metrics: {},
        status: s.status,
        incidents,
      };
      await store.saveDeploymentRecord(record);
    }
  } finally {
    await store.close();
  }
}

/** The rows of the table captioned `caption` in `scope`, each as {column header: cell text}. */
async function tableRows(scope: Locator, caption: string): Promise<Record<string, string>[]> {
  const table = scope.getByRole('table', { name: caption });
  await table.waitFor({ timeout: 10_000 });
  const head = (await table.locator('thead th').allTextContents()).map((h) => h.trim());
  const rows: Record<string, string>[] = [];
  for (const row of await table.locator('tbody tr').all()) {
    const cells = await row.locator('td').allTextContents();
    rows.push(Object.fromEntries(cells.map((text, i) => [head[i] ?? String(i), text.trim()])));
  }
  return rows;
}

/**
 * The release and analytics pages of the dashboard in real Chromium against a real server: the
 * four DORA keys of a seeded history, a manager approving a release waiting for approval, and the
 * crew's reports (VALIDATE's suites, STAGING's Rollouts, ROLLBACK's timeline) as people read them.
 */
describe.skipIf(!hasChromium() && !process.env.CI)('Releases dashboard', () => {
  const env = CutoverEnv.create('cutover-releases-ui-');
  let browser: Browser;
  let base = '';
  let admin = '';
  let deployer = '';
  let manager = '';
  let viewer = '';
  const contexts: BrowserContext[] = [];
  let consoleErrors: string[] = [];
  /** The team's checkout with the VALIDATE suite, outside the data directory (no job may see that). */
  const suites = mkdtempSync(join(tmpdir(), 'cutover-releases-ui-suites-'));

  /** A new page signed in with `token`, its console errors collected for the afterEach check. */
  async function openAs(token: string, path: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    consoleErrors = watchConsole(page);
    await signIn(page, `${base}/ui/${path}`, token);
    return page;
  }

  async function call<T>(method: 'GET' | 'POST', path: string, token: string, body?: unknown): Promise<T> {
    const res = await request(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
    const text = await res.body.text();
    if (res.statusCode >= 300) throw new Error(`${method} ${path}: HTTP ${res.statusCode} ${text}`);
    return JSON.parse(text) as T;
  }

  interface ReleaseJson {
    name: string;
    stage: string;
    status: string;
    createdBy: string;
    approvals: { actor: string; qualifier: string; comment: string }[];
  }

  /**
   * A release of one tiny Rollout straight to `production` (no pre-production, no tests) created by
   * the deployer, carried through PREPARE by the crew's PreDeploymentValidator (only it may report
   * that stage), until it waits for approval.
   */
  async function releaseWaitingApproval(name: string): Promise<ReleaseJson> {
    const [port] = await freePorts(1);
    const text = specYaml({
      apiVersion: 'cutover.dev/v1alpha1',
      kind: 'Release',
      metadata: { name },
      spec: {
        version: '2.0.0',
        team: 'web',
        environments: ['production'],
        rollouts: [
          {
            name: 'shop',
            spec: { replicas: 1, port, template: sampleTemplate(env, 'v2'), strategy: { recreate: {} } },
          },
        ],
      },
    });
    const file = env.write(`${name}.yaml`, text);
    await call('POST', '/api/v1/releases', deployer, { file, text });
    const path = `/api/v1/releases/${name}`;
    let last: ReleaseJson | undefined;
    return waitUntil(
      async () => {
        last = await call<ReleaseJson>('GET', path, admin);
        if (last.status === 'WAITING_APPROVAL') return last;
        return undefined;
      },
      { timeoutMs: 30_000, what: `release ${name} WAITING_APPROVAL`, describe: () => JSON.stringify(last) },
    );
  }

  beforeAll(async () => {
    await seedHistory(env, Date.now());
    const [launched] = await Promise.all([launchChromium(), env.cliOk(['list', 'rollouts'])]);
    browser = launched;
    base = `http://127.0.0.1:${env.apiPort()}`;
    admin = env.apiToken();
    const created = await call<{ token: string }>('POST', '/api/v1/tokens', admin, {
      user: 'mia',
      role: 'approver',
      qualifier: 'manager',
    });
    manager = created.token;
    const [d, v] = await Promise.all([tokenFor(env, 'dee', 'deployer'), tokenFor(env, 'vic', 'viewer')]);
    deployer = d!;
    viewer = v!;
  });

  afterEach(() => {
    expect(consoleErrors, 'errors in the browser console').toEqual([]);
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await env.cleanup();
    rmSync(suites, { recursive: true, force: true });
  });

  it('should show the four DORA keys of the last 30 days, computed from the stored records', async () => {
    const page = await openAs(viewer, '#/analytics');
    const value = (testId: string) => page.getByTestId(testId).getAttribute('data-value');
    const frequency = page.getByTestId('dora-deployment-frequency');
    await frequency.waitFor({ timeout: 10_000 });
    expect(await page.getByLabel('Last 30 days').isChecked()).toBe(true);

    expect(Number(await value('dora-deployment-frequency'))).toBe(LAST_30_DAYS.deploymentsPerDay);
    expect(Number(await frequency.getAttribute('data-deployments'))).toBe(LAST_30_DAYS.deployments);
    expect(Number(await value('dora-lead-time'))).toBe(LAST_30_DAYS.leadTimeSeconds);
    expect(Number(await value('dora-change-failure-rate'))).toBe(LAST_30_DAYS.changeFailureRate);
    expect(Number(await value('dora-time-to-restore'))).toBe(LAST_30_DAYS.timeToRestoreSeconds);
    // Formatted for people.
    expect(await page.getByTestId('dora-lead-time').textContent()).toBe('3.5 h');
    expect(await page.getByTestId('dora-change-failure-rate').textContent()).toBe('33.3 %');
    expect(await page.getByTestId('dora-time-to-restore').textContent()).toBe('20 min');
    expect(await page.getByRole('img', { name: 'Deployments per day chart' }).count()).toBe(1);

    // 90 days take in the old deployment too.
    await page.getByLabel('Last 90 days').check();
    await expect.poll(() => frequency.getAttribute('data-deployments'), { timeout: 10_000 }).toBe('7');
    expect(Number(await value('dora-deployment-frequency'))).toBe(7 / 90);
  });

  it('should let a manager approve a release waiting for approval, with a comment', async () => {
    const before = await releaseWaitingApproval('shop-2-0');
    expect(before.createdBy).toBe('user:dee');

    const page = await openAs(manager, '#/releases');
    const row = page.locator('tr[data-release="shop-2-0"]');
    await row.waitFor({ timeout: 10_000 });
    expect(await row.locator('[data-status]').getAttribute('data-status')).toBe('WAITING_APPROVAL');
    await row.getByRole('link', { name: 'shop-2-0' }).click();

    const status = page.locator('.release-head [data-status]');
    await expect.poll(() => status.getAttribute('data-status'), { timeout: 10_000 }).toBe('WAITING_APPROVAL');
    // The stage progress marks APPROVE as the current step, PREPARE done with its checklist.
    expect(await page.locator('.release-steps [aria-current="step"]').getAttribute('data-stage')).toBe(
      'APPROVE',
    );
    expect(await page.locator('.release-steps [data-stage="PREPARE"]').getAttribute('data-result')).toBe(
      'Success',
    );
    // Every item of the PreDeploymentValidator's checklist, as the API holds it.
    const stored = await call<{ stageResults: { stage: string; report?: { checklist?: unknown[] } }[] }>(
      'GET',
      '/api/v1/releases/shop-2-0',
      admin,
    );
    const checklist = stored.stageResults.find((s) => s.stage === 'PREPARE')?.report?.checklist ?? [];
    expect(checklist.length).toBeGreaterThan(0);
    expect(await page.locator('[data-report="PREPARE"] .checklist li').count()).toBe(checklist.length);

    const approve = page.getByRole('button', { name: 'Approve', exact: true });
    expect(await approve.isVisible()).toBe(true);
    // The comment is required: nothing is asked or sent without one.
    await approve.click();
    expect(await page.getByRole('alert').textContent()).toContain('comment is required');
    expect(await page.getByRole('dialog').count()).toBe(0);

    await page.getByLabel('Comment (required)').fill('Release notes reviewed, go.');
    await approve.click();
    const dialog = page.getByRole('dialog');
    await expect.poll(() => dialog.isVisible()).toBe(true);
    await dialog.getByRole('button', { name: 'Approve' }).click();

    await expect
      .poll(() => status.getAttribute('data-status'), { timeout: 10_000 })
      .not.toBe('WAITING_APPROVAL');
    const approval = page.locator('tr[data-approval="user:mia"]');
    await approval.waitFor({ timeout: 10_000 });
    expect(await approval.textContent()).toContain('Release notes reviewed, go.');
    expect(await approval.textContent()).toContain('manager');
    expect(await approve.count()).toBe(0);

    const after = await call<ReleaseJson>('GET', '/api/v1/releases/shop-2-0', admin);
    expect(after.status).not.toBe('WAITING_APPROVAL');
    expect(after.approvals).toMatchObject([{ actor: 'user:mia', qualifier: 'manager' }]);
  });

  it("should record a manager's rejection with its comment", async () => {
    await releaseWaitingApproval('shop-2-2');
    const page = await openAs(manager, '#/releases/shop-2-2');
    const reject = page.getByRole('button', { name: 'Reject', exact: true });
    await reject.waitFor({ timeout: 10_000 });
    await page.getByLabel('Comment (required)').fill('Not during the sale.');
    await reject.click();
    await page.getByRole('dialog').getByRole('button', { name: 'Reject' }).click();

    const status = page.locator('.release-head [data-status]');
    await expect.poll(() => status.getAttribute('data-status'), { timeout: 10_000 }).toBe('REJECTED');
    const rejection = page.locator('tr[data-rejection="user:mia"]');
    await rejection.waitFor({ timeout: 10_000 });
    expect(await rejection.textContent()).toContain('Not during the sale.');
    expect(await reject.count()).toBe(0);
  });

  it("should show the API's error when the release changed before the approval arrived", async () => {
    await releaseWaitingApproval('shop-2-3');
    const page = await openAs(manager, '#/releases/shop-2-3');
    const approve = page.getByRole('button', { name: 'Approve', exact: true });
    await approve.waitFor({ timeout: 10_000 });
    // The deployer cancels the release while the manager's approval is on its way: the server refuses it.
    await page.route('**/api/v1/releases/shop-2-3/approve', async (route) => {
      await call('POST', '/api/v1/releases/shop-2-3/cancel', deployer, { reason: 'superseded' });
      await route.continue();
    });
    await page.getByLabel('Comment (required)').fill('Looks good.');
    await approve.click();
    await page.getByRole('dialog').getByRole('button', { name: 'Approve' }).click();

    const alert = page.locator('.release-page .error[role="alert"]');
    await alert.waitFor({ timeout: 10_000 });
    expect(await alert.textContent()).toMatch(/CUTOVER_E_[A-Z_]+/);
    await expect
      .poll(() => page.locator('.release-head [data-status]').getAttribute('data-status'), {
        timeout: 10_000,
      })
      .toBe('CANCELLED');
    expect((await call<ReleaseJson>('GET', '/api/v1/releases/shop-2-3', admin)).approvals).toEqual([]);
    // Chromium logs the refused request itself; that one is expected, nothing else.
    expect(consoleErrors).toEqual([
      expect.stringMatching(/status of 409 .*\/api\/v1\/releases\/shop-2-3\/approve\)$/),
    ]);
    consoleErrors.length = 0;
  });

  it('should not show Approve or Reject to a viewer', async () => {
    await releaseWaitingApproval('shop-2-1');
    const page = await openAs(viewer, '#/releases/shop-2-1');
    await expect
      .poll(() => page.locator('.release-head [data-status]').getAttribute('data-status'), {
        timeout: 10_000,
      })
      .toBe('WAITING_APPROVAL');
    await page.locator('.release-steps').waitFor();
    expect(await page.getByRole('button', { name: /approve|reject/i }).count()).toBe(0);
  });

  interface ReportedRelease {
    status: string;
    stageResults: { stage: string; environment: string; result: string; report?: Record<string, unknown> }[];
  }

  /** Polls the release until its status is one of `statuses`; a FAILED one throws with its results. */
  async function releaseIn(name: string, statuses: string[]): Promise<ReportedRelease> {
    let last: ReportedRelease | undefined;
    return waitUntil(
      async () => {
        last = await call<ReportedRelease>('GET', `/api/v1/releases/${name}`, admin);
        if (last.status === 'FAILED' && !statuses.includes('FAILED'))
          throw new Error(JSON.stringify(last.stageResults, null, 2));
        return statuses.includes(last.status) ? last : undefined;
      },
      {
        timeoutMs: 90_000,
        what: `release ${name} ${statuses.join(' or ')}`,
        describe: () => JSON.stringify(last),
      },
    );
  }

  /** A release of `cart` created by the deployer: one Rollout, recreate, smoke-tested on /healthz, MONITOR for 1 s. */
  async function createCart(
    name: string,
    version: string,
    ports: { staging: number; production: number },
    environments: string[],
  ): Promise<void> {
    const text = specYaml({
      apiVersion: 'cutover.dev/v1alpha1',
      kind: 'Release',
      metadata: { name },
      spec: {
        version,
        team: 'web',
        environments,
        rollouts: [
          {
            name: 'cart',
            spec: {
              replicas: 1,
              port: ports.production,
              template: sampleTemplate(env, version),
              strategy: { recreate: {} },
            },
            ...(environments.includes('staging')
              ? { environments: { staging: { port: ports.staging } } }
              : {}),
          },
        ],
        smokeTests: [{ name: 'healthz', http: { path: '/healthz', expectStatus: 200 } }],
        validation: {
          suites: [
            {
              name: 'unit',
              command: ['node', '--test', '--test-reporter=tap', 'suite.test.mjs'],
              cwd: suites,
            },
          ],
        },
        monitor: { checkpoints: ['1s'] },
      },
    });
    const file = env.write(`${name}.yaml`, text);
    await call('POST', '/api/v1/releases', deployer, { file, text });
  }

  it('should show VALIDATE, STAGING and ROLLBACK reports as tables and a timeline, not as JSON', async () => {
    writeFileSync(
      join(suites, 'suite.test.mjs'),
      "import test from 'node:test';\ntest('adds', () => { if (1 + 1 !== 2) throw new Error('math'); });\ntest.skip('later', () => {});\n",
    );
    await env.cliOk([
      'apply',
      '-f',
      env.write(
        'staging.yaml',
        specYaml({
          apiVersion: 'cutover.dev/v1alpha1',
          kind: 'Environment',
          metadata: { name: 'staging' },
          spec: { order: 0 },
        }),
      ),
    ]);
    const [staging, production] = await freePorts(2);
    const ports = { staging: staging!, production: production! };

    // cart-1: STAGING and VALIDATE in staging, then waits for approval.
    await createCart('cart-1', '1.0.0', ports, ['staging', 'production']);
    const waiting = await releaseIn('cart-1', ['WAITING_APPROVAL']);
    const reportOf = (r: ReportedRelease, stage: string) =>
      r.stageResults.find((s) => s.stage === stage)?.report;
    const validate = reportOf(waiting, 'VALIDATE') as {
      suites: { name: string; tests: { passed: number; failed: number; skipped: number; total: number } }[];
    };
    const deploy = (
      reportOf(waiting, 'STAGING') as { deploy: { rollouts: { name: string; revision: number }[] } }
    ).deploy;
    expect(validate.suites[0]?.tests).toEqual({ passed: 1, failed: 0, skipped: 1, total: 2 });

    const page = await openAs(viewer, '#/releases/cart-1');
    const validateReport = page.locator('[data-report="VALIDATE"]');
    const suiteRows = await tableRows(validateReport, 'Test suites');
    expect(suiteRows).toHaveLength(1);
    expect(suiteRows[0]).toMatchObject({ Suite: 'unit', Passed: '1', Failed: '0', Skipped: '1', Total: '2' });
    expect(suiteRows[0]?.['Result']).toContain('Passed');
    expect(suiteRows[0]?.['Duration']).toMatch(/^\d+(\.\d)? (ms|s)$/);

    const stagingReport = page.locator('[data-report="STAGING"]');
    const rolloutRows = await tableRows(stagingReport, 'Rollouts in staging');
    expect(rolloutRows).toEqual([
      expect.objectContaining({
        Rollout: 'cart-staging',
        Revision: String(deploy.rollouts[0]?.revision),
        Phase: 'Healthy',
      }),
    ]);
    expect(deploy.rollouts[0]?.name).toBe('cart-staging');
    const smokeRows = await tableRows(stagingReport, 'Smoke tests');
    expect(smokeRows).toEqual([expect.objectContaining({ Test: 'healthz' })]);
    expect(smokeRows[0]?.['Result']).toContain('Passed');
    // No stage of these shows its report as a JSON block.
    expect(await validateReport.locator('pre.json').count()).toBe(0);
    expect(await stagingReport.locator('pre').count()).toBe(0);

    // cart-1 ships; cart-2 (production only) ships too and is rolled back to cart-1's revision.
    await call('POST', '/api/v1/releases/cart-1/approve', manager, { comment: 'ship it' });
    await releaseIn('cart-1', ['SUCCESS']);
    await createCart('cart-2', '1.1.0', ports, ['production']);
    await releaseIn('cart-2', ['WAITING_APPROVAL']);
    await call('POST', '/api/v1/releases/cart-2/approve', manager, { comment: 'ship it' });
    await releaseIn('cart-2', ['SUCCESS']);
    await call('POST', '/api/v1/releases/cart-2/rollback', deployer, {
      type: 'traffic',
      reason: 'checkout slower',
    });
    const rolledBack = await releaseIn('cart-2', ['ROLLED_BACK']);
    const rollback = reportOf(rolledBack, 'ROLLBACK') as {
      rolledBackTo: string;
      timeline: { at: number; reason: string; message: string }[];
    };
    expect(rollback.timeline.length).toBeGreaterThan(0);

    await page.goto(`${base}/ui/#/releases/cart-2`);
    const rollbackReport = page.locator('[data-report="ROLLBACK"]');
    const timeline = rollbackReport.getByRole('list', { name: 'Rollback timeline' });
    await timeline.waitFor({ timeout: 10_000 });
    const entries = timeline.getByRole('listitem');
    expect(await entries.count()).toBe(rollback.timeline.length);
    // In order, each with its time, reason and message.
    expect(await entries.locator('strong').allTextContents()).toEqual(rollback.timeline.map((t) => t.reason));
    const times = await entries.locator('time').all();
    expect(await Promise.all(times.map((t) => t.getAttribute('datetime')))).toEqual(
      rollback.timeline.map((t) => new Date(t.at).toISOString()),
    );
    expect(await entries.first().textContent()).toContain(rollback.timeline[0]?.message);
    expect(await rollbackReport.locator('[data-fact="rolledBackTo"]').textContent()).toContain(
      rollback.rolledBackTo,
    );
    expect(await tableRows(rollbackReport, 'Smoke tests')).toEqual([
      expect.objectContaining({ Test: 'healthz' }),
    ]);
    expect(await rollbackReport.locator('pre').count()).toBe(0);
  }, 240_000);
});
