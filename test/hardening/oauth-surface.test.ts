import type { AddressInfo } from 'node:net';
import { connect, createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isInternalHost } from '../../src/auth/authorization-server.js';
import {
  type HostedServer,
  postToolsList,
  STORE_ENGINES,
  startHostedServer,
  startHostedServerOn,
} from '../support/hosted-server.js';
import { openKeyPage } from '../support/oauth-flow.js';
import { authorizationRequest, registerClient, signIn } from '../support/sign-in.js';
import { type SimulatorProcess, spawnSimulator } from '../support/simulator-process.js';
import { inspectStore } from '../support/store-inspector.js';

/**
 * Issue 14, the audit's weak points on the OAuth surface: discovery advertises only what is mounted and each
 * protected-resource document describes its own URL (6), /authorize is rate-limited, registrations are bounded
 * and idle clients expire (7), client names cannot flip the page and IPv4-compatible IPv6 is internal (9), and
 * a client sending an oversized body reads the 413 (11).
 */

const KEY = 'rw-surface-key-5e6f7a8b';
const DAY = 24 * 3600;
const refused = new Set<string>();

let sim: SimulatorProcess;
beforeAll(async () => {
  sim = await spawnSimulator({ keys: [KEY] });
});
afterAll(async () => {
  await sim?.stop();
  console.log(`oauth abuse (OAuth surface): ${refused.size} cases refused`);
});

describe('6. discovery advertises what is mounted; each resource document describes its own URL', () => {
  let server: HostedServer;
  beforeAll(async () => {
    server = await startHostedServer({ apiUrl: sim.apiUrl });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('every endpoint in the authorization server metadata answers (no 404)', async () => {
    for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
      const metadata = (await (await fetch(`${server.url}${path}`)).json()) as Record<string, unknown>;
      const endpoints = Object.entries(metadata).filter(
        ([name, value]) => (name.endsWith('_endpoint') || name === 'jwks_uri') && typeof value === 'string',
      );
      expect(endpoints.length).toBeGreaterThanOrEqual(5);
      for (const [name, url] of endpoints) {
        // Each endpoint is mounted for GET, POST or both.
        const statuses = await Promise.all(
          ['GET', 'POST'].map(
            async (method) => (await fetch(url as string, { method, redirect: 'manual' })).status,
          ),
        );
        expect(statuses, `${path} ${name}`).not.toEqual([404, 404]);
      }
    }
    refused.add('discovery advertising an endpoint that answers 404');
  });

  it('the root and /mcp protected-resource documents each name their own resource, and both work', async () => {
    const root = await fetch(server.url, { method: 'POST' });
    expect(root.status).toBe(401);
    const rootMetadataUrl = /resource_metadata="([^"]+)"/.exec(root.headers.get('www-authenticate')!)![1]!;
    expect(rootMetadataUrl).toBe(`${server.publicUrl}/.well-known/oauth-protected-resource`);
    const rootMetadata = (await (await fetch(rootMetadataUrl)).json()) as { resource: string };
    expect(rootMetadata.resource).toBe(`${server.publicUrl}/`);

    const mcp = await fetch(server.mcpUrl, { method: 'POST' });
    const mcpMetadataUrl = /resource_metadata="([^"]+)"/.exec(mcp.headers.get('www-authenticate')!)![1]!;
    expect(mcpMetadataUrl).toBe(`${server.publicUrl}/.well-known/oauth-protected-resource/mcp`);
    const mcpMetadata = (await (await fetch(mcpMetadataUrl)).json()) as { resource: string };
    expect(mcpMetadata.resource).toBe(`${server.publicUrl}/mcp`);

    // A client that follows the root document asks for that resource and gets a token the root accepts.
    const client = await registerClient(server.url);
    const { tokens } = await signIn(server.url, client.client_id, KEY, {
      params: { resource: rootMetadata.resource },
    });
    expect((await postToolsList(`${server.url}/`, tokens!.access_token)).status).toBe(200);
    refused.add('root protected-resource document naming another resource');
  });
});

