import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostedServer, postToolsList, startHostedServer } from './support/hosted-server.js';
import { approveInBrowserless, TestOAuthClient } from './support/oauth-flow.js';
import { type RedisServer, startRedis } from './support/redis-server.js';
import { type SimulatorProcess, spawnSimulator } from './support/simulator-process.js';

const KEY_A = 'rw-hosted-canary-a1b2c3d4';
const KEY_B = 'rw-hosted-user-b-9f8e7d6c';
let sim: SimulatorProcess;
let server: HostedServer;
const bodies: string[] = [];

/** Connects an SDK client through the whole OAuth dance, the test playing the browser. */
async function connect(apiKey: string, oauth = new TestOAuthClient()) {
  const first = new StreamableHTTPClientTransport(new URL(server.mcpUrl), { authProvider: oauth });
  await expect(new Client({ name: 't', version: '1' }).connect(first)).rejects.toThrow();
  expect(oauth.authorizationUrl).toBeDefined();
  const approval = await approveInBrowserless(oauth.authorizationUrl!, apiKey);
  expect(approval.callback, approval.html).toBeDefined();
  expect(approval.callback!.searchParams.get('iss')).toBe(server.url);
  await first.finishAuth(approval.callback!.searchParams);
  const client = new Client({ name: 't', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(server.mcpUrl), { authProvider: oauth }));
  return { client, oauth };
}

