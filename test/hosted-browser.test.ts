import { mkdirSync } from 'node:fs';

import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostedServer, STORE_ENGINES, startHostedServerOn } from './support/hosted-server.js';
import { TestOAuthClient } from './support/oauth-flow.js';
import { type SimulatorProcess, spawnSimulator } from './support/simulator-process.js';

const KEY = 'rw-browser-key-77aa88bb';
const ARTIFACTS = join(process.cwd(), 'test-artifacts');
let sim: SimulatorProcess;
let server: HostedServer;
let browser: Browser;

beforeAll(async () => {
  sim = await spawnSimulator({ keys: [KEY] });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
  });
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
