import { pathToFileURL } from 'node:url';
import { Client, type ClientCapabilities, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostedServer, startHostedServer } from './support/hosted-server.js';
import { type SimulatorProcess, spawnSimulator } from './support/simulator-process.js';
import { connectStdio, type StdioSession } from './support/stdio-client.js';
import { STUDIO_CAPABILITIES } from './support/studio-host.js';
import { obtainAccessToken } from './support/token-proxy.js';

// Runware Studio's metadata as clients see it, over stdio and over HTTP (both protocol eras): the app resource,
// the tools that link it, the app-only tool, and what a result carries with and without the Apps extension.
const KEY = 'rw-studio-meta-key';
const STUDIO = 'ui://runware/studio';
const MIME = 'text/html;profile=mcp-app';
const RUNWARE_MEDIA = [
  'https://im.runware.ai',
  'https://vm.runware.ai',
  'https://am.runware.ai',
  'https://assets.runware.ai',
  'https://mim.runware.ai',
];
const LINKED = ['run', 'get_task_details', 'list_models'];

type Tool = { name: string; _meta?: Record<string, unknown> };
type Result = {
  content: Array<{ type: string; text?: string; uri?: string }>;
  structuredContent?: Record<string, unknown>;
  _meta?: Record<string, unknown>;
};

let sim: SimulatorProcess;
beforeAll(async () => {
  sim = await spawnSimulator({ keys: [KEY], asyncDelayMs: 300 });
});
afterAll(() => sim?.stop());

const imageRun = { model: 'runware:101@1', positivePrompt: 'a blue door', width: 512, height: 512 };

/** What every client is told about the app and its tools, whatever the transport. */
async function expectStudioListings(client: Client, apiOrigin: string) {
  const { tools } = (await client.listTools()) as { tools: Tool[] };
  for (const name of LINKED) {
    expect(tools.find((t) => t.name === name)?._meta, name).toEqual({
      ui: { resourceUri: STUDIO },
      'ui/resourceUri': STUDIO,
    });
  }
  expect(tools.find((t) => t.name === 'studio_task_status')?._meta).toEqual({
    ui: { resourceUri: STUDIO, visibility: ['app'] },
  });
  // What a host shows its model: every tool but the app-only one.
  const forModel = tools.filter((t) => {
    const visibility = (t._meta?.ui as { visibility?: string[] } | undefined)?.visibility;
    return !visibility || visibility.includes('model');
  });
  expect(forModel.map((t) => t.name)).not.toContain('studio_task_status');
  const { resources } = await client.listResources();
  const listed = resources.find((r) => r.uri === STUDIO);
  expect(listed).toMatchObject({ name: 'runware-studio', mimeType: MIME });
  const { contents } = await client.readResource({ uri: STUDIO });
  const app = contents[0] as { uri: string; mimeType: string; text: string; _meta: Record<string, unknown> };
  expect(app.uri).toBe(STUDIO);
  expect(app.mimeType).toBe(MIME);
  // Media from Runware's hosts and the configured API host (here the simulator), nothing else, no connections.
  const meta = { ui: { csp: { resourceDomains: [...RUNWARE_MEDIA, apiOrigin] }, prefersBorder: true } };
  expect(app._meta).toEqual(meta);
  expect(listed?._meta).toEqual(meta);
  return app;
}

