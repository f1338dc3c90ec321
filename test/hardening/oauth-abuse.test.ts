import { createHash, randomBytes } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import http from 'node:http';
import net from 'node:net';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY_FORM_LIMIT, API_KEY_FORM_WINDOW_SECONDS } from '../../src/auth/api-key-page.js';
import { isInternalHost } from '../../src/auth/authorization-server.js';
import {
  DEFAULT_REGISTRATION_LIMIT,
  REGISTRATION_WINDOW_SECONDS,
} from '../../src/http/registration-limit.js';
import {
  type HostedServer,
  STORE_ENGINES,
  startHostedServer,
  startHostedServerOn,
} from '../support/hosted-server.js';
import { approveInBrowserless, openKeyPage, submitKeyPage } from '../support/oauth-flow.js';
import { type RedisServer, startRedis } from '../support/redis-server.js';
import { type SimulatorProcess, spawnSimulator } from '../support/simulator-process.js';

/**
 * OAuth abuse against the real hosted server (a child process), on both store engines: open redirects at
 * /authorize, dangerous redirect URIs at registration, registration flooding, brute force and CSRF on the
 * API-key form, framing of every HTML page. test/hosted-oauth-negative.test.ts holds the protocol negatives
 * (PKCE, code replay, resource binding); this suite adds the attacker's side and prints one summary line.
 *
 * The servers run with --trust-proxy 1 so each test can speak from its own client address (the entry a proxy
 * appends to X-Forwarded-For) and count a rate limit from zero; the default mode (socket address, forged
 * headers ignored) is checked on its own server at the end.
 */

const KEY = 'rw-abuse-key-5d6e7f80';
const WRONG_KEY = 'rw-wrong-key-abcdef12';
const REDIRECT = 'http://localhost:51000/callback';
const FORM_WINDOW = API_KEY_FORM_WINDOW_SECONDS;

/** Every refusal this file proved, by name (each is checked on every engine it runs on). */
const refused = new Set<string>();
const refusedCase = (name: string) => refused.add(name);

let sim: SimulatorProcess;
beforeAll(async () => {
  sim = await spawnSimulator({ keys: [KEY] });
});
afterAll(async () => {
  await sim?.stop();
  // The registration and form figures come from the code and are asserted below, not just printed.
  console.log(
    `oauth abuse: ${refused.size} cases refused, registration limit ${DEFAULT_REGISTRATION_LIMIT}/${REGISTRATION_WINDOW_SECONDS}s per IP, form limit ${API_KEY_FORM_LIMIT}/${FORM_WINDOW}s per IP`,
  );
});

const pkce = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};

function authorizeUrl(server: HostedServer, params: Record<string, string>): URL {
  const url = new URL(`${server.url}/authorize`);
  for (const [k, v] of Object.entries({
    response_type: 'code',
    redirect_uri: REDIRECT,
    scope: 'mcp offline_access',
    state: 'abuse-state',
    resource: server.mcpUrl,
    code_challenge: pkce().challenge,
    code_challenge_method: 'S256',
    ...params,
  })) {
    url.searchParams.set(k, v);
  }
  return url;
}

const CLIENT = {
  redirect_uris: [REDIRECT],
  token_endpoint_auth_method: 'none',
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  client_name: 'abuse tests',
};

/** POST /register, optionally as the client a trusted proxy reports (X-Forwarded-For). */
async function register(server: HostedServer, metadata: Record<string, unknown>, forwardedFor?: string) {
  const res = await fetch(`${server.url}/register`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}),
    },
    body: JSON.stringify(metadata),
  });
  return {
    status: res.status,
    headers: res.headers,
    body: (await res.json()) as Record<string, string>,
  };
}

