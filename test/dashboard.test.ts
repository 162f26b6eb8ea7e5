import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  adminToken,
  hasChromium,
  launchChromium,
  signIn,
  tokenFor,
  watchConsole,
} from './support/browser.js';
import {
  CutoverEnv,
  errorRateTemplate,
  freePorts,
  type LoadGenerator,
  rolloutDoc,
  sampleTemplate,
  specYaml,
  startLoad,
  waitUntil,
} from './support/cutover-env.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** `UPDATE_SCREENSHOT=1 npx vitest run test/dashboard.test.ts` refreshes the README's screenshot. */
const SCREENSHOT = process.env.UPDATE_SCREENSHOT
  ? join(REPO_ROOT, 'docs', 'dashboard-rollout.png')
  : join(mkdtempSync(join(tmpdir(), 'cutover-shot-')), 'dashboard-rollout.png');

/**
 * The web dashboard in real Chromium against a running server with live canaries of real
 * processes: live weights, promote as a deployer, no promote for a viewer, a failed analysis with
 * its failing metric and value.
 */
// Skipped only on a developer's machine without Chromium; CI (.ci/run) installs it and must run this.
describe.skipIf(!hasChromium() && !process.env.CI)('Dashboard', () => {
  const env = CutoverEnv.create('cutover-dashboard-');
  let browser: Browser;
  let ports: number[] = [];
  let base = '';
  let deployer: string | undefined;
  let viewer: string | undefined;
  const loads: LoadGenerator[] = [];
  const contexts: BrowserContext[] = [];
  let consoleErrors: string[] = [];

  const canary = (version: string) =>
    specYaml(
      rolloutDoc('web', {
        replicas: 1,
        port: ports[0]!,
        template: sampleTemplate(env, version, { LATENCY_MS: '3' }),
        strategy: {
          canary: {
            scaleDownDelaySeconds: 1,
            analysis: { templates: [{ templateName: 'error-rate' }] },
            steps: [
              { setWeight: 20 },
              { pause: {} },
              { setWeight: 50 },
              { pause: {} },
              { setWeight: 80 },
              { pause: {} },
            ],
          },
        },
      }),
      errorRateTemplate('error-rate', '5s'),
    );
  const faulty = (version: string, faultRate: number) =>
    specYaml(
      rolloutDoc('faulty', {
        replicas: 1,
        port: ports[1]!,
        template: sampleTemplate(env, version, faultRate > 0 ? { FAULT_RATE: String(faultRate) } : {}),
        strategy: {
          canary: {
            abortScaleDownDelaySeconds: 1,
            steps: [{ setWeight: 50 }, { analysis: { templates: [{ templateName: 'faulty-error-rate' }] } }],
          },
        },
      }),
      errorRateTemplate('faulty-error-rate', '4s'),
    );

  /** A new page signed in with `token`, its console errors collected for the afterEach check. */
  async function openAs(token: string | undefined, path = ''): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    contexts.push(context);
    const page = await context.newPage();
    consoleErrors = watchConsole(page);
    await signIn(page, `${base}/ui/${path}`, token);
    return page;
  }

  /** `POST /api/v1/rollouts/:name/:command` as the admin (another actor than the page's user). */
  async function command(name: string, verb: string): Promise<void> {
    const admin = adminToken(env);
    const res = await request(`${base}/api/v1/rollouts/${name}/${verb}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(admin ? { authorization: `Bearer ${admin}` } : {}) },
      body: '{}',
    });
    const text = await res.body.text();
    expect(res.statusCode, text).toBe(200);
  }

  const canaryWeight = (page: Page) => page.locator('[data-weight="canary"]');
  const currentStep = (page: Page) => page.locator('.steps [aria-current="step"]');

  beforeAll(async () => {
    ports = await freePorts(2);
    const [launched] = await Promise.all([
      launchChromium(),
      (async () => {
        await env.applyOk(canary('v1'), 'web.yaml');
        await env.applyOk(faulty('v1', 0), 'faulty.yaml');
        await env.waitForRollout('web', (r) => r.status.phase === 'Healthy', { what: 'web Healthy on v1' });
        await env.waitForRollout('faulty', (r) => r.status.phase === 'Healthy', {
          what: 'faulty Healthy on v1',
        });
      })(),
    ]);
    browser = launched;
    base = `http://127.0.0.1:${env.apiPort()}`;
    [deployer, viewer] = await Promise.all([
      tokenFor(env, 'dora', 'deployer'),
      tokenFor(env, 'vic', 'viewer'),
    ]);
    loads.push(
      startLoad(ports[0]!, { concurrency: 2, pauseMs: 20 }),
      startLoad(ports[1]!, { concurrency: 2, pauseMs: 10 }),
    );
    // The faulty canary starts now; its analysis fails while the other tests run.
    await env.applyOk(faulty('v2', 0.6), 'faulty.yaml');
  });

  afterEach(() => {
    expect(consoleErrors, 'errors in the browser console').toEqual([]);
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await Promise.all(loads.map((l) => l.stop()));
    await env.cleanup();
  });

  it('should serve the built dashboard at /ui/ without a token, and nothing outside it', async () => {
    const get = async (path: string) => {
      const res = await request(`${base}${path}`);
      return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
    };
    const redirect = await get('/ui');
    expect(redirect.status).toBe(302);
    expect(redirect.headers.location).toBe('/ui/');
    const index = await get('/ui/');
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toMatch(/^text\/html/);
    expect(index.headers['cache-control']).toBe('no-cache');
    const script = /src="(\/ui\/assets\/[^"]+\.js)"/.exec(index.body)?.[1];
    expect(script).toBeDefined();
    const asset = await get(script!);
    expect(asset.status).toBe(200);
    expect(asset.headers['cache-control']).toContain('immutable');
    // An encoded slash survives URL normalisation and reaches the handler, which must stay inside dist/ui.
    expect((await get('/ui/..%2f..%2fpackage.json')).status).toBe(404);
    expect((await get('/ui/assets/missing.js')).status).toBe(404);
    // The API behind it still wants a token.
    expect((await get('/api/v1/rollouts')).status).toBe(401);
  });

  it('should show the canary weight change live, without a reload', async () => {
    const page = await openAs(deployer, '#/rollouts/web');
    await expect.poll(() => canaryWeight(page).textContent(), { timeout: 10_000 }).toBe('0%');
    // Updates arrive over the event stream (not polling); a marker shows the page is never reloaded.
    await expect.poll(() => page.locator('header.top .live').textContent(), { timeout: 10_000 }).toBe('live');
    await page.evaluate('window.__notReloaded = true');

    await env.applyOk(canary('v2'), 'web.yaml');
    await expect.poll(() => canaryWeight(page).textContent(), { timeout: 20_000 }).toBe('20%');
    await expect.poll(() => currentStep(page).textContent(), { timeout: 10_000 }).toMatch(/Pause/);

    await command('web', 'promote'); // someone else promotes
    await expect.poll(() => canaryWeight(page).textContent(), { timeout: 15_000 }).toBe('50%');
    expect(await page.locator('[data-weight="stable"]').textContent()).toBe('50%');
    expect(await page.evaluate('window.__notReloaded')).toBe(true);

    // Charts of both revisions and the background analysis fill in; then the README's screenshot.
    await waitUntil(
      async () => (await page.locator('.metric[data-metric="error-rate"] .chart').count()) > 0,
      {
        timeoutMs: 15_000,
        what: 'a measurement chart',
      },
    );
    // A longer stretch of traffic makes a better picture for the README.
    await page.waitForTimeout(process.env.UPDATE_SCREENSHOT ? 15_000 : 1000);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  it('should advance the step when a deployer clicks promote and confirms', async () => {
    await env.waitForRollout('web', (r) => r.status.currentStepIndex === 3, { what: 'paused at step 3' });
    const page = await openAs(deployer, '#/rollouts/web');
    await expect.poll(() => currentStep(page).textContent(), { timeout: 10_000 }).toMatch(/Pause/);
    expect(await page.locator('.rollout-head').textContent()).toContain('step 3/6');

    const promote = page.getByRole('button', { name: 'Promote', exact: true });
    await promote.focus();
    await page.keyboard.press('Enter'); // reachable by keyboard
    const dialog = page.getByRole('dialog');
    await expect.poll(() => dialog.isVisible()).toBe(true);
    // Escape cancels: nothing happens.
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.count()).toBe(0);
    expect((await env.rolloutFromApi('web')).status.currentStepIndex).toBe(3);

    await promote.click();
    await dialog.getByRole('button', { name: 'Promote' }).click();
    await expect.poll(() => canaryWeight(page).textContent(), { timeout: 15_000 }).toBe('80%');
    await expect
      .poll(() => page.locator('.rollout-head').textContent(), { timeout: 10_000 })
      .toContain('step 5/6');
    const r = await env.rolloutFromApi('web');
    expect(r.status.currentStepIndex).toBe(5);
    // The event log names the person who clicked.
    const history = await env.history('web');
    expect(history.events.some((e) => e.actor === 'user:dora')).toBe(true);
  });

  it('should not show the promote button to a viewer', async () => {
    const page = await openAs(viewer, '#/rollouts/web');
    await expect.poll(() => page.locator('header.top .who').getAttribute('data-role')).toBe('viewer');
    await expect.poll(() => canaryWeight(page).textContent(), { timeout: 10_000 }).toMatch(/%$/);
    expect(await page.getByRole('button', { name: /promote/i }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /abort|retry|undo/i }).count()).toBe(0);
  });

  it('should show a failed analysis with the failing metric and its value', async () => {
    const page = await openAs(deployer, '#/rollouts/faulty');
    const failing = page.locator('.metric.failing[data-metric="error-rate"]');
    await failing.waitFor({ timeout: 40_000 });
    const text = (await failing.locator('.failure').textContent()) ?? '';
    expect(text).toContain('Failing metric error-rate');
    const value = Number(await failing.locator('[data-failing-value]').textContent());
    expect(value).toBeGreaterThanOrEqual(0.05);
    expect(await failing.textContent()).toContain('result < 0.05');
    await expect
      .poll(() => page.locator('.rollout-head .phase').textContent(), { timeout: 20_000 })
      .toBe('Degraded');

    // The list's "requires attention" filter keeps the Degraded rollout and drops the one paused at a step.
    await page.getByRole('link', { name: 'Rollouts' }).click();
    await page.locator('tr[data-rollout="web"]').waitFor();
    await page.getByLabel('Requires attention only').check();
    await expect.poll(() => page.locator('tr[data-rollout]').count()).toBe(1);
    expect(await page.locator('tr[data-rollout]').getAttribute('data-rollout')).toBe('faulty');
  });
});