describe('Runware Studio over stdio', () => {
  let ui: StdioSession;
  let plain: StdioSession;
  beforeAll(async () => {
    const env = { RUNWARE_API_KEY: KEY, RUNWARE_API_URL: sim.apiUrl };
    ui = await connectStdio(env, { capabilities: STUDIO_CAPABILITIES });
    // The same data dir: both clients see the same recorded tasks.
    plain = await connectStdio(env, { dataDir: ui.dataDir });
  });
  afterAll(async () => {
    await ui?.close();
    await plain?.close();
  });

  it('lists the app and its tools to a client that declared the extension; the app is one self-contained file under 150 KB', async () => {
    const app = await expectStudioListings(ui.client, new URL(sim.apiUrl).origin);
    expect(app.text.startsWith('<!doctype html>')).toBe(true);
    // Nothing fetched: no script or stylesheet by URL, no fetch/XHR/WebSocket in the code.
    expect(app.text).not.toMatch(/<script[^>]+src=|<link[^>]+href=|@import/i);
    expect(app.text).not.toMatch(/\bfetch\(|XMLHttpRequest|WebSocket|EventSource/);
    const bytes = Buffer.byteLength(app.text);
    console.log(`Runware Studio: ${(bytes / 1024).toFixed(1)} KiB (budget 150 KB)`);
    expect(bytes).toBeLessThan(150_000);
  });

  it('shows a client without the extension the server as before: no app-only tool, no app resource', async () => {
    const withUi = (await ui.client.listTools()) as { tools: Tool[] };
    const without = (await plain.client.listTools()) as { tools: Tool[] };
    expect(without.tools).toEqual(withUi.tools.filter((t) => t.name !== 'studio_task_status'));
    const resources = await plain.client.listResources();
    expect(resources.resources.map((r) => r.uri)).not.toContain(STUDIO);
    expect((await ui.client.listResources()).resources[0]!.uri).toBe(STUDIO);
    // The resource itself is readable by anyone who asks.
    const read = await plain.client.readResource({ uri: STUDIO });
    expect((read.contents[0] as { mimeType: string }).mimeType).toBe(MIME);
  });

  it("the same task: today's text, structuredContent and links without the extension; no resource_link with it", async () => {
    const run = (await ui.client.callTool({ name: 'run', arguments: imageRun })) as Result;
    expect(run.content.some((b) => b.type === 'resource_link')).toBe(false);
    const taskUUID = run.structuredContent!.taskUUID as string;
    const withUi = (await ui.client.callTool({
      name: 'get_task_details',
      arguments: { taskUUID },
    })) as Result;
    const without = (await plain.client.callTool({
      name: 'get_task_details',
      arguments: { taskUUID },
    })) as Result;
    const url = (without.structuredContent!.outputs as Array<{ url: string }>)[0]!.url;
    // The URL, and beside it the copy saved locally (stdio saves every output; the sessions share a data dir).
    const path = (without.structuredContent!.outputs as Array<{ path: string }>)[0]!.path;
    expect(without.content.filter((b) => b.type === 'resource_link').map((b) => b.uri)).toEqual([
      url,
      pathToFileURL(path).href,
    ]);
    expect(without._meta).toBeUndefined();
    expect(withUi.content).toEqual(without.content.filter((b) => b.type !== 'resource_link'));
    expect(withUi.structuredContent).toEqual(without.structuredContent);
    // The URL is still in the text the model reads; the app gets the model's name outside it.
    expect(withUi.content[0]!.text).toContain(url);
    expect(withUi._meta).toEqual({ 'ai.runware/studio': { modelName: expect.any(String) } });
  });

  it("studio_task_status answers one poll at once with Runware's progress, then the result", async () => {
    const video = { model: 'google:3@3', positivePrompt: 'rain', width: 1280, height: 720, duration: 4 };
    const slow = await connectStdio(
      { RUNWARE_API_KEY: KEY, RUNWARE_API_URL: sim.apiUrl, RUNWARE_RUN_DEADLINE_MS: '1' },
      { capabilities: STUDIO_CAPABILITIES, dataDir: ui.dataDir },
    );
    try {
      const started = (await slow.client.callTool({ name: 'run', arguments: video })) as Result;
      expect(started.structuredContent!.status).toBe('processing');
      const taskUUID = started.structuredContent!.taskUUID as string;
      let status: Result | undefined;
      for (let i = 0; i < 100; i++) {
        status = (await slow.client.callTool({
          name: 'studio_task_status',
          arguments: { taskUUID },
        })) as Result;
        if (status.structuredContent!.status !== 'processing') break;
        expect(status.structuredContent!.progress).toEqual(expect.any(Number));
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(status!.structuredContent!.status).toBe('success');
      expect(status!.content.some((b) => b.type === 'resource_link')).toBe(false);
      const unknown = (await slow.client.callTool({
        name: 'studio_task_status',
        arguments: { taskUUID: '00000000-0000-4000-8000-000000000000' },
      })) as Result & { isError?: boolean };
      expect(unknown.isError).toBe(true);
    } finally {
      await slow.close();
    }
  });

  it("offline, the policy names Runware's media hosts only", async () => {
    const offline = await connectStdio({}, { capabilities: STUDIO_CAPABILITIES });
    try {
      const { contents } = await offline.client.readResource({ uri: STUDIO });
      expect((contents[0] as { _meta: unknown })._meta).toEqual({
        ui: { csp: { resourceDomains: RUNWARE_MEDIA }, prefersBorder: true },
      });
    } finally {
      await offline.close();
    }
  });
});

describe('Runware Studio over HTTP (hosted)', () => {
  let server: HostedServer;
  let token: string;
  const clients: Client[] = [];
  beforeAll(async () => {
    server = await startHostedServer({ apiUrl: sim.apiUrl });
    token = await obtainAccessToken(server.url, KEY);
  }, 60_000);
  afterAll(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    await server?.stop();
  });

  async function connect(capabilities: ClientCapabilities, modern: boolean) {
    const client = new Client(
      { name: 'studio-meta', version: '1.0.0' },
      { capabilities, ...(modern ? { versionNegotiation: { mode: 'auto' as const } } : {}) },
    );
    await client.connect(
      new StreamableHTTPClientTransport(new URL(server.mcpUrl), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    clients.push(client);
    return client;
  }

  it('2026-07-28: the extension declared in each request gets the app, the app-only tool and link-free results', async () => {
    const client = await connect(STUDIO_CAPABILITIES, true);
    expect(client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
    await expectStudioListings(client, new URL(sim.apiUrl).origin);
    const run = (await client.callTool({ name: 'run', arguments: imageRun })) as Result;
    expect(run.structuredContent!.status).toBe('success');
    expect(run.content.some((b) => b.type === 'resource_link')).toBe(false);
    expect(run._meta?.['ai.runware/studio']).toEqual({ modelName: expect.any(String) });
  });

  it('2025-era requests are stateless and declare nothing: tools still link the app, results stay as today', async () => {
    const client = await connect(STUDIO_CAPABILITIES, false);
    const { tools } = (await client.listTools()) as { tools: Tool[] };
    expect(tools.find((t) => t.name === 'run')?._meta).toEqual({
      ui: { resourceUri: STUDIO },
      'ui/resourceUri': STUDIO,
    });
    expect(tools.map((t) => t.name)).not.toContain('studio_task_status');
    const { contents } = await client.readResource({ uri: STUDIO });
    expect((contents[0] as { mimeType: string }).mimeType).toBe(MIME);
    const run = (await client.callTool({ name: 'run', arguments: imageRun })) as Result;
    expect(run.content.filter((b) => b.type === 'resource_link')).toHaveLength(1);
    expect(run._meta).toBeUndefined();
  });

  it('2026-07-28 without the extension: as before', async () => {
    const client = await connect({}, true);
    const { tools } = (await client.listTools()) as { tools: Tool[] };
    expect(tools.map((t) => t.name)).not.toContain('studio_task_status');
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).not.toContain(STUDIO);
    const run = (await client.callTool({ name: 'run', arguments: imageRun })) as Result;
    expect(run.content.filter((b) => b.type === 'resource_link')).toHaveLength(1);
  });
});
