import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostedServer, STORE_ENGINES, startHostedServerOn } from './support/hosted-server.js';
import { type SimulatorProcess, spawnSimulator } from './support/simulator-process.js';
import { obtainAccessToken } from './support/token-proxy.js';

// The MCP endpoint answers hot catalog reads itself (plain JSON) and leaves everything else to the SDK's
// transport (SSE). Both must give the same answers: each request goes once each way and the results are compared.
const KEY = 'rw-direct-path-key-5c1e';
let sim: SimulatorProcess;
let server: HostedServer;
let token: string;

beforeAll(async () => {
  sim = await spawnSimulator({ keys: [KEY] });
});
afterAll(async () => {
  await sim?.stop();
});

/** Without the protocol-version header the request is not eligible for a direct answer: the SDK serves it. */
async function post(message: unknown, viaSdk: boolean) {
  const response = await fetch(server.mcpUrl, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(viaSdk ? {} : { 'mcp-protocol-version': '2025-06-18' }),
    },
    body: JSON.stringify(message),
  });
  const type = response.headers.get('content-type') ?? '';
  const text = await response.text();
  const json = type.includes('text/event-stream')
    ? JSON.parse(
        text
          .split('\n')
          .filter((l) => l.startsWith('data: '))
          .at(-1)!
          .slice(6),
      )
    : JSON.parse(text);
  return { status: response.status, type, json };
}

/** fetch cannot set Host: a raw POST with the given extra headers, answered with its status. */
function rawStatus(path: string, headers: Record<string, string>): Promise<number> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path,
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.once('error', reject);
    req.end('{}');
  });
}

const call = (name: string, args: Record<string, unknown>) => ({
  method: 'tools/call',
  params: { name, arguments: args },
});

const REQUESTS: Array<[string, { method: string; params?: Record<string, unknown> }]> = [
  ['tools/list', { method: 'tools/list' }],
  ['ping', { method: 'ping' }],
  ['resources/list', { method: 'resources/list' }],
  ['resources/templates/list', { method: 'resources/templates/list' }],
  ['prompts/list', { method: 'prompts/list' }],
  ['list_models', call('list_models', { category: 'video', sort: 'price', limit: 3 })],
  ['list_models with a search', call('list_models', { search: 'flux', limit: 2 })],
  ['list_models with a bad cursor', call('list_models', { cursor: 'not-a-cursor' })],
  ['model_details', call('model_details', { air: 'google:4@2' })],
  ['model_details of an unknown model', call('model_details', { air: 'nope:1@1' })],
  ['model_pricing', call('model_pricing', { model: 'google:4@2' })],
  ['model_examples', call('model_examples', { model: 'google:4@2' })],
  ['model_schema', call('model_schema', { model: 'google:4@2' })],
  ['list_capabilities', call('list_capabilities', {})],
  ['invalid arguments', call('list_models', { limit: 'many' })],
];

describe.each(STORE_ENGINES)('direct answers on the MCP endpoint (%s store)', (engine) => {
  beforeAll(async () => {
    // Offline catalog: both paths must answer from the same catalog state, which a background revalidation
    // from the live services would change between the two requests of a pair.
    server = await startHostedServerOn(engine, { apiUrl: sim.apiUrl, env: { RUNWARE_OFFLINE: '1' } });
    token = await obtainAccessToken(server.url, KEY);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it.each(REQUESTS)('%s: the direct answer equals the SDK transport answer', async (_label, request) => {
    const direct = await post({ jsonrpc: '2.0', id: 7, ...request }, false);
    const sdk = await post({ jsonrpc: '2.0', id: 7, ...request }, true);
    expect(direct.status).toBe(200);
    expect(sdk.status).toBe(200);
    expect(direct.type).toContain('application/json');
    expect(sdk.type).toContain('text/event-stream');
    expect(direct.json).toEqual(sdk.json);
    expect(direct.json.id).toBe(7);
  });

  it('leaves calls that reach upstream, report progress or arrive in batches to the SDK', async () => {
    const account = await post({ jsonrpc: '2.0', id: 1, ...call('account', {}) }, false);
    expect(account.type).toContain('text/event-stream');
    expect(account.json.result.isError).toBeFalsy();
    const withProgress = await post(
      {
        jsonrpc: '2.0',
        id: 2,
        method: 'tools/call',
        params: { name: 'list_models', arguments: { limit: 1 }, _meta: { progressToken: 'p1' } },
      },
      false,
    );
    expect(withProgress.type).toContain('text/event-stream');
    expect(withProgress.json.result.structuredContent.models).toHaveLength(1);
    const notification = await fetch(server.mcpUrl, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2025-06-18',
      },
      body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    });
    expect(notification.status).toBe(202);
  });

  it('still refuses a foreign Host or Origin (DNS rebinding), a missing token and a body over 1 MiB', async () => {
    for (const path of ['/mcp', '/', '/register']) {
      expect(await rawStatus(path, { host: 'evil.example' })).toBe(403);
      expect(await rawStatus(path, { origin: 'http://evil.example' })).toBe(403);
    }
    const noToken = await fetch(server.mcpUrl, { method: 'POST', body: '{}' });
    expect(noToken.status).toBe(401);
    expect(noToken.headers.get('www-authenticate')).toContain('resource_metadata=');
    const huge = await fetch(server.mcpUrl, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2025-06-18',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'ping',
        params: { pad: 'x'.repeat(1100 * 1024) },
      }),
    });
    expect(huge.status).toBe(413);
  });
});
