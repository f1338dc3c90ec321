import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostedServer, STORE_ENGINES, startHostedServer } from '../support/hosted-server.js';
import { freePort, type RedisServer, startRedis } from '../support/redis-server.js';
import { type SimulatorProcess, spawnSimulator } from '../support/simulator-process.js';
import { obtainTokens } from '../support/token-proxy.js';
import { timedCall } from '../support/tool-session.js';

const KEY = 'rw-durability-key-3e7f1a9c';
const KEK = randomBytes(32).toString('base64');
/** Long enough for the server to be killed while it polls, short enough to finish after the restart. */
const ASYNC_DELAY_MS = 6000;
const VIDEO = {
  model: 'google:3@3',
  positivePrompt: 'a lighthouse that survives the storm',
  width: 1280,
  height: 720,
  duration: 4,
};

let sim: SimulatorProcess;
const outcome: Record<string, { ok: boolean; charges: number; records: number; detail?: string }> = {};

beforeAll(async () => {
  sim = await spawnSimulator({ keys: [KEY], balance: 20, asyncDelayMs: ASYNC_DELAY_MS });
});
afterAll(async () => {
  await sim?.stop();
  const engines = STORE_ENGINES.map(
    (e) => `${e} ${outcome[e]?.ok ? 'ok' : 'FAILED'}${outcome[e]?.detail ? ` (${outcome[e]!.detail})` : ''}`,
  ).join(', ');
  const per = (field: 'charges' | 'records') =>
    STORE_ENGINES.map((e) => outcome[e]?.[field] ?? '?').join('/');
  console.log(`durability: ${engines}, task records ${per('records')}, charges ${per('charges')}`);
});

async function connect(server: HostedServer, accessToken: string): Promise<Client> {
  const client = new Client({ name: 'durability', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(server.mcpUrl), {
      requestInit: { headers: { authorization: `Bearer ${accessToken}` } },
    }),
  );
  return client;
}

