import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostedServer, startHostedServer } from './support/hosted-server.js';
import { approveInBrowserless } from './support/oauth-flow.js';
import { type RedisServer, startRedis } from './support/redis-server.js';
import { type SimulatorProcess, spawnSimulator } from './support/simulator-process.js';

const KEY = 'rw-negative-key-0a1b2c';
const REDIRECT = 'http://localhost:51000/callback';
let sim: SimulatorProcess;
let server: HostedServer;
let clientId: string;

const pkce = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};
const authorizeUrl = (params: Record<string, string>) => {
  const url = new URL(`${server.url}/authorize`);
  for (const [k, v] of Object.entries({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: REDIRECT,
    scope: 'mcp offline_access',
    state: 's1',
    resource: server.mcpUrl,
    ...params,
  })) {
    if (v !== '') url.searchParams.set(k, v);
  }
  return url;
};
async function token(params: Record<string, string>) {
  const res = await fetch(`${server.url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: clientId, ...params }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}
async function codeFor(challenge: string) {
  const approval = await approveInBrowserless(
    authorizeUrl({ code_challenge: challenge, code_challenge_method: 'S256' }),
    KEY,
  );
  expect(approval.callback, approval.html).toBeDefined();
  return approval.callback!.searchParams.get('code')!;
}
async function register(metadata: Record<string, unknown>) {
  const res = await fetch(`${server.url}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(metadata),
  });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

