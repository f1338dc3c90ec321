import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type SimulatorProcess, spawnSimulator } from './support/simulator-process.js';

const KEY = 'rw-sim-test-key-0001';
let sim: SimulatorProcess;

async function post(tasks: unknown, headers: Record<string, string> = { authorization: `Bearer ${KEY}` }) {
  const res = await fetch(sim.apiUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(tasks),
  });
  return {
    status: res.status,
    body: (await res.json()) as {
      data?: Array<Record<string, unknown>>;
      errors?: Array<Record<string, unknown>>;
    },
  };
}
const flux = (extra: Record<string, unknown> = {}) => ({
  taskType: 'imageInference',
  taskUUID: randomUUID(),
  model: 'runware:101@1',
  positivePrompt: 'a lighthouse',
  ...extra,
});

beforeAll(async () => {
  sim = await spawnSimulator({ keys: [KEY], asyncDelayMs: 300 });
});
afterAll(() => sim?.stop());
beforeEach(() => sim.admin.reset());

describe('Runware simulator: inference API', () => {
  it('accepts the authentication task instead of the Bearer header and echoes taskUUID', async () => {
    const task = flux({ outputType: 'dataURI' });
    const { status, body } = await post([{ taskType: 'authentication', apiKey: KEY }, task], {});
    expect(status).toBe(200);
    expect(body.data![0]).toMatchObject({ taskType: 'imageInference', taskUUID: task.taskUUID });
    expect(String(body.data![0]!.imageDataURI)).toMatch(/^data:image\/png;base64,iVBOR/);
    expect(body.data![0]!.cost).toBeUndefined(); // only with includeCost
  });

  it('validates parameters against the model schema and names the parameter', async () => {
    const wrongType = await post([flux({ steps: 'many' })]);
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.errors![0]).toMatchObject({
      code: 'invalidSteps',
      parameter: 'steps',
      type: 'integer',
    });
    const outOfRange = await post([flux({ steps: 500 })]);
    expect(outOfRange.body.errors![0]).toMatchObject({
      code: 'invalidSteps',
      parameter: 'steps',
      min: 1,
      max: 100,
    });
    const missing = await post([
      { taskType: 'imageInference', taskUUID: randomUUID(), model: 'runware:101@1' },
    ]);
    expect(missing.body.errors![0]).toMatchObject({
      code: 'missingPositivePrompt',
      parameter: 'positivePrompt',
    });
    const badEnum = await post([flux({ outputFormat: 'GIF' })]);
    expect(badEnum.body.errors![0]).toMatchObject({
      parameter: 'outputFormat',
      allowedValues: ['JPG', 'PNG', 'WEBP'],
    });
    expect(await sim.admin.charges()).toEqual([]);
  });

  it('refuses a reused taskUUID, unknown models and sync video', async () => {
    const task = flux();
    expect((await post([task])).status).toBe(200);
    expect((await post([task])).body.errors![0]).toMatchObject({
      code: 'conflictTaskUUID',
      parameter: 'taskUUID',
    });
    expect((await post([flux({ model: 'nobody:0@0' })])).body.errors![0]).toMatchObject({
      code: 'invalidModel',
      parameter: 'model',
    });
    const video = {
      taskType: 'videoInference',
      taskUUID: randomUUID(),
      model: 'google:3@3',
      positivePrompt: 'sea',
    };
    expect((await post([video])).body.errors![0]).toMatchObject({ parameter: 'deliveryMethod' });
  });

  it('prices a dry run without running or charging it', async () => {
    const { body } = await post([flux({ width: 1024, height: 1024, numberResults: 2 })], {
      authorization: `Bearer ${KEY}`,
      'x-runware-dry-run': '1',
    });
    expect(body.data![0]!.cost).toBeCloseTo(0.007969, 6);
    expect(await sim.admin.charges()).toEqual([]);
  });

  it('keeps async tasks processing until the delay passes, then succeeds and charges once', async () => {
    const video = {
      taskType: 'videoInference',
      taskUUID: randomUUID(),
      model: 'google:3@3',
      positivePrompt: 'sea',
      deliveryMethod: 'async',
      includeCost: true,
    };
    expect((await post([video])).body.data).toEqual([
      { taskType: 'videoInference', taskUUID: video.taskUUID },
    ]);
    const early = await post([{ taskType: 'getResponse', taskUUID: video.taskUUID }]);
    expect(early.body.data![0]).toMatchObject({ status: 'processing' });
    await new Promise((r) => setTimeout(r, 400));
    for (let i = 0; i < 2; i++) {
      const done = await post([{ taskType: 'getResponse', taskUUID: video.taskUUID }]);
      expect(done.body.data![0]).toMatchObject({ status: 'success', cost: 0.75 });
    }
    expect(await sim.admin.charges()).toHaveLength(1);
    const details = await post([{ taskType: 'getTaskDetails', taskUUID: video.taskUUID }]);
    expect(details.body.data![0]).toMatchObject({
      request: [expect.objectContaining({ positivePrompt: 'sea' })],
    });
  });

  it('rejects unknown keys with 401 invalidApiKey and a missing key with missingApiKey', async () => {
    expect((await post([flux()], { authorization: 'Bearer wrong' })).body.errors![0]).toMatchObject({
      code: 'invalidApiKey',
      taskType: 'authentication',
    });
    const missing = await post([flux()], {});
    expect(missing.status).toBe(401);
    expect(missing.body.errors![0]!.code).toBe('missingApiKey');
  });

  it('serves a real PNG whose header matches the requested size, and answers a batch per task', async () => {
    const ok = flux({ width: 512, height: 256 });
    const bad = flux({ steps: 'many' });
    const { status, body } = await post([ok, bad]);
    expect(status).toBe(200);
    expect(body.data!.map((d) => d.taskUUID)).toEqual([ok.taskUUID]);
    expect(body.errors).toEqual([expect.objectContaining({ taskUUID: bad.taskUUID, parameter: 'steps' })]);
    const png = Buffer.from(await (await fetch(String(body.data![0]!.imageURL))).arrayBuffer());
    expect(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(
      true,
    );
    expect(png.subarray(12, 16).toString('ascii')).toBe('IHDR');
    // Width and height keep the requested aspect ratio (scaled down to keep files small).
    expect(png.readUInt32BE(16) / png.readUInt32BE(20)).toBe(2);
  });

  it('injects faults: 429 and 503 bursts, malformed JSON, insufficient credits, revoked keys', async () => {
    await sim.admin.faults({ status429Count: 1, status503Count: 1, malformedJsonCount: 1 });
    expect((await post([flux()])).status).toBe(429);
    expect((await post([flux()])).status).toBe(503);
    const malformed = await fetch(sim.apiUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}` },
      body: JSON.stringify([flux()]),
    });
    await expect(malformed.json()).rejects.toThrow();
    expect((await post([flux()])).status).toBe(200);
    await sim.admin.faults({ insufficientCredits: true });
    const broke = await post([flux({ includeCost: true })]);
    expect(broke.status).toBe(402);
    expect(broke.body.errors![0]!.code).toBe('insufficientCredits');
    await sim.admin.reset();
    await sim.admin.revoke(KEY);
    expect((await post([flux()])).body.errors![0]).toMatchObject({ code: 'invalidApiKey' });
  });

  it('injects faults: dropped connections, lost replies, failing tasks and errors that echo the key', async () => {
    await sim.admin.faults({ dropConnectionCount: 1 });
    const dropped = flux();
    await expect(post([dropped])).rejects.toThrow();
    expect(await sim.admin.charges()).toEqual([]);
    await sim.admin.faults({ lostReplyCount: 1 });
    const lost = flux();
    await expect(post([lost])).rejects.toThrow();
    // Processed and charged although the reply never arrived: a retry must not run it again.
    expect((await sim.admin.charges()).map((c) => c.taskUUID)).toEqual([lost.taskUUID]);
    expect((await post([lost])).body.errors![0]).toMatchObject({ code: 'conflictTaskUUID' });

    await sim.admin.faults({ failTaskCount: 2, echoKeyCount: 1 });
    const sync = await post([flux()]);
    expect(sync.status).toBe(400);
    expect(sync.body.errors![0]).toMatchObject({ code: 'timeoutProvider', status: 'error' });
    expect(String(sync.body.errors![0]!.message)).toContain(KEY);
    const video = {
      taskType: 'videoInference',
      taskUUID: randomUUID(),
      model: 'google:3@3',
      positivePrompt: 'sea',
      deliveryMethod: 'async',
    };
    expect((await post([video])).status).toBe(200);
    await new Promise((r) => setTimeout(r, 400));
    const polled = await post([{ taskType: 'getResponse', taskUUID: video.taskUUID }]);
    expect(polled.body.errors![0]).toMatchObject({ code: 'timeoutProvider', status: 'error' });
    expect(String(polled.body.errors![0]!.message)).not.toContain(KEY); // the echo count was used up
    const details = await post([{ taskType: 'getTaskDetails', taskUUID: video.taskUUID }]);
    expect(details.body.data![0]!.response).toMatchObject({ errors: [{ code: 'timeoutProvider' }] });
    expect((await sim.admin.charges()).map((c) => c.taskUUID)).toEqual([lost.taskUUID]);
  });

  it('stores uploaded media and serves it back', async () => {
    const png = await (await fetch(String((await post([flux()])).body.data![0]!.imageURL))).arrayBuffer();
    const media = `data:image/png;base64,${Buffer.from(png).toString('base64')}`;
    const { body } = await post([
      { taskType: 'mediaStorage', taskUUID: randomUUID(), operation: 'upload', media },
    ]);
    const back = Buffer.from(await (await fetch(String(body.data![0]!.mediaURL))).arrayBuffer());
    expect(back.equals(Buffer.from(png))).toBe(true);
  });
});

describe('Runware simulator: content and schema services', () => {
  it('paginates models and 404s unknown ones', async () => {
    const page = (await (await fetch(`${sim.contentUrl}/models?paginate=true&limit=1&offset=0`)).json()) as {
      total: number;
      items: unknown[];
    };
    expect(page.items).toHaveLength(1);
    expect(page.total).toBeGreaterThanOrEqual(2);
    expect((await fetch(`${sim.contentUrl}/models/nope`)).status).toBe(404);
    const pricing = (await (await fetch(`${sim.contentUrl}/models/bfl-flux-1-dev/pricing`)).json()) as Record<
      string,
      unknown
    >;
    expect(pricing).toMatchObject({ air: 'runware:101@1', category: ['image'] });
  });

  it('serves the schema registry and resolves an AIR', async () => {
    const registry = (await (await fetch(`${sim.schemasUrl}/registry.json`)).json()) as {
      models: Record<string, unknown>;
    };
    expect(registry.models['runware:101@1']).toEqual({ taskType: 'imageInference', id: 'bfl-flux-1-dev' });
    const resolved = await fetch(`${sim.schemasUrl}/resolve/${encodeURIComponent('runware:101@1')}`);
    expect(((await resolved.json()) as { requestSchema: { type: string } }).requestSchema.type).toBe(
      'object',
    );
  });
});