/** The taskUUID of the video submission, read from what the simulator received (the run never answered). */
async function submittedVideo(before: Set<string>): Promise<string> {
  for (let i = 0; i < 100; i++) {
    // Not the dry run that priced it first (its own taskUUID, never recorded).
    const found = (await sim.admin.requests())
      .filter((r) => !r.dryRun)
      .flatMap((r) => r.tasks)
      .find((t) => t.taskType === 'videoInference' && !before.has(String(t.taskUUID)));
    if (found) return String(found.taskUUID);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the video was never submitted upstream');
}

function sqliteRows(dataDir: string, taskUUID: string) {
  const db = new Database(join(dataDir, 'runware-mcp.db'), { readonly: true, fileMustExist: true });
  try {
    const integrity = db.pragma('integrity_check', { simple: true });
    const rows = db
      .prepare<[string], { ns: string; value: string }>('SELECT ns, value FROM kv WHERE key = ? ORDER BY ns')
      .all(taskUUID);
    return { integrity, rows };
  } finally {
    db.close();
  }
}

async function redisRecords(url: string, taskUUID: string): Promise<Record<string, string>> {
  const redis = new Redis(url);
  try {
    const keys = await redis.keys(`*:${taskUUID}`);
    const out: Record<string, string> = {};
    for (const key of keys) out[key] = (await redis.get(key)) ?? '';
    return out;
  } finally {
    redis.disconnect();
  }
}

describe.each(STORE_ENGINES)('durability on the %s store', (engine) => {
  let redis: RedisServer | undefined;
  let server: HostedServer | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), `runware-durability-${engine}-`));

  beforeAll(async () => {
    redis = engine === 'redis' ? await startRedis() : undefined;
  });
  afterAll(async () => {
    await server?.stop();
    await redis?.stop();
  });

  it('finishes a video after the server is SIGKILLed mid-task, recorded once and charged once', async () => {
    const port = await freePort();
    const start = () =>
      startHostedServer({
        apiUrl: sim.apiUrl,
        dataDir,
        // The same port keeps the same issuer and resource URL, so the access token outlives the crash.
        args: ['--port', String(port), ...(redis ? ['--store', redis.url] : [])],
        env: { RUNWARE_MCP_KEK: KEK, RUNWARE_RUN_DEADLINE_MS: '20000' },
      });
    server = await start();
    expect(server.url).toBe(`http://127.0.0.1:${port}`);
    const { access_token } = await obtainTokens(server.url, KEY);
    const first = await connect(server, access_token);

    const before = new Set(
      (await sim.admin.requests()).flatMap((r) => r.tasks.map((t) => String(t.taskUUID))),
    );
    const inflight = first.callTool({ name: 'run', arguments: VIDEO }).catch((e: unknown) => e);
    const taskUUID = await submittedVideo(before);
    await new Promise((r) => setTimeout(r, 1500)); // it is polling now
    await server.stop('SIGKILL');
    expect(await inflight).toBeInstanceOf(Error); // the agent never got an answer
    await first.close().catch(() => undefined);

    // What the crash left behind.
    let detail: string | undefined;
    if (engine === 'sqlite') {
      const wal = join(dataDir, 'runware-mcp.db-wal');
      expect(existsSync(wal)).toBe(true);
      expect(statSync(wal).size).toBeGreaterThan(0);
      detail = `WAL of ${statSync(wal).size} bytes after SIGKILL, integrity_check ok`;
      const { integrity, rows } = sqliteRows(dataDir, taskUUID);
      expect(integrity).toBe('ok');
      expect(rows.map((r) => r.ns)).toEqual(['task']);
      expect(JSON.parse(rows[0]!.value)).toMatchObject({ taskUUID, status: 'processing' });
    } else {
      const records = await redisRecords(redis!.url, taskUUID);
      expect(Object.keys(records)).toEqual([`rwmcp:kv:task:${taskUUID}`]);
      expect(JSON.parse(Object.values(records)[0]!)).toMatchObject({ taskUUID, status: 'processing' });
    }
    expect((await sim.admin.charges()).filter((c) => c.taskUUID === taskUUID)).toEqual([]);

    // Restart on the same data dir / Redis: the same token works, get_task_details finishes the task.
    server = await start();
    const second = await connect(server, access_token);
    let details = await timedCall(second, [], 'get_task_details', { taskUUID });
    for (let i = 0; i < 3 && details.result.structuredContent?.status === 'processing'; i++) {
      details = await timedCall(second, [], 'get_task_details', { taskUUID });
    }
    expect(details.result.structuredContent, details.text).toMatchObject({ taskUUID, status: 'success' });
    const again = await timedCall(second, [], 'get_task_details', { taskUUID });
    expect(again.result.structuredContent).toMatchObject({
      status: 'success',
      completedAt: details.result.structuredContent?.completedAt,
      cost: details.result.structuredContent?.cost,
    });
    await second.close();
    await server.stop();

    // Exactly one record (plus its one completion marker), exactly one charge.
    let records: number;
    if (engine === 'sqlite') {
      const { integrity, rows } = sqliteRows(dataDir, taskUUID);
      records = rows.filter((r) => r.ns === 'task').length;
      expect(integrity).toBe('ok');
      expect(rows.map((r) => r.ns)).toEqual(['task', 'task-done']);
      expect(JSON.parse(rows.find((r) => r.ns === 'task')!.value)).toMatchObject({ status: 'success' });
    } else {
      const stored = await redisRecords(redis!.url, taskUUID);
      records = Object.keys(stored).filter((k) => k.includes(':task:')).length;
      expect(Object.keys(stored).sort()).toEqual([
        `rwmcp:kv:task-done:${taskUUID}`,
        `rwmcp:kv:task:${taskUUID}`,
      ]);
    }
    const charges = (await sim.admin.charges()).filter((c) => c.taskUUID === taskUUID);
    expect(charges).toHaveLength(1);
    expect(charges[0]!.cost).toBeCloseTo(Number(details.result.structuredContent?.cost), 6);
    outcome[engine] = { ok: true, charges: charges.length, records, ...(detail ? { detail } : {}) };
  });
});