/** POST /register from another loopback source address (the socket address rate limits key on by default). */
function registerFrom(server: HostedServer, localAddress: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${server.url}/register`,
      { method: 'POST', localAddress, headers: { 'content-type': 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(CLIENT));
  });
}

function expectNoFraming(headers: Headers, where: string) {
  expect(headers.get('x-frame-options'), where).toBe('DENY');
  expect(headers.get('content-security-policy') ?? '', where).toMatch(/frame-ancestors 'none'/);
}

/** A 429 from the registration limit: Retry-After within the window, an OAuth-style JSON error. */
function expectRegistrationLimited(res: Awaited<ReturnType<typeof register>>) {
  expect(res.status).toBe(429);
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(REGISTRATION_WINDOW_SECONDS);
  expect(res.headers.get('content-type')).toMatch(/application\/json/);
  expect(res.body.error).toBe('too_many_requests');
  expect(res.body.error_description).toMatch(/Too many client registrations/);
}

describe.each(STORE_ENGINES)('OAuth abuse on the %s store', (engine) => {
  let server: HostedServer;
  let clientId: string;

  beforeAll(async () => {
    server = await startHostedServerOn(engine, { apiUrl: sim.apiUrl, args: ['--trust-proxy', '1'] });
    const registered = await register(server, CLIENT, '198.51.100.200');
    expect(registered.status).toBe(201);
    clientId = registered.body.client_id!;
  });
  afterAll(async () => {
    await server?.stop();
  });

  describe('open redirects at /authorize', () => {
    const attempts: Array<[string, string]> = [
      ['redirect_uri on another host, same port', 'http://evil.example:51000/callback'],
      ['redirect_uri on another port of the same host', 'http://localhost:51001/callback'],
      ['redirect_uri on a loopback alias of the host', 'http://127.0.0.1:51000/callback'],
      ['redirect_uri with https instead of http', 'https://localhost:51000/callback'],
      ['redirect_uri with the scheme and host upper-cased', 'HTTP://LOCALHOST:51000/callback'],
      ['redirect_uri with a path suffix', 'http://localhost:51000/callback.evil'],
      ['redirect_uri with a trailing slash', 'http://localhost:51000/callback/'],
      ['redirect_uri with a path traversal', 'http://localhost:51000/callback/../../evil'],
      ['redirect_uri with an extra query', 'http://localhost:51000/callback?next=https://evil.example/'],
      ['redirect_uri with a host suffix', 'http://localhost:51000.evil.example/callback'],
      [
        'redirect_uri with the registered authority as userinfo',
        'http://localhost:51000@evil.example/callback',
      ],
      ['redirect_uri with an encoded-slash userinfo', 'http://localhost:51000%2F@evil.example/callback'],
      ['redirect_uri with a backslash authority', 'http://evil.example\\@localhost:51000/callback'],
      ['scheme-relative redirect_uri', '//evil.example/callback'],
      ['redirect_uri embedding the registered one in its query', `https://evil.example/?u=${REDIRECT}`],
      ['redirect_uri with a fragment', 'http://localhost:51000/callback#frag'],
      ['redirect_uri with an @ in its fragment', 'http://localhost:51000/callback#@evil.example'],
      ['javascript: redirect_uri', `javascript:alert(document.domain)//${REDIRECT}`],
    ];

    it.each(attempts)('%s: error page, no redirect', async (name, redirectUri) => {
      const res = await fetch(authorizeUrl(server, { client_id: clientId, redirect_uri: redirectUri }), {
        redirect: 'manual',
      });
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(res.headers.get('content-type')).toMatch(/text\/html/);
      const html = await res.text();
      expect(html).toMatch(/invalid_redirect_uri/);
      expect(html).not.toMatch(/<a |<form|<script|http-equiv="refresh"/i);
      expectNoFraming(res.headers, name);
      refusedCase(`authorize: ${name}`);
    });

    it('an unknown client with an attacker redirect_uri: error page, no redirect', async () => {
      const res = await fetch(
        authorizeUrl(server, { client_id: 'no-such-client', redirect_uri: 'https://evil.example/cb' }),
        { redirect: 'manual' },
      );
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(await res.text()).toMatch(/invalid_client/);
      expectNoFraming(res.headers, 'unknown client');
      refusedCase('authorize: unknown client with an attacker redirect_uri');
    });

    it('a client ID metadata document on this machine is never fetched (SSRF), no redirect', async () => {
      let connections = 0;
      const listener = net.createServer((socket) => {
        connections++;
        socket.destroy();
      });
      await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
      const port = (listener.address() as net.AddressInfo).port;
      const ownAddresses = await lookup(hostname(), { all: true });
      expect(ownAddresses.map((a) => a.address).filter((a) => !isInternalHost(a))).toEqual([]);
      try {
        for (const clientIdUrl of [
          `https://127.0.0.1:${port}/client.json`,
          `https://localhost:${port}/client.json`,
          `https://[::ffff:127.0.0.1]:${port}/client.json`,
          `https://2130706433:${port}/client.json`,
          `https://localhost.:${port}/client.json`,
          // A plain name that resolves to this machine (the machine's own name, from /etc/hosts).
          `https://${hostname()}:${port}/client.json`,
        ]) {
          const res = await fetch(
            authorizeUrl(server, { client_id: clientIdUrl, redirect_uri: 'https://evil.example/cb' }),
            { redirect: 'manual' },
          );
          expect(res.status, clientIdUrl).toBe(400);
          expect(res.headers.get('location')).toBeNull();
          expect(await res.text()).toMatch(/invalid_client: client_id metadata document fetch not allowed/);
        }
        expect(connections).toBe(0);
      } finally {
        listener.close();
      }
      refusedCase('authorize: client ID metadata document on a loopback/private host');
    });

    it('control: the registered redirect_uri itself proceeds to this server’s own page', async () => {
      const res = await fetch(authorizeUrl(server, { client_id: clientId }), { redirect: 'manual' });
      expect(res.status).toBe(303);
      expect(new URL(res.headers.get('location')!, server.url).origin).toBe(new URL(server.url).origin);
    });
  });

  describe('registration', () => {
    const bad: Array<[string, Record<string, unknown>]> = [
      ['javascript: redirect URI', { redirect_uris: ['javascript:alert(1)'] }],
      ['data: redirect URI', { redirect_uris: ['data:text/html,<script>alert(1)</script>'] }],
      ['file: redirect URI', { redirect_uris: ['file:///etc/passwd'] }],
      [
        'javascript: redirect URI (native app)',
        { application_type: 'native', redirect_uris: ['javascript:alert(1)'] },
      ],
      [
        'data: redirect URI (native app)',
        { application_type: 'native', redirect_uris: ['data:text/html,hi'] },
      ],
      [
        'file: redirect URI (native app)',
        { application_type: 'native', redirect_uris: ['file:///etc/passwd'] },
      ],
      ['http redirect URI to a remote host', { redirect_uris: ['http://evil.example/callback'] }],
      [
        'http redirect URI to a remote host (native app)',
        { application_type: 'native', redirect_uris: ['http://evil.example/cb'] },
      ],
      [
        'http redirect URI to a localhost look-alike',
        { redirect_uris: ['http://localhost.evil.example/cb'] },
      ],
      ['http redirect URI to a loopback-IP look-alike', { redirect_uris: ['http://127.0.0.1.nip.io/cb'] }],
      ['redirect URI with a user', { redirect_uris: ['http://user@localhost:51000/cb'] }],
      ['redirect URI with user and password', { redirect_uris: ['https://user:pw@app.example/cb'] }],
      ['redirect URI with an empty userinfo', { redirect_uris: ['https://@app.example/cb'] }],
      ['redirect URI with a fragment', { redirect_uris: ['https://app.example/cb#x'] }],
      ['one bad redirect URI among good ones', { redirect_uris: [REDIRECT, 'http://evil.example/cb'] }],
    ];

    it.each(bad)('refuses a %s', async (name, metadata) => {
      const res = await register(server, { token_endpoint_auth_method: 'none', ...metadata }, '198.51.100.1');
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_redirect_uri');
      expect(res.body.client_id).toBeUndefined();
      refusedCase(`register: ${name}`);
    });

    it('control: loopback http, https and a native app scheme are accepted', async () => {
      for (const metadata of [
        { redirect_uris: ['http://127.0.0.1:51000/cb', 'http://[::1]:51000/cb'] },
        { redirect_uris: ['https://app.example/oauth/callback?tenant=1'] },
        { application_type: 'native', redirect_uris: ['com.example.app:/oauth/callback'] },
      ]) {
        const res = await register(
          server,
          { token_endpoint_auth_method: 'none', ...metadata },
          '198.51.100.2',
        );
        expect(res.status, JSON.stringify(res.body)).toBe(201);
      }
    });

    it('escapes a hostile client_name on the API-key page', async () => {
      const res = await register(
        server,
        { ...CLIENT, client_name: '<img src=x onerror=alert(1)><script>alert(2)</script>' },
        '198.51.100.3',
      );
      expect(res.status).toBe(201);
      const page = await openKeyPage(authorizeUrl(server, { client_id: res.body.client_id! }));
      expect(page.status).toBe(200);
      expect(page.html).not.toMatch(/<img src=x|<script>alert/);
      expect(page.html).toContain('&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;');
      refusedCase('register: script in client_name reaching the API-key page');
    });

    it('clips a long client_name and names where the browser returns, so a look-alike app is easier to spot', async () => {
      const res = await register(
        server,
        { ...CLIENT, client_name: `Claude ${'x'.repeat(5000)}` },
        '198.51.100.4',
      );
      expect(res.status).toBe(201);
      const page = await openKeyPage(authorizeUrl(server, { client_id: res.body.client_id! }));
      expect(page.status).toBe(200);
      expect(page.html).toContain(`<strong>Claude ${'x'.repeat(72)}…</strong>`);
      expect(page.html).not.toContain('x'.repeat(80));
      expect(page.html).toContain(`you go back to <strong>${new URL(REDIRECT).host}</strong>`);
      refusedCase('register: 5,000-character client_name pushing the form off the API-key page');
    });

    it(`rate-limits registration flooding: ${DEFAULT_REGISTRATION_LIMIT} per ${REGISTRATION_WINDOW_SECONDS} s per IP, then 429 with Retry-After`, async () => {
      const ip = '198.51.100.10';
      for (let i = 1; i <= DEFAULT_REGISTRATION_LIMIT; i++) {
        const res = await register(server, { ...CLIENT, client_name: `flood ${i}` }, ip);
        expect(res.status, `registration ${i}`).toBe(201);
      }
      expectRegistrationLimited(await register(server, CLIENT, ip));
      refusedCase('register: flooding past the limit');
      // A client-supplied entry left of the proxy's buys no fresh bucket.
      expectRegistrationLimited(await register(server, CLIENT, `203.0.113.9, ${ip}`));
      refusedCase('register: flooding with a forged X-Forwarded-For entry');
      // Another client is unaffected.
      expect((await register(server, CLIENT, '198.51.100.11')).status).toBe(201);
    });
  });

  describe('API-key form', () => {
    it(`rate-limits brute force: ${API_KEY_FORM_LIMIT} attempts per ${FORM_WINDOW} s per IP, then 429 with Retry-After`, async () => {
      const headers = { 'x-forwarded-for': '198.51.100.20' };
      const attempt = (apiKey: string) =>
        approveInBrowserless(authorizeUrl(server, { client_id: clientId }), apiKey, { headers });
      for (let i = 1; i <= API_KEY_FORM_LIMIT; i++) {
        const res = await attempt(`${WRONG_KEY}${i}`);
        expect(res.status, `attempt ${i}`).toBe(400);
        expect(res.html).toMatch(/Runware rejected this API key/);
      }
      const limited = await attempt(WRONG_KEY);
      expect(limited.status).toBe(429);
      expect(limited.callback).toBeUndefined();
      const retryAfter = Number(limited.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(FORM_WINDOW);
      expect(limited.html).toMatch(/Too many attempts/);
      expectNoFraming(limited.headers, 'form 429 page');
      refusedCase('key form: brute force past the limit');
      // Even the right key waits out the window: the limit is not a hint that a guess was close.
      const right = await attempt(KEY);
      expect(right.status).toBe(429);
      expect(right.callback).toBeUndefined();
      refusedCase('key form: the right key while limited');
    });

    it('refuses a missing CSRF token', async () => {
      const page = await openKeyPage(authorizeUrl(server, { client_id: clientId }));
      expect(page.csrf).toBeDefined();
      const res = await submitKeyPage(page, { apiKey: KEY });
      expect(res.status).toBe(403);
      expect(res.callback).toBeUndefined();
      expect(res.html).toMatch(/expired or was already used/);
      refusedCase('key form: missing CSRF token');
    });

    it('refuses a reused CSRF token, even with the right key', async () => {
      const page = await openKeyPage(authorizeUrl(server, { client_id: clientId }));
      const first = await submitKeyPage(page, { apiKey: WRONG_KEY, csrf: page.csrf! });
      expect(first.status).toBe(400);
      const replay = await submitKeyPage(page, { apiKey: KEY, csrf: page.csrf! });
      expect(replay.status).toBe(403);
      expect(replay.callback).toBeUndefined();
      refusedCase('key form: reused CSRF token');
    });

    it("refuses another sign-in's CSRF token", async () => {
      const a = await openKeyPage(authorizeUrl(server, { client_id: clientId }));
      const b = await openKeyPage(authorizeUrl(server, { client_id: clientId }));
      const res = await submitKeyPage(b, { apiKey: KEY, csrf: a.csrf! });
      expect(res.status).toBe(403);
      expect(res.callback).toBeUndefined();
      refusedCase("key form: another interaction's CSRF token");
    });

    it('refuses a post without the interaction cookie', async () => {
      const page = await openKeyPage(authorizeUrl(server, { client_id: clientId }));
      const res = await submitKeyPage(page, { apiKey: KEY, csrf: page.csrf! }, { cookies: false });
      expect(res.status).toBe(400);
      expect(res.callback).toBeUndefined();
      expect(res.html).toMatch(/expired or was already used/);
      expectNoFraming(res.headers, 'expired page');
      refusedCase('key form: post without the interaction cookie');
    });

    it('refuses a cross-site post (foreign Origin)', async () => {
      const page = await openKeyPage(authorizeUrl(server, { client_id: clientId }));
      const res = await submitKeyPage(
        page,
        { apiKey: KEY, csrf: page.csrf! },
        { headers: { origin: 'https://evil.example' } },
      );
      expect(res.status).toBe(403);
      expect(res.callback).toBeUndefined();
      refusedCase('key form: cross-site post');
    });

    it('control: a fresh page with its own token and the right key signs in', async () => {
      const res = await approveInBrowserless(authorizeUrl(server, { client_id: clientId }), KEY);
      expect(res.callback?.toString()).toMatch(/^http:\/\/localhost:51000\/callback\?code=/);
    });
  });

  describe('framing (clickjacking)', () => {
    it('every HTML page of the sign-in refuses to be framed', async () => {
      const pages: Array<[string, () => Promise<{ status: number; headers: Headers }>]> = [
        ['the API-key page', () => openKeyPage(authorizeUrl(server, { client_id: clientId }))],
        [
          'the API-key page after a wrong key',
          async () => approveInBrowserless(authorizeUrl(server, { client_id: clientId }), WRONG_KEY),
        ],
        ['an expired interaction page', () => fetch(`${server.url}/interaction/expired-or-forged`)],
        [
          'the OAuth error page (unknown client)',
          () => fetch(authorizeUrl(server, { client_id: 'nobody' }), { redirect: 'manual' }),
        ],
        [
          'the OAuth error page (bad request without a client)',
          () => fetch(`${server.url}/authorize?response_type=code`, { redirect: 'manual' }),
        ],
        [
          'the form_post error response',
          () =>
            fetch(
              authorizeUrl(server, {
                client_id: clientId,
                response_mode: 'form_post',
                code_challenge_method: 'plain',
              }),
              { redirect: 'manual' },
            ),
        ],
        ['a 404', () => fetch(`${server.url}/no-such-page`)],
      ];
      for (const [name, load] of pages) {
        const res = await load();
        expect(res.status, name).toBeGreaterThanOrEqual(200);
        if (name === 'a 404') {
          expect(res.headers.get('x-frame-options'), name).toBe('DENY');
        } else {
          expectNoFraming(res.headers, name);
        }
        refusedCase(`framing: ${name}`);
      }
    });
  });
});

