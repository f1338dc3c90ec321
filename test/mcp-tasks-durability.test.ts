import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostedServer, startHostedServer } from './support/hosted-server.js';
import { initialize2025, modernRequest, pollTask, spawnRawStdio } from './support/raw-rpc.js';
import { type RedisServer, startRedis } from './support/redis-server.js';
import { type SimulatorProcess, spawnSimulator } from './support/simulator-process.js';
import { obtainAccessToken } from './support/token-proxy.js';

/**
 * An MCP task lives in the store, not in the process that started it: two replicas on one Redis see the same
 * task (its progress line, its result, its cancellation), and a task whose process died (SIGKILL) is taken over
 * by whichever process is asked next, on Redis and on SQLite, and charged once.
 */

const KEY = 'rw-task-durability-key-7d8e9f';
const KEK = randomBytes(32).toString('base64');
const VIDEO = {
  model: 'google:3@3',
  positivePrompt: 'outlives its server',
  width: 1280,
  height: 720,
  duration: 4,
};
type Loose = Record<string, unknown>;

let sim: SimulatorProcess;
beforeAll(async () => {
  // Long enough to act while the task runs.
  sim = await spawnSimulator({ keys: [KEY], asyncDelayMs: 8000 });
});
afterAll(async () => {
  await sim?.stop();
});

const chargesOf = async (taskUUID: string) =>
  (await sim.admin.charges()).filter((c) => c.taskUUID === taskUUID);
/** Waits until Runware has the task (the submission went through), so a kill lands mid-generation. */
async function submitted(taskUUID: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const requests = await sim.admin.requests();
    if (
      requests.some(
        (r) => !r.dryRun && r.tasks.some((t) => t.taskType === 'videoInference' && t.taskUUID === taskUUID),
      )
    )
      return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`task ${taskUUID} never reached Runware`);
}
const pollsOf = async (taskUUID: string) =>
  (await sim.admin.requests()).filter((r) =>
    r.tasks.some((t) => t.taskType === 'getResponse' && t.taskUUID === taskUUID),
  ).length;

describe('two replicas on one Redis (2026-07-28 tasks)', () => {
  let redis: RedisServer;
  let a: HostedServer;
  let b: HostedServer;
  let token: string;
  const replica = (publicUrl?: string) =>
    startHostedServer({
      apiUrl: sim.apiUrl,
      args: ['--store', redis.url, ...(publicUrl ? ['--public-url', publicUrl] : [])],
      env: { RUNWARE_MCP_KEK: KEK },
    });
  beforeAll(async () => {
    redis = await startRedis();
    a = await replica();
    b = await replica(a.url);
    token = await obtainAccessToken(a.url, KEY);
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await redis?.stop();
  });
  const on = (server: HostedServer, method: string, params: Loose = {}) =>
    modernRequest(server.mcpUrl, token, method, params);

  it('a task started on A is followed on B: its progress line, then its result', async () => {
    const { taskId } = (await on(a, 'tools/call', { name: 'run', arguments: VIDEO })).result as {
      taskId: string;
    };
    const progressing = await pollTask(
      () => on(b, 'tasks/get', { taskId }),
      (r) => /^Veo 3\.1 Fast · \d+% · \d+ s$/.test(String(r.statusMessage)),
    );
    expect(progressing.status).toBe('working');
    const done = await pollTask(() => on(b, 'tasks/get', { taskId }));
    expect(done.status).toBe('completed');
    expect((done.result as Loose).structuredContent).toMatchObject({ status: 'success', taskUUID: taskId });
    expect(await chargesOf(taskId)).toHaveLength(1);
  });

  it('cancelled on B: cancelled on A at once, and A stops following it', async () => {
    const { taskId } = (await on(a, 'tools/call', { name: 'run', arguments: VIDEO })).result as {
      taskId: string;
    };
    expect((await on(b, 'tasks/cancel', { taskId })).result).toMatchObject({ resultType: 'complete' });
    expect((await on(a, 'tasks/get', { taskId })).result).toMatchObject({ status: 'cancelled' });
    // A notices at its next lease renewal (every 3 s) and stops polling Runware.
    await new Promise((r) => setTimeout(r, 4000));
    const polls = await pollsOf(taskId);
    await new Promise((r) => setTimeout(r, 6000));
    expect(await pollsOf(taskId)).toBe(polls);
    // Past the time the video takes, it is still cancelled.
    expect((await on(a, 'tasks/get', { taskId })).result).toMatchObject({ status: 'cancelled' });
  }, 30_000);

  it('A is SIGKILLed mid-task: B takes the task over once its lease lapses, finishes it, charged once', async () => {
    const { taskId } = (await on(a, 'tools/call', { name: 'run', arguments: VIDEO })).result as {
      taskId: string;
    };
    await submitted(taskId);
    await a.stop('SIGKILL');
    const done = await pollTask(() => on(b, 'tasks/get', { taskId }));
    expect(done.status).toBe('completed');
    expect((done.result as Loose).structuredContent).toMatchObject({
      status: 'success',
      taskUUID: taskId,
      cost: 0.4,
    });
    expect(await chargesOf(taskId)).toHaveLength(1);
    expect(b.logs()).toMatch(/mcp task taken over/);
  }, 60_000);
});

describe('a restart on SQLite (2025-11-25 tasks over stdio)', () => {
  it('the server is SIGKILLed mid-task; the next one, on the same data, finishes the task, charged once', async () => {
    const env = {
      RUNWARE_API_KEY: KEY,
      RUNWARE_API_URL: sim.apiUrl,
      RUNWARE_MCP_DATA_DIR: mkdtempSync(join(tmpdir(), 'runware-task-restart-')),
    };
    const first = spawnRawStdio(env);
    await initialize2025(first, { tasks: {} });
    const created = await first.request('tools/call', { name: 'run', arguments: VIDEO, task: {} });
    const { taskId } = created.result!.task as { taskId: string };
    await submitted(taskId);
    first.child.kill('SIGKILL');

    const second = spawnRawStdio(env);
    try {
      await initialize2025(second, { tasks: {} });
      expect((await second.request('tasks/get', { taskId })).result).toMatchObject({
        taskId,
        status: 'working',
      });
      // tasks/result waits for the end; the task resumes once the dead process's lease lapses.
      const result = (await second.request('tasks/result', { taskId })).result as Loose;
      expect(result.structuredContent).toMatchObject({ status: 'success', taskUUID: taskId, cost: 0.4 });
      expect(await chargesOf(taskId)).toHaveLength(1);
    } finally {
      second.close();
    }
  }, 60_000);
});