/** Every negative case runs on both store engines. */
describe.each(['sqlite', 'redis'] as const)('on the %s store', (engine) => {
  let redis: RedisServer | undefined;
  beforeAll(async () => {
    sim = await spawnSimulator({ keys: [KEY] });
    redis = engine === 'redis' ? await startRedis() : undefined;
    server = await startHostedServer({ apiUrl: sim.apiUrl, args: redis ? ['--store', redis.url] : [] });
    const registered = await register({
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      client_name: 'negative tests',
    });
    expect(registered.status).toBe(201);
    clientId = registered.body.client_id!;
  });
  afterAll(async () => {
    await server?.stop();
    await sim?.stop();
    await redis?.stop();
  });

  describe('OAuth negative cases', () => {
    it('refuses an authorization request without PKCE or with plain PKCE', async () => {
      for (const params of [
        {},
        { code_challenge: 'abcdefghijabcdefghijabcdefghijabcdefghijabc', code_challenge_method: 'plain' },
      ]) {
        const res = await fetch(authorizeUrl(params as Record<string, string>), { redirect: 'manual' });
        const location = new URL(res.headers.get('location')!);
        expect(location.origin + location.pathname).toBe(REDIRECT);
        expect(location.searchParams.get('error')).toBe('invalid_request');
      }
    });

    it('refuses a wrong code_verifier, and a replayed code', async () => {
      const { verifier, challenge } = pkce();
      const code = await codeFor(challenge);
      const wrong = await token({
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT,
        code_verifier: pkce().verifier,
      });
      expect(wrong.body.error).toBe('invalid_grant');
      const { verifier: v2, challenge: c2 } = pkce();
      const code2 = await codeFor(c2);
      const ok = await token({
        grant_type: 'authorization_code',
        code: code2,
        redirect_uri: REDIRECT,
        code_verifier: v2,
      });
      expect(ok.status).toBe(200);
      const replay = await token({
        grant_type: 'authorization_code',
        code: code2,
        redirect_uri: REDIRECT,
        code_verifier: v2,
      });
      expect(replay.body.error).toBe('invalid_grant');
      void verifier;
    });

    it('refuses a redirect_uri mismatch at the token endpoint and never redirects to an unregistered URI', async () => {
      const { verifier, challenge } = pkce();
      const code = await codeFor(challenge);
      const mismatch = await token({
        grant_type: 'authorization_code',
        code,
        redirect_uri: 'http://localhost:51000/other',
        code_verifier: verifier,
      });
      expect(mismatch.body.error).toBe('invalid_grant');
      const evil = await fetch(
        authorizeUrl({
          redirect_uri: 'https://evil.example/cb',
          code_challenge: challenge,
          code_challenge_method: 'S256',
        }),
        { redirect: 'manual' },
      );
      expect(evil.status).toBe(400);
      expect(evil.headers.get('location')).toBeNull();
    });

    it('refuses tokens for another resource', async () => {
      const { challenge } = pkce();
      const res = await fetch(
        authorizeUrl({
          resource: 'https://other.example/mcp',
          code_challenge: challenge,
          code_challenge_method: 'S256',
        }),
        { redirect: 'manual' },
      );
      const location = new URL(res.headers.get('location')!);
      expect(location.searchParams.get('error')).toBe('invalid_target');
      const bogus = await fetch(server.mcpUrl, {
        method: 'POST',
        headers: { authorization: 'Bearer not-a-token', 'content-type': 'application/json' },
        body: '{}',
      });
      expect(bogus.status).toBe(401);
      expect(bogus.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    });

    it('refuses javascript: and data: redirect URIs at registration', async () => {
      for (const uri of ['javascript:alert(1)', 'data:text/html,hi']) {
        const res = await register({ redirect_uris: [uri], token_endpoint_auth_method: 'none' });
        expect(res.status).toBe(400);
        expect(res.body.error).toBe('invalid_redirect_uri');
      }
    });

    it('serves the API-key page with anti-clickjacking headers and refuses a reused or missing CSRF token', async () => {
      const { challenge } = pkce();
      let landing = await fetch(authorizeUrl({ code_challenge: challenge, code_challenge_method: 'S256' }), {
        redirect: 'manual',
      });
      const cookies = landing.headers
        .getSetCookie()
        .map((c) => c.split(';')[0])
        .join('; ');
      landing = await fetch(new URL(landing.headers.get('location')!, server.url), {
        headers: { cookie: cookies },
      });
      expect(landing.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
      expect(landing.headers.get('x-frame-options')).toBe('DENY');
      const html = await landing.text();
      expect(html).toMatch(/<label for="apiKey">/);
      const tampered = await approveInBrowserless(
        authorizeUrl({ code_challenge: challenge, code_challenge_method: 'S256' }),
        KEY,
        { tamperCsrf: () => 'forged' },
      );
      expect(tampered.status).toBe(403);
      expect(tampered.html).toMatch(/expired or was already used/);
    });

    it('rate-limits API-key attempts per client IP with Retry-After', async () => {
      let last: Awaited<ReturnType<typeof approveInBrowserless>> | undefined;
      for (let i = 0; i < 12; i++) {
        const { challenge } = pkce();
        last = await approveInBrowserless(
          authorizeUrl({ code_challenge: challenge, code_challenge_method: 'S256' }),
          'rw-wrong-key-zzzzzz',
        );
        if (last.status === 429) break;
      }
      expect(last!.status).toBe(429);
      expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
      // Without --trust-proxy a client-supplied X-Forwarded-For does not buy a fresh bucket.
      const { challenge } = pkce();
      const spoofed = await approveInBrowserless(
        authorizeUrl({ code_challenge: challenge, code_challenge_method: 'S256' }),
        'rw-wrong-key-zzzzzz',
        { headers: { 'x-forwarded-for': '203.0.113.77' } },
      );
      expect(spoofed.status).toBe(429);
    });
  });
});

describe('behind a reverse proxy (--trust-proxy 1)', () => {
  let proxied: HostedServer;
  beforeAll(async () => {
    sim = await spawnSimulator({ keys: [KEY] });
    proxied = await startHostedServer({ apiUrl: sim.apiUrl, args: ['--trust-proxy', '1'] });
    server = proxied;
    const registered = await register({
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    });
    clientId = registered.body.client_id!;
  });
  afterAll(async () => {
    await proxied?.stop();
    await sim?.stop();
  });

  it('rate-limits each client address the proxy reports, not the proxy itself', async () => {
    const attempt = (forwardedFor: string) =>
      approveInBrowserless(
        authorizeUrl({ code_challenge: pkce().challenge, code_challenge_method: 'S256' }),
        'rw-wrong-key-zzzzzz',
        // The left entry is whatever the client claimed; the proxy appended the address it saw.
        { headers: { 'x-forwarded-for': `10.9.9.9, ${forwardedFor}` } },
      );
    let status = 0;
    for (let i = 0; i < 12 && status !== 429; i++) status = (await attempt('198.51.100.1')).status;
    expect(status).toBe(429);
    const other = await attempt('198.51.100.2');
    // Another client behind the same proxy still gets the page's own answer for a wrong key, not a 429.
    expect(other.status).toBe(400);
    expect(other.html).toMatch(/<form/);
  });
});
