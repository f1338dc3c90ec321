import { randomBytes } from 'node:crypto';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostedServer, postToolsList, startHostedServer } from './support/hosted-server.js';
import { type RedisServer, startRedis } from './support/redis-server.js';
import { type SimulatorProcess, spawnSimulator } from './support/simulator-process.js';
import { obtainTokens } from './support/token-proxy.js';

const KEY = 'rw-replicas-key-9a8b7c6d';
const KEK = randomBytes(32).toString('base64');
let sim: SimulatorProcess;
let redis: RedisServer;
let a: HostedServer;
let b: HostedServer;

/** Two replicas behind one public URL (as behind a load balancer), sharing one Redis and one KEK. */
async function replica(publicUrl?: string): Promise<HostedServer> {
  return startHostedServer({
    apiUrl: sim.apiUrl,
    args: ['--store', redis.url, ...(publicUrl ? ['--public-url', publicUrl] : [])],
    env: { RUNWARE_MCP_KEK: KEK, RUNWARE_RUN_DEADLINE_MS: '1500' },
  });
}

async function clientOn(server: HostedServer, accessToken: string) {
  const client = new Client({ name: 'replicas', version: '1' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(server.mcpUrl), {
      requestInit: { headers: { authorization: `Bearer ${accessToken}` } },
    }),
  );
  return client;
}

const listTools = (server: HostedServer, accessToken: string) => postToolsList(server.mcpUrl, accessToken);

beforeAll(async () => {
  sim = await spawnSimulator({ keys: [KEY], asyncDelayMs: 4000 });
  redis = await startRedis();
  a = await replica();
  b = await replica(a.url);
});
afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await redis?.stop();
  await sim?.stop();
});

describe('two replicas sharing Redis', () => {
  it('authorizes on A, calls on B; refresh on B and revoke on A kill the token on both', async () => {
    const tokens = await obtainTokens(a.url, KEY);
    const onB = await clientOn(b, tokens.access_token);
    expect((await onB.listTools()).tools).toHaveLength(12);
    await onB.close();
    const refreshed = (await (
      await fetch(`${b.url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: tokens.refresh_token,
          client_id: tokens.client_id,
        }),
      })
    ).json()) as { access_token: string };
    expect((await listTools(a, refreshed.access_token)).status).toBe(200);
    const revoke = await fetch(`${a.url}/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: refreshed.access_token, client_id: tokens.client_id }),
    });
    expect(revoke.status).toBe(200);
    expect((await listTools(a, refreshed.access_token)).status).toBe(401);
    expect((await listTools(b, refreshed.access_token)).status).toBe(401);
  });

  it('shows a run submitted on A from B, and B finishes an async task after A is SIGKILLed, charged once', async () => {
    const { access_token } = await obtainTokens(a.url, KEY);
    const onA = await clientOn(a, access_token);
    const image = await onA.callTool({
      name: 'run',
      arguments: { model: 'runware:101@1', positivePrompt: 'seen from B', width: 512, height: 512 },
    });
    const video = await onA.callTool({
      name: 'run',
      arguments: {
        model: 'google:3@3',
        positivePrompt: 'survives a crash',
        width: 1280,
        height: 720,
        duration: 4,
      },
    });
    expect(video.structuredContent).toMatchObject({ status: 'processing' });
    const videoUUID = (video.structuredContent as { taskUUID: string }).taskUUID;
    await onA.close();
    await a.stop('SIGKILL');

    const onB = await clientOn(b, access_token);
    const imageUUID = (image.structuredContent as { taskUUID: string }).taskUUID;
    expect(
      (await onB.callTool({ name: 'get_task_details', arguments: { taskUUID: imageUUID } }))
        .structuredContent,
    ).toMatchObject({ status: 'success' });
    let details = await onB.callTool({ name: 'get_task_details', arguments: { taskUUID: videoUUID } });
    for (
      let i = 0;
      i < 10 && (details.structuredContent as { status: string }).status === 'processing';
      i++
    ) {
      details = await onB.callTool({ name: 'get_task_details', arguments: { taskUUID: videoUUID } });
    }
    expect(details.structuredContent).toMatchObject({ status: 'success', taskUUID: videoUUID, cost: 0.4 });
    expect((await sim.admin.charges()).filter((c) => c.taskUUID === videoUUID)).toHaveLength(1);
    await onB.close();
  });

  it('fails clearly while Redis is down (503 on /readyz, "try again") and recovers without a restart', async () => {
    // A replica that is its own public URL (A is gone, and sign-in redirects go to the public URL).
    const c = await replica();
    const { access_token } = await obtainTokens(c.url, KEY);
    await redis.stop();
    const ready = await fetch(`${c.url}/readyz`);
    expect(ready.status).toBe(503);
    const call = await listTools(c, access_token);
    expect(call.status).toBe(503);
    expect(await call.text()).toMatch(/try again/);
    await redis.restart();
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = (await fetch(`${c.url}/readyz`)).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
    // This Redis keeps no data across restarts, so users sign in again; the server itself needed no restart.
    const fresh = await obtainTokens(c.url, KEY);
    expect((await listTools(c, fresh.access_token)).status).toBe(200);
    await c.stop();
  });
});
