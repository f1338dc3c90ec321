import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostedServer, startHostedServer } from './support/hosted-server.js';
import {
  initialize2025,
  legacyRequest,
  modernRequest,
  pollTask,
  type RawStdio,
  spawnRawStdio,
  TASKS_EXTENSION,
} from './support/raw-rpc.js';
import { SERVER_NODE } from './support/server-node.js';
import { type SimulatorProcess, spawnSimulator } from './support/simulator-process.js';
import { runwareEnv } from './support/stdio-client.js';
import { obtainAccessToken } from './support/token-proxy.js';

/**
 * `run` as an MCP task, both wires: the 2025-11-25 experimental tasks over stdio (raw JSON-RPC and the SDK
 * client) and the 2026-07-28 tasks extension over HTTP (raw JSON-RPC and the SDK client, which can read and
 * cancel tasks but, in 2.4, refuses a `resultType: "task"` answer to its own tools/call). A task's id is the
 * Runware taskUUID: get_task_details, tasks/get and the charge all name the same thing.
 */

const KEY = 'rw-mcp-tasks-key-5e6f7a8b';
const OTHER_KEY = 'rw-mcp-tasks-other-9c0d1e2f';
const VIDEO = { model: 'google:3@3', positivePrompt: 'a task', width: 1280, height: 720, duration: 4 };
/** The SDK client checks results against a schema; these tests read the raw task shapes. */
const ANY = {
  '~standard': { version: 1, vendor: 'tests', validate: (value: unknown) => ({ value }) },
} as never;
// biome-ignore lint/suspicious/noExplicitAny: raw JSON-RPC answers, read field by field
type Loose = Record<string, any>;

let sim: SimulatorProcess;
beforeAll(async () => {
  sim = await spawnSimulator({ keys: [KEY, OTHER_KEY], asyncDelayMs: 3000 });
});
afterAll(async () => {
  await sim?.stop();
});

const stdioEnv = (dataDir: string) => ({
  RUNWARE_API_KEY: KEY,
  RUNWARE_API_URL: sim.apiUrl,
  RUNWARE_MCP_DATA_DIR: dataDir,
});
const chargesOf = async (taskUUID: string) =>
  (await sim.admin.charges()).filter((c) => c.taskUUID === taskUUID);

describe('2025-11-25 tasks over stdio, raw JSON-RPC', () => {
  let rpc: RawStdio;
  beforeAll(async () => {
    rpc = spawnRawStdio(stdioEnv(mkdtempSync(join(tmpdir(), 'runware-tasks-'))));
    const init = await initialize2025(rpc, { tasks: {} });
    expect(init.result!.capabilities).toMatchObject({
      tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } },
    });
  });
  afterAll(() => rpc?.close());

  it('lists run and get_task_details with execution.taskSupport "optional"', async () => {
    const { tools } = (await rpc.request('tools/list')).result as { tools: Loose[] };
    const support = Object.fromEntries(tools.map((t) => [t.name, t.execution?.taskSupport]));
    expect(support).toMatchObject({ run: 'optional', get_task_details: 'optional', list_models: undefined });
  });

  it('answers tools/call with params.task with a task; tasks/get, tasks/result and tasks/list follow it', async () => {
    const created = await rpc.request('tools/call', { name: 'run', arguments: VIDEO, task: { ttl: 60_000 } });
    const task = created.result!.task as Loose;
    expect(task).toMatchObject({
      status: 'working',
      ttl: expect.any(Number),
      pollInterval: expect.any(Number),
    });
    expect(Date.parse(task.createdAt)).not.toBeNaN();
    const working = await rpc.request('tasks/get', { taskId: task.taskId });
    expect(working.result).toMatchObject({ taskId: task.taskId, status: 'working' });

    // tasks/result blocks until the task ends, then answers what the call itself would have answered.
    const result = (await rpc.request('tasks/result', { taskId: task.taskId })).result as Loose;
    expect(result.structuredContent).toMatchObject({ status: 'success', taskUUID: task.taskId, cost: 0.4 });
    expect(result._meta['io.modelcontextprotocol/related-task']).toEqual({ taskId: task.taskId });
    expect((await rpc.request('tasks/get', { taskId: task.taskId })).result).toMatchObject({
      status: 'completed',
      statusMessage: expect.stringMatching(/^Veo 3\.1 Fast · finished · \d+ s$/),
    });
    const listed = (await rpc.request('tasks/list')).result!.tasks as Loose[];
    expect(listed.map((t) => t.taskId)).toContain(task.taskId);
    // One id space: the MCP task is the Runware task, charged once.
    const details = await rpc.request('tools/call', {
      name: 'get_task_details',
      arguments: { taskUUID: task.taskId },
    });
    expect(details.result!.structuredContent).toMatchObject({ status: 'success', taskUUID: task.taskId });
    expect(await chargesOf(task.taskId)).toHaveLength(1);
    // 2025-11-25: cancelling a task that has ended is invalid params.
    expect((await rpc.request('tasks/cancel', { taskId: task.taskId })).error?.code).toBe(-32602);
  });

  it('a refusal before anything is sent is a task too (the wire asks for one): failed, with the tool error as result', async () => {
    const created = await rpc.request('tools/call', {
      name: 'run',
      arguments: { model: 'google:3@3', positivePrompt: 'no size' },
      task: {},
    });
    const taskId = (created.result!.task as Loose).taskId;
    const result = (await rpc.request('tasks/result', { taskId })).result as Loose;
    expect(result.isError).toBe(true);
    expect(result.content[0].text).toMatch(
      /Invalid parameters for google:3@3 \(nothing was sent or charged\)/,
    );
    expect((await rpc.request('tasks/get', { taskId })).result).toMatchObject({ status: 'failed' });
  });

  it('without params.task, run answers as it always did', async () => {
    const direct = await rpc.request('tools/call', {
      name: 'run',
      arguments: { ...VIDEO, positivePrompt: 'inline' },
    });
    expect(direct.result!.task).toBeUndefined();
    expect(direct.result!.structuredContent).toMatchObject({ status: 'success', taskType: 'videoInference' });
  });

  it('an unknown task id is invalid params', async () => {
    const reply = await rpc.request('tasks/get', { taskId: '00000000-0000-4000-8000-000000000000' });
    expect(reply.error?.code).toBe(-32602);
  });
});