describe('registration limit across replicas (two servers on one Redis)', () => {
  let redis: RedisServer;
  let replicas: HostedServer[] = [];
  beforeAll(async () => {
    redis = await startRedis();
    const args = ['--store', redis.url, '--trust-proxy', '1'];
    replicas = await Promise.all([
      startHostedServer({ apiUrl: sim.apiUrl, args }),
      startHostedServer({ apiUrl: sim.apiUrl, args }),
    ]);
  });
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await redis?.stop();
  });

  it('counts one budget per IP whichever replica answers', async () => {
    const ip = '198.51.100.40';
    for (let i = 0; i < DEFAULT_REGISTRATION_LIMIT; i++) {
      expect((await register(replicas[i % 2]!, CLIENT, ip)).status, `registration ${i + 1}`).toBe(201);
    }
    expectRegistrationLimited(await register(replicas[0]!, CLIENT, ip));
    expectRegistrationLimited(await register(replicas[1]!, CLIENT, ip));
    refusedCase('register: flooding spread over two replicas');
  });
});

describe('registration limit configured, no trusted proxy (sqlite)', () => {
  let limited: HostedServer;
  let unlimited: HostedServer;
  beforeAll(async () => {
    [limited, unlimited] = await Promise.all([
      startHostedServer({ apiUrl: sim.apiUrl, env: { RUNWARE_MCP_REGISTRATION_LIMIT: '3' } }),
      startHostedServer({ apiUrl: sim.apiUrl, args: ['--registration-limit', '0'] }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([limited?.stop(), unlimited?.stop()]);
  });

  it('RUNWARE_MCP_REGISTRATION_LIMIT=3: the 4th registration from one address is refused, forged headers ignored', async () => {
    for (let i = 1; i <= 3; i++) expect((await register(limited, CLIENT)).status).toBe(201);
    expectRegistrationLimited(await register(limited, CLIENT));
    expect((await register(limited, CLIENT)).body.error_description).toMatch(/at most 3 per 600 s/);
    // Without --trust-proxy, X-Forwarded-For is the client's own claim: no fresh bucket.
    expectRegistrationLimited(await register(limited, CLIENT, '203.0.113.50'));
    refusedCase('register: flooding with a forged X-Forwarded-For (no trusted proxy)');
    // A different source address (another loopback IP) has its own budget.
    expect(await registerFrom(limited, '127.0.0.2')).toBe(201);
  });

  it('--registration-limit 0 disables the limit', async () => {
    for (let i = 1; i <= DEFAULT_REGISTRATION_LIMIT + 5; i++) {
      expect((await register(unlimited, CLIENT)).status, `registration ${i}`).toBe(201);
    }
  });
});
