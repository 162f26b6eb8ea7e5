/**
 * Browser-test support: Debian's Chromium (`/usr/bin/chromium`, package `chromium`) driven by
 * playwright-core, a watcher of the page's console errors, API tokens for a role, and signing in on
 * the dashboard's token screen.
 */
import { existsSync, readFileSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { request } from 'undici';
import type { CutoverEnv } from './cutover-env.js';

/** Debian's Chromium; `CHROMIUM_PATH` overrides. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Whether a Chromium to test with is installed. */
export function hasChromium(): boolean {
  return existsSync(CHROMIUM);
}

/**
 * Starts headless Chromium with a fresh temporary profile (Playwright's default for `launch`), no
 * sandbox (tests may run as root), and nothing that calls home.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Collects every console error and uncaught exception of `page`. */
export function watchConsole(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()} (${msg.location().url})`);
  });
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  return errors;
}

const TOKEN_PATTERN = /cut_[0-9a-f]{16}_[A-Za-z0-9_-]{43}/;

/** The bootstrap admin token the server wrote to `$CUTOVER_HOME/token`, if any. */
export function adminToken(env: CutoverEnv): string | undefined {
  const file = env.path('token');
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}

/**
 * A new token of `user` with `role`: `cutover token create --user U --role R`, else
 * `POST /api/v1/tokens` with the bootstrap admin token. Undefined when the server has no
 * authentication at all (then every caller may do everything).
 */
export async function tokenFor(env: CutoverEnv, user: string, role: string): Promise<string | undefined> {
  const cli = await env.cli(['token', 'create', '--user', user, '--role', role]);
  const printed = TOKEN_PATTERN.exec(cli.stdout)?.[0];
  if (cli.code === 0 && printed) return printed;
  const admin = adminToken(env);
  if (admin === undefined) return undefined;
  const res = await request(`http://127.0.0.1:${env.apiPort()}/api/v1/tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({ user, role }),
  });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`POST /api/v1/tokens: HTTP ${res.statusCode} ${text}`);
  return (JSON.parse(text) as { token: string }).token;
}

/**
 * Opens the dashboard at `url` and, when `token` is given, enters it on the token screen; resolves
 * once the header shows the signed-in role.
 */
export async function signIn(page: Page, url: string, token: string | undefined): Promise<void> {
  await page.goto(url);
  if (token !== undefined) {
    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }
  await page.locator('header.top .who').waitFor({ timeout: 10_000 });
}