describe('2025-11-25 tasks over stdio, SDK client', () => {
  it('creates a task, sees it working, cancels it (cancelled stays cancelled) and polling stops', async () => {
    const client = new Client({ name: 'sdk-tasks', version: '1' }, { capabilities: { tasks: {} } as never });
    await client.connect(
      new StdioClientTransport({
        command: SERVER_NODE,
        args: ['dist/cli.js'],
        env: {
          ...(process.env as Record<string, string>),
          LOG_LEVEL: 'silent',
          ...runwareEnv(stdioEnv(mkdtempSync(join(tmpdir(), 'runware-tasks-')))),
        },
      }),
    );
    const created = (await client.request(
      {
        method: 'tools/call',
        params: { name: 'run', arguments: { ...VIDEO, positivePrompt: 'cancel me' }, task: {} },
      } as never,
      ANY,
    )) as Loose;
    const taskId = created.task.taskId;
    expect(created.task.status).toBe('working');
    const cancelled = (await client.request(
      { method: 'tasks/cancel', params: { taskId } } as never,
      ANY,
    )) as Loose;
    expect(cancelled).toMatchObject({ taskId, status: 'cancelled' });
    // Past the time the video takes, it is still cancelled, and its result is an error.
    await new Promise((r) => setTimeout(r, 4500));
    expect(await client.request({ method: 'tasks/get', params: { taskId } } as never, ANY)).toMatchObject({
      status: 'cancelled',
    });
    await expect(
      client.request({ method: 'tasks/result', params: { taskId } } as never, ANY),
    ).rejects.toThrow(/cancelled/);
    await client.close();
  });
});

