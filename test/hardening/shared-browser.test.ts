import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCsrfTokens } from '../../src/auth/csrf.js';
import { openStore } from '../../src/store/open-store.js';
import {
  callToolRaw,
  type HostedServer,
  STORE_ENGINES,
  startHostedServerOn,
} from '../support/hosted-server.js';
import { openKeyPage } from '../support/oauth-flow.js';
import { startRedis } from '../support/redis-server.js';
import { authorizationRequest, registerClient, signIn } from '../support/sign-in.js';
import { type SimulatorProcess, spawnSimulator } from '../support/simulator-process.js';

/**
 * Issue 14, one browser used by two people (a shared or borrowed machine): a second key gets its own grant and
 * session and never rewrites the first person's (2), the CSRF token of the key form is single-use even under
 * concurrent posts (3), and prompt=consent/login always shows the page, naming the key connected now (12).
 * Both store engines; the servers trust one proxy so each test speaks from its own client address.
 */

const KEY_A = 'rw-person-a-key-11112222';
const KEY_B = 'rw-person-b-key-33334444';
const BALANCE_A = 111;
const BALANCE_B = 222;
const refused = new Set<string>();

let sim: SimulatorProcess;
beforeAll(async () => {
  sim = await spawnSimulator({ keys: [KEY_A] });
  await sim.admin.addKey(KEY_A, BALANCE_A);
  await sim.admin.addKey(KEY_B, BALANCE_B);
});
afterAll(async () => {
  await sim?.stop();
  console.log(`oauth abuse (shared browser): ${refused.size} cases refused`);
});

/** The balance the token's grant spends from: whose account the token acts on. */
async function balanceOf(server: HostedServer, accessToken: string): Promise<unknown> {
  const res = await callToolRaw(server.mcpUrl, accessToken, 'account');
  expect(res.status).toBe(200);
  return res.result?.structuredContent?.balance;
}

describe.each(STORE_ENGINES)('one browser, two people (%s store)', (engine) => {
  let server: HostedServer;
  let clientId: string;
  let address = 10;
  /** A fresh client address per sign-in, so the key form's per-IP limit never interferes. */
  const from = () => ({ 'x-forwarded-for': `198.51.100.${address++}` });

  beforeAll(async () => {
    server = await startHostedServerOn(engine, { apiUrl: sim.apiUrl, args: ['--trust-proxy', '1'] });
    clientId = (await registerClient(server.url)).client_id;
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('2. a second key in the same browser gets its own grant; the first token keeps its own key', async () => {
    const a = await signIn(server.url, clientId, KEY_A, { headers: from() });
    expect(await balanceOf(server, a.tokens!.access_token)).toBe(BALANCE_A);

    const b = await signIn(server.url, clientId, KEY_B, {
      tab: a.tab,
      params: { prompt: 'consent' },
      headers: from(),
    });
    expect(b.silent).toBe(false);
    expect(b.callback?.searchParams.get('error')).toBeNull();
    expect(b.tokens, 'the second sign-in completes').toBeDefined();
    expect(await balanceOf(server, b.tokens!.access_token)).toBe(BALANCE_B);
    // The first person's token still spends the first person's account.
    expect(await balanceOf(server, a.tokens!.access_token)).toBe(BALANCE_A);
    // The browser now holds the second person's session: a silent sign-in acts for B, never for A.
    const silent = await signIn(server.url, clientId, 'unused', { tab: a.tab });
    expect(silent.silent).toBe(true);
    expect(await balanceOf(server, silent.tokens!.access_token)).toBe(BALANCE_B);
    refused.add(`${engine}: a second key overwriting the first grant's key`);
  });

  it('3. a CSRF token is accepted once, even by concurrent posts', async () => {
    const page = await openKeyPage(authorizationRequest(server.url, clientId).url);
    expect(page.csrf).toBeDefined();
    const posts = 8;
    // Each post from its own address, so the form's per-IP limit lets every one reach the CSRF check.
    const statuses = await Promise.all(
      Array.from({ length: posts }, () =>
        fetch(page.action!, {
          method: 'POST',
          redirect: 'manual',
          headers: {
            cookie: page.tab.jar.header(),
            'content-type': 'application/x-www-form-urlencoded',
            ...from(),
          },
          body: new URLSearchParams({ apiKey: KEY_A, csrf: page.csrf! }),
        }).then((res) => res.status),
      ),
    );
    expect(statuses.filter((s) => s === 303)).toHaveLength(1);
    expect(statuses.filter((s) => s === 403)).toHaveLength(posts - 1);
    refused.add(`${engine}: one CSRF token spent by concurrent posts`);
  });

  it('12. prompt=consent and prompt=login always show the page, naming the key connected now', async () => {
    const a = await signIn(server.url, clientId, KEY_A, { headers: from() });
    expect(a.silent).toBe(false);
    // Without a prompt the same browser and client reconnect silently (what mcp-remote relies on).
    expect((await signIn(server.url, clientId, 'unused', { tab: a.tab })).silent).toBe(true);
    for (const prompt of ['consent', 'login']) {
      const page = await openKeyPage(authorizationRequest(server.url, clientId, { prompt }).url, {
        tab: a.tab,
      });
      expect(page.status, prompt).toBe(200);
      expect(page.callback, prompt).toBeUndefined();
      expect(page.csrf, prompt).toBeDefined();
      expect(page.html, prompt).toContain(`…${KEY_A.slice(-4)}`);
      expect(page.html, prompt).not.toContain(KEY_A.slice(0, -4));
      refused.add(`${engine}: silent authorization despite prompt=${prompt}`);
    }
    // The person at the keyboard pastes their own key on that page and gets their own account.
    const b = await signIn(server.url, clientId, KEY_B, {
      tab: a.tab,
      params: { prompt: 'login' },
      headers: from(),
    });
    expect(await balanceOf(server, b.tokens!.access_token)).toBe(BALANCE_B);
    expect(await balanceOf(server, a.tokens!.access_token)).toBe(BALANCE_A);
  });
});

describe.each(STORE_ENGINES)('3. the CSRF token claim on the %s store itself', (engine) => {
  it('50 concurrent consumes of one token: exactly one succeeds', async () => {
    const redis = engine === 'redis' ? await startRedis() : undefined;
    const store = await openStore({
      store: redis?.url ?? 'sqlite',
      dataDir: mkdtempSync(join(tmpdir(), 'runware-csrf-')),
    });
    try {
      const csrf = createCsrfTokens(store);
      const token = await csrf.issue('interaction-1');
      // Issued in one tick, so every read reaches the store before any delete could (pipelined on Redis).
      const results = await Promise.all(
        Array.from({ length: 50 }, () => csrf.consume(token, 'interaction-1')),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await csrf.consume(token, 'interaction-1')).toBe(false);
      // Bound to its interaction: another interaction cannot spend it, and that attempt does not burn it.
      const other = await csrf.issue('interaction-2');
      expect(await csrf.consume(other, 'interaction-1')).toBe(false);
      expect(await csrf.consume(other, 'interaction-2')).toBe(true);
    } finally {
      await store.close();
      await redis?.stop();
    }
    refused.add(`${engine}: one CSRF token consumed concurrently by the store`);
  });
});