async function token(params: Record<string, string>) {
  const res = await fetch(`${server.url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params),
  });
  const text = await res.text();
  bodies.push(text);
  return { status: res.status, body: JSON.parse(text) as Record<string, string> };
}

async function mcpCall(accessToken: string) {
  const res = await postToolsList(server.mcpUrl, accessToken);
  bodies.push(await res.clone().text());
  return res;
}

/** The whole hosted suite runs once per store engine. */
describe.each(['sqlite', 'redis'] as const)('on the %s store', (engine) => {
  let redis: RedisServer | undefined;
  beforeAll(async () => {
    sim = await spawnSimulator({ keys: [KEY_A, KEY_B], balance: 10 });
    redis = engine === 'redis' ? await startRedis() : undefined;
    server = await startHostedServer({ apiUrl: sim.apiUrl, args: redis ? ['--store', redis.url] : [] });
    bodies.length = 0;
  });
  afterAll(async () => {
    await server?.stop();
    await sim?.stop();
    await redis?.stop();
  });

  describe('hosted mode: discovery', () => {
    it('answers unauthenticated MCP requests with 401 and resource metadata, and serves RFC 9728 and RFC 8414 metadata', async () => {
      const res = await fetch(server.mcpUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe(
        `Bearer resource_metadata="${server.url}/.well-known/oauth-protected-resource/mcp", scope="mcp"`,
      );
      const prm = (await (
        await fetch(`${server.url}/.well-known/oauth-protected-resource/mcp`)
      ).json()) as Record<string, unknown>;
      expect(prm).toMatchObject({ resource: server.mcpUrl, authorization_servers: [server.url] });
      const as = (await (
        await fetch(`${server.url}/.well-known/oauth-authorization-server`)
      ).json()) as Record<string, unknown>;
      expect(as).toMatchObject({
        issuer: server.url,
        authorization_endpoint: `${server.url}/authorize`,
        token_endpoint: `${server.url}/token`,
        registration_endpoint: `${server.url}/register`,
        revocation_endpoint: `${server.url}/revoke`,
        code_challenge_methods_supported: ['S256'],
        authorization_response_iss_parameter_supported: true,
      });
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      expect(await (await fetch(`${server.url}/readyz`)).json()).toMatchObject({
        status: 'ready',
        store: engine,
      });
    });
  });

  describe('hosted mode: the official SDK client end to end', () => {
    it('discovers, registers, authorizes with the API-key page, calls tools, refreshes and revokes', async () => {
      const { client, oauth } = await connect(KEY_A);
      const { tools } = await client.listTools();
      expect(tools).toHaveLength(12);
      const run = await client.callTool({
        name: 'run',
        arguments: { model: 'runware:101@1', positivePrompt: 'hosted fox', width: 512, height: 512 },
      });
      expect(run.structuredContent).toMatchObject({ status: 'success', model: 'runware:101@1' });
      const account = await client.callTool({ name: 'account', arguments: {} });
      expect((account.structuredContent as { balance: number }).balance).toBeLessThan(10);

      const clientId = oauth.info!.client_id;
      const refreshed = await token({
        grant_type: 'refresh_token',
        refresh_token: oauth.saved!.refresh_token!,
        client_id: clientId,
      });
      expect(refreshed.status).toBe(200);
      expect(refreshed.body.refresh_token).not.toBe(oauth.saved!.refresh_token);
      expect((await mcpCall(refreshed.body.access_token!)).status).toBe(200);

      const revoke = await fetch(`${server.url}/revoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: refreshed.body.access_token!, client_id: clientId }),
      });
      expect(revoke.status).toBe(200);
      const after = await mcpCall(refreshed.body.access_token!);
      expect(after.status).toBe(401);
      expect(after.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
      await client.close();
    });

    it('revokes the whole grant when a rotated refresh token is reused', async () => {
      const { client, oauth } = await connect(KEY_A);
      const clientId = oauth.info!.client_id;
      const original = oauth.saved!.refresh_token!;
      const rotated = await token({
        grant_type: 'refresh_token',
        refresh_token: original,
        client_id: clientId,
      });
      expect(rotated.status).toBe(200);
      const reuse = await token({
        grant_type: 'refresh_token',
        refresh_token: original,
        client_id: clientId,
      });
      expect(reuse.status).toBe(400);
      expect(reuse.body.error).toBe('invalid_grant');
      expect((await mcpCall(rotated.body.access_token!)).status).toBe(401);
      expect(
        (
          await token({
            grant_type: 'refresh_token',
            refresh_token: rotated.body.refresh_token!,
            client_id: clientId,
          })
        ).body.error,
      ).toBe('invalid_grant');
      await client.close();
    });

    it('keeps two users apart: each sees only their own tasks', async () => {
      const a = await connect(KEY_A);
      const b = await connect(KEY_B);
      const mine = await a.client.callTool({
        name: 'run',
        arguments: { model: 'runware:101@1', positivePrompt: 'only for A', width: 512, height: 512 },
      });
      const taskUUID = (mine.structuredContent as { taskUUID: string }).taskUUID;
      expect(
        (await a.client.callTool({ name: 'get_task_details', arguments: { taskUUID } })).structuredContent,
      ).toMatchObject({ taskUUID, status: 'success' });
      const theirs = await b.client.callTool({ name: 'get_task_details', arguments: { taskUUID } });
      expect(theirs.isError).toBe(true);
      await a.client.close();
      await b.client.close();
    });

    it('re-renders the page with a clear message for a rejected key, and asks to reconnect after the key is revoked upstream', async () => {
      const oauth = new TestOAuthClient();
      const transport = new StreamableHTTPClientTransport(new URL(server.mcpUrl), { authProvider: oauth });
      await expect(new Client({ name: 't', version: '1' }).connect(transport)).rejects.toThrow();
      const wrong = await approveInBrowserless(oauth.authorizationUrl!, 'rw-not-a-real-key-000');
      expect(wrong.callback).toBeUndefined();
      expect(wrong.status).toBe(400);
      expect(wrong.html).toMatch(/Runware rejected this API key/);
      expect(wrong.html).not.toContain('rw-not-a-real-key-000');

      const { client } = await connect(KEY_B);
      await sim.admin.revoke(KEY_B);
      const result = await client.callTool({ name: 'account', arguments: {} });
      expect(result.isError).toBe(true);
      expect(JSON.stringify(result.content)).toMatch(/Reconnect this MCP server/);
      await client.close();
    });

    it('never exposes the API key in responses, logs or the store (SQLite file or a DUMP of every Redis key)', async () => {
      expect(bodies.join('\n')).not.toContain(KEY_A);
      expect(server.logs()).not.toContain(KEY_A);
      expect(server.logs()).not.toContain(KEY_B);
      const blobs: Array<[string, Buffer]> = [];
      if (engine === 'sqlite') {
        for (const f of readdirSync(server.dataDir).filter((f) => f.startsWith('runware-mcp.db'))) {
          blobs.push([f, readFileSync(join(server.dataDir, f))]);
        }
      } else {
        const client = new Redis(redis!.url);
        for (const key of await client.keys('*')) {
          const dump = await client.dumpBuffer(key);
          if (dump) blobs.push([key, dump]);
        }
        client.disconnect();
      }
      expect(blobs.length).toBeGreaterThan(0);
      for (const [name, bytes] of blobs) {
        expect(bytes.includes(Buffer.from(KEY_A)), name).toBe(false);
        expect(bytes.includes(Buffer.from(KEY_B)), name).toBe(false);
      }
    });
  });
});
