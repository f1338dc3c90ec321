import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RunwareClient } from '../src/runware/client.js';
import { ContentClient } from '../src/runware/content-client.js';
import { RunwareError } from '../src/runware/errors.js';
import { SchemaClient } from '../src/runware/schema-client.js';
import { type SimulatorProcess, spawnSimulator } from './support/simulator-process.js';

const KEY = 'rw-client-test-key-0001';
let sim: SimulatorProcess;
const client = (overrides: Partial<ConstructorParameters<typeof RunwareClient>[0]> = {}) =>
  new RunwareClient({ apiUrl: sim.apiUrl, apiKey: KEY, retryBaseMs: 10, timeoutMs: 2000, ...overrides });
const image = (extra: Record<string, unknown> = {}) => ({
  taskType: 'imageInference',
  taskUUID: randomUUID(),
  model: 'runware:101@1',
  positivePrompt: 'a red fox in snow',
  width: 1024,
  height: 1024,
  includeCost: true,
  ...extra,
});

beforeAll(async () => {
  sim = await spawnSimulator({ keys: [KEY], balance: 50, asyncDelayMs: 1200 });
});
afterAll(() => sim?.stop());
beforeEach(() => sim.admin.reset());

describe('RunwareClient against the simulator', () => {
  it('runs a sync image task and reports its cost', async () => {
    const items = await client().runTask(image({ numberResults: 2 }));
    expect(items).toHaveLength(2);
    expect(items[0]!.imageURL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/media\/.+\.png$/);
    expect(items[0]!.cost).toBeGreaterThan(0);
    const png = Buffer.from(await (await fetch(String(items[0]!.imageURL))).arrayBuffer());
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(await sim.admin.balance(KEY)).toBeCloseTo(50 - 2 * Number(items[0]!.cost), 5);
  });

  it('submits an async video task and polls it to success with progress', async () => {
    const c = client();
    const task = {
      taskType: 'videoInference',
      taskUUID: randomUUID(),
      model: 'google:3@3',
      positivePrompt: 'waves at sunrise',
      duration: 4,
      deliveryMethod: 'async',
      includeCost: true,
    };
    const ack = await c.runTask(task);
    expect(ack).toEqual([{ taskType: 'videoInference', taskUUID: task.taskUUID }]);
    const progress: number[] = [];
    const result = await c.pollUntilDone(task.taskUUID, { onProgress: (p) => progress.push(p.done) });
    expect(result.done).toBe(true);
    expect(result.items[0]).toMatchObject({ status: 'success', taskUUID: task.taskUUID, cost: 0.4 });
    expect(String(result.items[0]!.videoURL)).toMatch(/\.mp4$/);
    expect(progress.at(-1)).toBe(1);
    const polls = (await sim.admin.requests()).filter((r) => r.tasks[0]?.taskType === 'getResponse');
    expect(polls.length).toBeGreaterThanOrEqual(1);
  });

  it('stops polling at the deadline with done=false, and on abort', async () => {
    const c = client();
    const task = {
      taskType: 'videoInference',
      taskUUID: randomUUID(),
      model: 'google:3@3',
      positivePrompt: 'slow',
      deliveryMethod: 'async',
    };
    await c.runTask(task);
    const partial = await c.pollUntilDone(task.taskUUID, { deadlineMs: 300 });
    expect(partial.done).toBe(false);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await expect(c.pollUntilDone(task.taskUUID, { signal: controller.signal })).rejects.toMatchObject({
      category: 'aborted',
    });
  });

  it('answers a batch per task: one failing task does not fail the others', async () => {
    const good = image();
    const bad = image({ width: 'wide' });
    const { data, errors } = await client().send([good, bad]);
    expect(data.map((d) => d.taskUUID)).toEqual([good.taskUUID]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ category: 'validation', parameter: 'width', taskUUID: bad.taskUUID });
  });

  it('retries a 429 burst with the same taskUUID and is charged once', async () => {
    await sim.admin.faults({ status429Count: 2 });
    const retries: string[] = [];
    const task = image();
    const items = await client({ onRetry: (r) => retries.push(r.reason) }).runTask(task);
    expect(items).toHaveLength(1);
    expect(retries).toEqual(['rateLimitExceeded', 'rateLimitExceeded']);
    const sent = (await sim.admin.requests()).filter((r) => r.tasks[0]?.taskUUID === task.taskUUID);
    expect(sent).toHaveLength(3);
    const charges = (await sim.admin.charges()).filter((c) => c.taskUUID === task.taskUUID);
    expect(charges).toHaveLength(1);
    expect(await sim.admin.balance(KEY)).toBeCloseTo(50 - charges[0]!.cost, 6);
  });

  it('times out a request that gets no answer, then retries it', async () => {
    await sim.admin.faults({ hangCount: 1 });
    const items = await client({ timeoutMs: 300 }).runTask(image());
    expect(items).toHaveLength(1);
    await sim.admin.faults({ hangCount: 5 });
    const error = await client({ timeoutMs: 200, maxRetries: 1 })
      .runTask(image())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunwareError);
    expect(error).toMatchObject({ category: 'timeout' });
  });

  it('maps a revoked key to an auth error that never contains the key', async () => {
    await sim.admin.revoke(KEY);
    const error = (await client()
      .runTask(image())
      .catch((e: unknown) => e)) as RunwareError;
    expect(error).toMatchObject({ category: 'auth', code: 'invalidApiKey', status: 401, retryable: false });
    expect(JSON.stringify({ ...error, message: error.message })).not.toContain(KEY);
  });

  it('maps insufficient credits to a quota error and charges nothing', async () => {
    await sim.admin.faults({ insufficientCredits: true });
    await expect(client().runTask(image())).rejects.toMatchObject({
      category: 'quota',
      code: 'insufficientCredits',
      status: 402,
    });
    expect(await sim.admin.charges()).toEqual([]);
  });

  it('turns malformed JSON into a clear error after retrying', async () => {
    await sim.admin.faults({ malformedJsonCount: 10 });
    await expect(client({ maxRetries: 2 }).runTask(image())).rejects.toMatchObject({
      category: 'serverError',
      code: 'malformedResponse',
      message: expect.stringContaining('malformed'),
    });
  });

  it('reads account details and searches models', async () => {
    const c = client();
    const account = await c.accountDetails();
    expect(account).toMatchObject({ operation: 'getDetails', balance: { amount: 50, currency: 'USD' } });
    const found = await c.modelSearch({ search: 'flux', limit: 5 });
    expect(found.results).toEqual(
      expect.arrayContaining([expect.objectContaining({ air: 'runware:101@1' })]),
    );
  });
});

describe('content and schema clients', () => {
  it('caches with max-age and revalidates with ETag', async () => {
    const content = new ContentClient({ baseUrl: sim.contentUrl });
    const first = await content.listModels();
    expect(first.map((m) => m.air)).toContain('runware:101@1');
    await content.listModels();
    expect(content.requests).toBe(1);
    expect(await content.getModel('no-such-model')).toBeUndefined();
    const schemas = new SchemaClient({ baseUrl: sim.schemasUrl });
    expect((await schemas.registry())['google:3@3']).toEqual({
      taskType: 'videoInference',
      id: 'google-veo-3-1-fast',
    });
    const resolved = await schemas.resolve('runware:101@1');
    expect(resolved?.requestSchema.required).toContain('positivePrompt');
  });
});