describe.each(STORE_ENGINES)('7. bounded authorization and registration (%s store)', (engine) => {
  let server: HostedServer;
  beforeAll(async () => {
    server = await startHostedServerOn(engine, {
      apiUrl: sim.apiUrl,
      args: ['--trust-proxy', '1', ...(engine === 'redis' ? ['--authorize-limit', '5'] : [])],
      ...(engine === 'sqlite' ? { env: { RUNWARE_MCP_AUTHORIZE_LIMIT: '5' } } : {}),
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('rate-limits /authorize per client address (5 here), then 429 with Retry-After', async () => {
    const { client_id } = await registerClient(server.url);
    const authorize = (forwardedFor: string) =>
      fetch(authorizationRequest(server.url, client_id).url, {
        redirect: 'manual',
        headers: { 'x-forwarded-for': forwardedFor },
      });
    const inspector = inspectStore(server);
    const interactions = async () => (await inspector.records('oidc:Interaction')).length;
    const before = await interactions();
    for (let i = 1; i <= 5; i++) expect((await authorize('198.51.100.50')).status, `request ${i}`).toBe(303);
    const limited = await authorize('198.51.100.50');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.headers.get('content-type')).toMatch(/text\/html/);
    expect(await limited.text()).toMatch(/Too many sign-in attempts/);
    // A client-supplied entry left of the proxy's buys no fresh bucket; nothing more was written.
    expect((await authorize('203.0.113.7, 198.51.100.50')).status).toBe(429);
    expect(await interactions()).toBe(before + 5);
    await inspector.close();
    // Another client address is unaffected.
    expect((await authorize('198.51.100.51')).status).toBe(303);
    refused.add(`${engine}: /authorize flooding past the limit`);
  });

  it('caps a registration at 10 redirect URIs of at most 2,000 characters', async () => {
    const many = Array.from({ length: 11 }, (_, i) => `http://localhost:${52000 + i}/cb`);
    const long = `https://app.example/${'a'.repeat(2001 - 'https://app.example/'.length)}`;
    for (const [name, redirect_uris] of [
      ['11 redirect URIs', many],
      ['a 2,001-character redirect URI', [long]],
    ] as const) {
      const res = await fetch(`${server.url}/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.60' },
        body: JSON.stringify({ redirect_uris, token_endpoint_auth_method: 'none' }),
      });
      expect(res.status, name).toBe(400);
      const body = (await res.json()) as { error: string; error_description: string };
      expect(body.error, name).toBe('invalid_redirect_uri');
      expect(body.error_description, name).toMatch(/at most 10 redirect_uris of at most 2000 characters/);
      refused.add(`${engine}: registration with ${name}`);
    }
    // Control: exactly at the bounds.
    await registerClient(
      server.url,
      { redirect_uris: many.slice(0, 10) },
      { 'x-forwarded-for': '198.51.100.61' },
    );
    await registerClient(
      server.url,
      { redirect_uris: [long.slice(0, 2000)] },
      { 'x-forwarded-for': '198.51.100.61' },
    );
  });

  it('expires a client unused for 30 days; each use renews it', async () => {
    const { client_id } = await registerClient(server.url, {}, { 'x-forwarded-for': '198.51.100.70' });
    const inspector = inspectStore(server);
    const ttl = async () =>
      (await inspector.records('oidc:Client')).find((r) => r.key === client_id)?.ttlSeconds;
    try {
      expect(await ttl()).toBeGreaterThan(29 * DAY);
      expect(await ttl()).toBeLessThanOrEqual(30 * DAY);
      // Nearly idle for 30 days: one authorization request renews the full 30 days.
      await inspector.setTtl('oidc:Client', client_id, 60);
      const used = await fetch(authorizationRequest(server.url, client_id).url, {
        redirect: 'manual',
        headers: { 'x-forwarded-for': '198.51.100.71' },
      });
      expect(used.status).toBe(303);
      expect(await ttl()).toBeGreaterThan(29 * DAY);
      // Idle past 30 days: gone, and the client is told so (it registers again).
      await inspector.setTtl('oidc:Client', client_id, -1);
      const expired = await fetch(authorizationRequest(server.url, client_id).url, {
        redirect: 'manual',
        headers: { 'x-forwarded-for': '198.51.100.72' },
      });
      expect(expired.status).toBe(400);
      expect(await expired.text()).toMatch(/invalid_client/);
    } finally {
      await inspector.close();
    }
    refused.add(`${engine}: client registration kept forever`);
  });
});

describe('9. client names cannot flip the page; IPv4-compatible IPv6 is internal', () => {
  let server: HostedServer;
  beforeAll(async () => {
    server = await startHostedServer({ apiUrl: sim.apiUrl });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('strips bidi controls from the client name on the API-key page', async () => {
    const controls = [
      '\u202a',
      '\u202b',
      '\u202c',
      '\u202d',
      '\u202e',
      '\u2066',
      '\u2067',
      '\u2068',
      '\u2069',
      '\u200e',
      '\u200f',
      '\u061c',
    ];
    const { client_id } = await registerClient(server.url, {
      client_name: `Claude${controls.join('')}edoC lausiV`,
    });
    const page = await openKeyPage(authorizationRequest(server.url, client_id).url);
    expect(page.status).toBe(200);
    for (const c of controls)
      expect(page.html.includes(c), `U+${c.codePointAt(0)!.toString(16)}`).toBe(false);
    expect(page.html).toContain('<strong>ClaudeedoC lausiV</strong>');
    refused.add('bidi controls in a client name');
  });

  it('never fetches a client ID metadata document from ::/96 (IPv4-compatible IPv6)', async () => {
    for (const host of ['::7f00:1', '::127.0.0.1', '::a00:1', '::']) {
      expect(isInternalHost(`[${host}]`), host).toBe(true);
    }
    let connections = 0;
    const listener = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const port = (listener.address() as AddressInfo).port;
    try {
      const res = await fetch(
        authorizationRequest(server.url, `https://[::7f00:1]:${port}/client.json`, {
          redirect_uri: 'https://evil.example/cb',
        }).url,
        { redirect: 'manual' },
      );
      expect(res.status).toBe(400);
      expect(await res.text()).toMatch(/client_id metadata document fetch not allowed/);
      expect(connections).toBe(0);
    } finally {
      listener.close();
    }
    refused.add('client ID metadata document on an IPv4-compatible IPv6 address');
  });
});

describe('11. an oversized body gets its 413, not a broken pipe', () => {
  let server: HostedServer;
  let token: string;
  beforeAll(async () => {
    server = await startHostedServer({ apiUrl: sim.apiUrl });
    const client = await registerClient(server.url);
    token = (await signIn(server.url, client.client_id, KEY)).tokens!.access_token;
  });
  afterAll(async () => {
    await server?.stop();
  });

  /**
   * A client that sends its whole request, then reads the answer (as most HTTP/1.1 clients and proxies do):
   * 12 MB of body in one write. Answers the status line it read, or the socket error it got instead.
   */
  function sendThenRead(headers: Record<string, string>): Promise<string> {
    const { hostname, port } = new URL(server.mcpUrl);
    const body = Buffer.alloc(12 * 1024 * 1024, 0x20);
    const head = [
      'POST /mcp HTTP/1.1',
      `host: ${hostname}:${port}`,
      'content-type: application/json',
      'accept: application/json, text/event-stream',
      'mcp-protocol-version: 2025-06-18',
      `content-length: ${body.length}`,
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
      '',
      '',
    ].join('\r\n');
    return new Promise((resolve) => {
      const socket = connect(Number(port), hostname);
      let answer = '';
      socket.on('data', (chunk) => {
        answer += chunk.toString('latin1');
        const line = answer.indexOf('\r\n');
        if (line >= 0) {
          socket.destroy();
          resolve(answer.slice(0, line));
        }
      });
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
      socket.pause();
      socket.write(head);
      socket.write(body, (error) => {
        if (!error) socket.resume();
      });
    });
  }

  it('12 MB with a token: the client reads 413 once it has sent everything', async () => {
    expect(await sendThenRead({ authorization: `Bearer ${token}` })).toBe('HTTP/1.1 413 Payload Too Large');
    refused.add('12 MB body');
  });

  it('12 MB without a token: the client reads 401', async () => {
    expect(await sendThenRead({})).toBe('HTTP/1.1 401 Unauthorized');
  });

  it('control: the next request works', async () => {
    expect((await postToolsList(server.mcpUrl, token)).status).toBe(200);
  });
});