describe('2026-07-28 tasks extension over HTTP', () => {
  let server: HostedServer;
  let token: string;
  beforeAll(async () => {
    server = await startHostedServer({ apiUrl: sim.apiUrl });
    token = await obtainAccessToken(server.url, KEY);
  });
  afterAll(async () => {
    await server?.stop();
  });
  const call = (
    method: string,
    params: Record<string, unknown> = {},
    capabilities?: Record<string, unknown>,
  ) => modernRequest(server.mcpUrl, token, method, params, capabilities);

  it('raw JSON-RPC: server/discover advertises the extension; run answers resultType "task"; tasks/get inlines the result', async () => {
    const discover = await call('server/discover');
    expect(discover.result!.capabilities).toMatchObject({ extensions: { [TASKS_EXTENSION]: {} } });
    expect(discover.result!.capabilities).not.toHaveProperty('tasks');

    const created = (await call('tools/call', { name: 'run', arguments: VIDEO })).result as Loose;
    expect(created).toMatchObject({ resultType: 'task', status: 'working', ttlMs: expect.any(Number) });
    expect(created).not.toHaveProperty('task');
    expect(created).not.toHaveProperty('result');
    const { taskId } = created;
    const done = await pollTask(() => call('tasks/get', { taskId }));
    expect(done).toMatchObject({ resultType: 'complete', status: 'completed' });
    expect((done.result as Loose).structuredContent).toMatchObject({
      status: 'success',
      taskUUID: taskId,
      cost: 0.4,
    });
    expect(await chargesOf(taskId)).toHaveLength(1);
  });

  it('raw JSON-RPC: a request without the extension gets what it always got, and tasks/* refuse it (-32021)', async () => {
    const plain = (
      await call('tools/call', { name: 'run', arguments: { ...VIDEO, positivePrompt: 'plain' } }, {})
    ).result as Loose;
    expect(plain.resultType).toBe('complete');
    expect(plain.structuredContent).toMatchObject({ status: 'success' });
    const gated = await call('tasks/get', { taskId: plain.structuredContent.taskUUID }, {});
    expect(gated.error?.code).toBe(-32021);
  });

  it('raw JSON-RPC: any run is a task of the same id (one id space), so a run that answered inline reads as completed', async () => {
    const inline = (
      await call('tools/call', { name: 'run', arguments: { ...VIDEO, positivePrompt: 'inline' } }, {})
    ).result as Loose;
    const taskUUID = inline.structuredContent.taskUUID;
    const seen = (await call('tasks/get', { taskId: taskUUID })).result as Loose;
    expect(seen).toMatchObject({ taskId: taskUUID, status: 'completed' });
    expect(seen.result.structuredContent).toMatchObject({ taskUUID, status: 'success' });
  });

  it('2025-11-25 over HTTP too (each request stateless): the task outlives the request that created it', async () => {
    const legacy = (method: string, params: Record<string, unknown> = {}) =>
      legacyRequest(server.mcpUrl, token, method, params);
    const created = await legacy('tools/call', {
      name: 'run',
      arguments: { ...VIDEO, positivePrompt: 'http 2025' },
      task: {},
    });
    const { taskId } = created.result!.task as Loose;
    expect((await legacy('tasks/get', { taskId })).result).toMatchObject({ taskId, status: 'working' });
    const result = (await legacy('tasks/result', { taskId })).result as Loose;
    expect(result.structuredContent).toMatchObject({ status: 'success', taskUUID: taskId });
    expect(((await legacy('tasks/list')).result!.tasks as Loose[]).map((t) => t.taskId)).toContain(taskId);
  });

  it("another account's token sees no such task: not readable, not cancellable", async () => {
    const { taskId } = (
      await call('tools/call', { name: 'run', arguments: { ...VIDEO, positivePrompt: 'mine' } })
    ).result as Loose;
    const other = await obtainAccessToken(server.url, OTHER_KEY);
    expect((await modernRequest(server.mcpUrl, other, 'tasks/get', { taskId })).error?.code).toBe(-32602);
    expect((await modernRequest(server.mcpUrl, other, 'tasks/cancel', { taskId })).error?.code).toBe(-32602);
    expect((await pollTask(() => call('tasks/get', { taskId }))).status).toBe('completed');
  });

  it('SDK client (2026-07-28): sees the extension, reads and cancels tasks with tasks/get and tasks/cancel', async () => {
    const client = new Client({ name: 'sdk-tasks-2026', version: '1' }, {
      capabilities: { extensions: { [TASKS_EXTENSION]: {} } } as never,
      versionNegotiation: { mode: 'auto' },
    } as never);
    await client.connect(
      new StreamableHTTPClientTransport(new URL(server.mcpUrl), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    expect(client.getServerCapabilities()).toMatchObject({ extensions: { [TASKS_EXTENSION]: {} } });
    // The SDK 2.4 client has no tasks runtime: the task is created over raw JSON-RPC, then handled by the client.
    const { taskId } = (
      await call('tools/call', { name: 'run', arguments: { ...VIDEO, positivePrompt: 'sdk' } })
    ).result as Loose;
    const working = (await client.request(
      { method: 'tasks/get', params: { taskId } } as never,
      ANY,
    )) as Loose;
    expect(working).toMatchObject({ taskId, status: 'working' });
    // An empty acknowledgement (the client strips resultType: "complete"); the state shows on tasks/get.
    const ack = (await client.request({ method: 'tasks/cancel', params: { taskId } } as never, ANY)) as Loose;
    expect(Object.keys(ack).filter((k) => k !== '_meta')).toEqual([]);
    expect(await client.request({ method: 'tasks/get', params: { taskId } } as never, ANY)).toMatchObject({
      status: 'cancelled',
    });
    await client.close();
  });
});
