import { mkdirSync } from 'node:fs';

import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './support/chromium.js';
import {
  type HostedServer,
  STORE_ENGINES,
  startHostedServer,
  startHostedServerOn,
} from './support/hosted-server.js';
import { TestOAuthClient } from './support/oauth-flow.js';
import { APP_REDIRECT, authorizationRequest, registerClient } from './support/sign-in.js';
import { type SimulatorProcess, spawnSimulator } from './support/simulator-process.js';

const KEY = 'rw-browser-key-77aa88bb';
const ARTIFACTS = join(process.cwd(), 'test-artifacts');
let sim: SimulatorProcess;
let server: HostedServer;
let browser: Browser;

beforeAll(async () => {
  sim = await spawnSimulator({ keys: [KEY] });
  browser = await launchChromium();
  mkdirSync(ARTIFACTS, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
  await sim?.stop();
});

/** Starts an SDK client's OAuth flow and returns the authorization URL a person would open. */
async function authorizationUrl(oauth: TestOAuthClient): Promise<string> {
  const transport = new StreamableHTTPClientTransport(new URL(server.mcpUrl), { authProvider: oauth });
  await expect(new Client({ name: 'browser-test', version: '1' }).connect(transport)).rejects.toThrow();
  return oauth.authorizationUrl!.toString();
}

describe.each(STORE_ENGINES)('the API-key page in a real browser (%s store)', (engine) => {
  beforeAll(async () => {
    server = await startHostedServerOn(engine, { apiUrl: sim.apiUrl });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('shows an error for a wrong key, then redirects to the client with a code for the right one', async () => {
    const oauth = new TestOAuthClient('http://localhost:51999/callback');
    const context = await browser.newContext();
    const page = await context.newPage();
    let callback: URL | undefined;
    // The client's loopback callback is not listening in this test: capture the navigation instead.
    await page.route('http://localhost:51999/**', async (route) => {
      callback = new URL(route.request().url());
      await route.fulfill({
        status: 200,
        contentType: 'text/html',
        body: '<p>You can close this window.</p>',
      });
    });
    await page.goto(await authorizationUrl(oauth));
    await expect(page.getByRole('heading', { name: /Connect Runware/ }).isVisible()).resolves.toBe(true);
    const input = page.getByLabel('Runware API key');
    await input.fill('rw-this-key-is-wrong-00');
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.waitForLoadState();
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/Runware rejected this API key/);
    await page.screenshot({ path: join(ARTIFACTS, 'api-key-page-error.png') });
    await page.getByLabel('Runware API key').fill(KEY);
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.waitForURL('http://localhost:51999/**');
    expect(callback?.searchParams.get('code')).toBeTruthy();
    expect(callback?.searchParams.get('iss')).toBe(server.url);
    await context.close();
  });

  it('renders an accessible page: labelled field, password input, no framing', async () => {
    const oauth = new TestOAuthClient('http://localhost:51998/callback');
    const page = await browser.newPage();
    const response = await page.goto(await authorizationUrl(oauth));
    await page.screenshot({ path: join(ARTIFACTS, 'api-key-page.png'), fullPage: true });
    expect(await page.getByLabel('Runware API key').getAttribute('type')).toBe('password');
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    const headers = await response!.allHeaders();
    expect(headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
    expect(headers['x-frame-options']).toBe('DENY');
    // The key field has focus on load, so a keyboard user can paste at once.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('apiKey');
    await expect(page.getByText('SDK test client').isVisible()).resolves.toBe(true);
    await page.close();
  });
});

/**
 * What a person sees on a phone: every page the server renders, at 320 px wide. Each must be styled (its
 * stylesheet passed the CSP: the page background is the card's dark theme, not the browser's white), fit the
 * width (no horizontal scrolling, the card inside the viewport), and, for the form, be usable there.
 */
describe('every page at 320 px', () => {
  const WIDTH = 320;
  let pages: HostedServer;
  beforeAll(async () => {
    // --authorize-limit 3 so the rate-limit page can be reached in a few requests.
    pages = await startHostedServer({ apiUrl: sim.apiUrl, args: ['--authorize-limit', '3'] });
  });
  afterAll(async () => {
    await pages?.stop();
  });

  async function expectStyledAndFitting(page: Page, name: string) {
    await page.screenshot({ path: join(ARTIFACTS, `page-320-${name}.png`), fullPage: true });
    const layout = await page.evaluate(() => {
      const main = document.querySelector('main')?.getBoundingClientRect();
      return {
        background: getComputedStyle(document.body).backgroundColor,
        scrollWidth: document.documentElement.scrollWidth,
        main: main ? { left: main.left, right: main.right } : undefined,
      };
    });
    expect(layout.background, `${name}: styled`).toBe('rgb(13, 15, 20)');
    expect(layout.scrollWidth, `${name}: no horizontal scroll`).toBeLessThanOrEqual(WIDTH);
    expect(layout.main, `${name}: has its card`).toBeDefined();
    expect(layout.main!.left, name).toBeGreaterThanOrEqual(0);
    expect(layout.main!.right, name).toBeLessThanOrEqual(WIDTH);
  }

  it('the API-key page, with an error, with a long name and the connected key, fits and works', async () => {
    const { client_id } = await registerClient(pages.url, {
      client_name: `An-app-whose-name-has-no-spaces-at-all-${'x'.repeat(60)}`,
    });
    const context = await browser.newContext({ viewport: { width: WIDTH, height: 640 } });
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    await page.route(`${new URL(APP_REDIRECT).origin}/**`, (route) =>
      route.fulfill({ status: 200, contentType: 'text/html', body: '<p>done</p>' }),
    );
    await page.goto(authorizationRequest(pages.url, client_id).url.toString());
    await expectStyledAndFitting(page, 'api-key');
    const button = await page.getByRole('button', { name: 'Connect' }).boundingBox();
    expect(button!.x).toBeGreaterThanOrEqual(0);
    expect(button!.x + button!.width).toBeLessThanOrEqual(WIDTH);
    // Usable at this width: a wrong key shows its error, the right one connects.
    await page.getByLabel('Runware API key').fill('rw-this-key-is-wrong-00');
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.waitForLoadState();
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/Runware rejected this API key/);
    await expectStyledAndFitting(page, 'api-key-error');
    await page.getByLabel('Runware API key').fill(KEY);
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.waitForURL(`${new URL(APP_REDIRECT).origin}/**`);
    // Signed in: asked again (prompt=consent), the page names the key this browser holds.
    await page.goto(authorizationRequest(pages.url, client_id, { prompt: 'consent' }).url.toString());
    await expect(page.getByText(`…${KEY.slice(-4)}`).isVisible()).resolves.toBe(true);
    await expectStyledAndFitting(page, 'api-key-connected');
    expect(violations).toEqual([]);
    await context.close();
  });

  it('"sign-in expired", OAuth errors, rate limit and not found are styled and fit', async () => {
    const context = await browser.newContext({ viewport: { width: WIDTH, height: 640 } });
    const page = await context.newPage();
    const shown: Array<[string, string, number, RegExp]> = [
      ['expired', `${pages.url}/interaction/expired-or-forged`, 400, /Sign-in expired/],
      ['oauth-error', `${pages.url}/authorize?response_type=code&client_id=nobody`, 400, /invalid_client/],
      ['not-found', `${pages.url}/no-such-page`, 404, /Page not found/],
    ];
    for (const [name, url, status, text] of shown) {
      const response = await page.goto(url);
      expect(response!.status(), name).toBe(status);
      await expect(page.locator('main').textContent(), name).resolves.toMatch(text);
      await expectStyledAndFitting(page, name);
    }
    const { client_id } = await registerClient(pages.url);
    let limited: number | undefined;
    for (let i = 0; i < 5 && limited !== 429; i++) {
      limited = (await page.goto(authorizationRequest(pages.url, client_id).url.toString()))!.status();
    }
    expect(limited).toBe(429);
    await expect(page.locator('main').textContent()).resolves.toMatch(/Too many sign-in attempts/);
    await expectStyledAndFitting(page, 'rate-limited');
    await context.close();
  });
});
