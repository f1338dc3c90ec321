import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type SimulatorProcess, spawnSimulator } from './support/simulator-process.js';

// Contract tests of the simulator: each pins a shape Runware publishes, and names where it is published.
const KEY = 'rw-sim-test-key-0001';
let sim: SimulatorProcess;

type Envelope = { data?: Array<Record<string, unknown>>; errors?: Array<Record<string, unknown>> };
async function post(tasks: unknown, headers: Record<string, string> = { authorization: `Bearer ${KEY}` }) {
  const res = await fetch(sim.apiUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(tasks),
  });
  return { status: res.status, body: (await res.json()) as Envelope };
}
const getJson = async <T = Record<string, unknown>>(url: string) => (await (await fetch(url)).json()) as T;
// FLUX.1 [dev]: positivePrompt, width and height are required (runware-typescript task-map.ts Flux1DevParams).
const flux = (extra: Record<string, unknown> = {}) => ({
  taskType: 'imageInference',
  taskUUID: randomUUID(),
  model: 'runware:101@1',
  positivePrompt: 'a lighthouse',
  width: 1024,
  height: 1024,
  ...extra,
});
// Veo 3.1 Fast: "Provide exactly one of: inputs.frameImages or width/height" (runware.ai/docs/models/google-veo-3-1-fast.md).
const veo = (extra: Record<string, unknown> = {}) => ({
  taskType: 'videoInference',
  taskUUID: randomUUID(),
  model: 'google:3@3',
  positivePrompt: 'sea',
  width: 1280,
  height: 720,
  duration: 8,
  deliveryMethod: 'async',
  ...extra,
});
const poll = (taskUUID: string) => post([{ taskType: 'getResponse', taskUUID }]);
const settle = () => new Promise((r) => setTimeout(r, 400));

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

  it('validates against the model schema and names the parameter (FLUX.1 [dev] types)', async () => {
    const wrongType = await post([flux({ steps: 'many' })]);
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.errors![0]).toMatchObject({
      code: 'invalidSteps',
      parameter: 'steps',
      type: 'number',
    });
    const missing = await post([{ ...flux(), width: undefined }]);
    expect(missing.body.errors![0]).toMatchObject({ code: 'missingWidth', parameter: 'width' });
    const badEnum = await post([flux({ outputFormat: 'GIF' })]);
    expect(badEnum.body.errors![0]).toMatchObject({
      parameter: 'outputFormat',
      allowedValues: ['JPG', 'PNG', 'WEBP'],
    });
    // Media inputs live under `inputs` (Flux1DevParams: inputs.seedImage, inputs.maskImage); unknown fields pass.
    const img2img = await post([flux({ inputs: { seedImage: randomUUID() }, someNewField: 1 })]);
    expect(img2img.status).toBe(200);
    expect(await sim.admin.charges()).toHaveLength(1);
  });

  it('refuses a reused taskUUID, unknown models and sync delivery where the schema allows only async', async () => {
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
    expect((await post([veo({ deliveryMethod: 'sync' })])).body.errors![0]).toMatchObject({
      code: 'unsupportedDeliveryMethod',
      parameter: 'deliveryMethod',
      allowedValues: ['async'],
    });
    // Video utilities allow only async too (runware-typescript task-map.ts RemoveBackgroundVideoParams).
    const videoCutout = {
      taskType: 'removeBackground',
      taskUUID: randomUUID(),
      model: 'bria:51@1',
      inputs: { video: randomUUID() },
    };
    expect((await post([{ ...videoCutout, deliveryMethod: 'sync' }])).body.errors![0]).toMatchObject({
      code: 'unsupportedDeliveryMethod',
    });
    expect((await post([{ ...videoCutout, taskUUID: randomUUID(), deliveryMethod: 'async' }])).status).toBe(
      200,
    );
    // A documented size table is enforced (the google-veo-3-1-fast.md size table).
    expect((await post([veo({ width: 1000, height: 1000 })])).status).toBe(400);
  });

  it('prices a dry run without running or charging it', async () => {
    const { body } = await post([flux({ numberResults: 2 })], {
      authorization: `Bearer ${KEY}`,
      'x-runware-dry-run': '1',
    });
    expect(body.data![0]!.cost).toBeCloseTo(0.021, 6);
    expect(await sim.admin.charges()).toEqual([]);
  });

  it('bills by documented tiers: Veo 3.1 Fast per second by resolution and audio', async () => {
    const price = async (extra: Record<string, unknown>) =>
      (await post([veo(extra)], { authorization: `Bearer ${KEY}`, 'x-runware-dry-run': '1' })).body.data![0]!
        .cost;
    // The page's examples: 1080p 8s $0.8, with audio $1.2, 4K 8s $2.40, with audio $2.80.
    const audio = { providerSettings: { google: { generateAudio: true } } };
    expect(await price({ width: 1920, height: 1080 })).toBeCloseTo(0.8, 6);
    expect(await price({ width: 1920, height: 1080, ...audio })).toBeCloseTo(1.2, 6);
    expect(await price({ width: 3840, height: 2160 })).toBeCloseTo(2.4, 6);
    expect(await price({ width: 3840, height: 2160, ...audio })).toBeCloseTo(2.8, 6);
    // Per 1,000 characters (runware.ai/docs/models/xai-tts.md: $0.0042 per 1,000 characters).
    const tts = {
      taskType: 'audioInference',
      taskUUID: randomUUID(),
      model: 'xai:tts@0',
      speech: { text: 'x'.repeat(2000) },
    };
    expect(
      (await post([tts], { authorization: `Bearer ${KEY}`, 'x-runware-dry-run': '1' })).body.data![0]!.cost,
    ).toBeCloseTo(0.0084, 6);
  });

  it('keeps async tasks processing until the delay passes, then succeeds and charges once', async () => {
    const video = veo({ includeCost: true });
    expect((await post([video])).body.data).toEqual([
      { taskType: 'videoInference', taskUUID: video.taskUUID },
    ]);
    expect((await poll(video.taskUUID)).body.data![0]).toMatchObject({ status: 'processing' });
    await settle();
    for (let i = 0; i < 2; i++) {
      expect((await poll(video.taskUUID)).body.data![0]).toMatchObject({ status: 'success', cost: 0.8 });
    }
    expect(await sim.admin.charges()).toHaveLength(1);
    const details = await post([{ taskType: 'getTaskDetails', taskUUID: video.taskUUID }]);
    expect(details.body.data![0]).toMatchObject({
      request: [expect.objectContaining({ positivePrompt: 'sea' })],
    });
  });

  it('reports a failed generation inside data: status "error" with an embedded error (runware-typescript client.ts)', async () => {
    await sim.admin.faults({ failInDataCount: 2 });
    const sync = await post([flux()]);
    expect(sync.status).toBe(200);
    expect(sync.body.data![0]).toMatchObject({
      status: 'error',
      error: { code: 'timeoutProvider', message: expect.any(String) },
    });
    const video = veo();
    await post([video]);
    await settle();
    expect((await poll(video.taskUUID)).body.data![0]).toMatchObject({
      status: 'error',
      error: { code: 'timeoutProvider' },
    });
    expect(await sim.admin.charges()).toEqual([]);
  });

  it('answers results as typed: training air + files, text usage, masking detections (task-map.ts result types)', async () => {
    const training = {
      taskType: 'training',
      taskUUID: randomUUID(),
      model: 'runware:flux-1-dev@style-lora-training',
      deliveryMethod: 'async',
    };
    await post([training]);
    await settle();
    const trained = (await poll(training.taskUUID)).body.data![0]!;
    expect(trained).toMatchObject({ status: 'success', air: expect.stringMatching(/@/) });
    expect((trained.outputs as { files: unknown[] }).files).toHaveLength(1);
    const text = await post([
      {
        taskType: 'textInference',
        taskUUID: randomUUID(),
        model: 'google:gemini@3-flash',
        messages: [{ role: 'user', content: 'hello' }],
        includeCost: true,
      },
    ]);
    expect(text.body.data![0]).toMatchObject({
      usage: { promptTokens: expect.any(Number) },
      finishReason: 'stop',
    });
    expect(text.body.data![0]!.cost).toBeGreaterThan(0); // input + output tokens
    const mask = await post([
      {
        taskType: 'imageMasking',
        taskUUID: randomUUID(),
        model: 'runware:35@1',
        inputs: { image: randomUUID() },
      },
    ]);
    expect(mask.body.data![0]).toMatchObject({
      detections: [expect.objectContaining({ x_min: expect.any(Number) })],
    });
  });

  it('answers image utilities under their legacy task names, as the docs examples show', async () => {
    const caption = {
      taskType: 'caption',
      taskUUID: randomUUID(),
      model: 'runware:150@2',
      inputs: { image: randomUUID() },
    };
    const { body } = await post([caption]);
    expect(body.data![0]).toMatchObject({
      taskType: 'imageCaption',
      taskUUID: caption.taskUUID,
      text: expect.any(String),
    });
  });

  it('runs community AIRs as imageInference without a curated schema (runware-typescript examples/community-model.ts)', async () => {
    const { status, body } = await post([flux({ model: 'civitai:133005@782002' })]);
    expect(status).toBe(200);
    expect(body.data![0]!.imageURL).toBeDefined();
    const search = await post([{ taskType: 'modelSearch', taskUUID: randomUUID(), search: 'juggernaut' }]);
    expect(search.body.data![0]).toMatchObject({
      totalResults: 1,
      results: [
        expect.objectContaining({ air: 'civitai:133005@782002', architecture: 'sdxl', source: 'community' }),
      ],
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

  it('injects faults: dropped connections, lost replies, failing tasks, echoed keys, failing polls, executed dry runs', async () => {
    await sim.admin.faults({ dropConnectionCount: 1 });
    await expect(post([flux()])).rejects.toThrow();
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
    const video = veo();
    expect((await post([video])).status).toBe(200);
    await settle();
    const polled = await poll(video.taskUUID);
    expect(polled.body.errors![0]).toMatchObject({ code: 'timeoutProvider', status: 'error' });
    expect(String(polled.body.errors![0]!.message)).not.toContain(KEY); // the echo count was used up
    const details = await post([{ taskType: 'getTaskDetails', taskUUID: video.taskUUID }]);
    expect(details.body.data![0]!.response).toMatchObject({ errors: [{ code: 'timeoutProvider' }] });

    await sim.admin.faults({ pollErrorCount: 1 });
    const failedPoll = await poll(video.taskUUID);
    expect(failedPoll.status).toBe(500);
    expect(failedPoll.body.errors![0]!.status).toBeUndefined();

    await sim.admin.faults({ dryRunExecutesCount: 1 });
    const executed = flux({ includeCost: true });
    const dry = await post([executed], { authorization: `Bearer ${KEY}`, 'x-runware-dry-run': '1' });
    expect(dry.body.data![0]!.imageURL).toBeDefined();
    expect((await sim.admin.charges()).map((c) => c.taskUUID)).toEqual([lost.taskUUID, executed.taskUUID]);
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
  it('serves open records with optional fields, string prices and every status (runware-typescript types/content.ts)', async () => {
    const all = await getJson<Array<Record<string, unknown>>>(`${sim.contentUrl}/models`);
    const statuses = new Set(all.map((m) => m.status));
    for (const s of ['live', 'api-only', 'coming-soon', 'openai-compatible']) expect(statuses).toContain(s);
    expect(all.some((m) => m.coverImage === undefined)).toBe(true);
    expect(all.some((m) => 'popularity' in m)).toBe(true);
    const page = await getJson<{ total: number; items: unknown[] }>(
      `${sim.contentUrl}/models?paginate=true&limit=1`,
    );
    expect(page.items).toHaveLength(1);
    expect(page.total).toBe(all.length);
    expect((await fetch(`${sim.contentUrl}/models/nope`)).status).toBe(404);
    const pricing = await getJson(`${sim.contentUrl}/models/google-veo-3-1-fast/pricing`);
    expect(pricing).toMatchObject({
      air: 'google:3@3',
      category: ['video'],
      pricingExamples: expect.arrayContaining([{ configuration: '4K · 8s (with audio)', price: '$2.80' }]),
    });
    const noPrices = await getJson(`${sim.contentUrl}/models/bfl-flux-1-dev/pricing`);
    expect(noPrices.pricingExamples).toBeUndefined();
    const examples = await getJson<Array<Record<string, unknown>>>(
      `${sim.contentUrl}/models/minimax-hailuo-2-3/examples`,
    );
    expect(examples[0]).toMatchObject({ model: 'minimax-hailuo-2-3', capability: expect.any(String) });
    expect(examples[0]!.title === undefined || typeof examples[0]!.title === 'string').toBe(true);
  });

  it('serves the registry with version and task-type maps, resolve with documentation, and the schema bundle', async () => {
    const registry = await getJson<{
      version: string;
      models: Record<string, unknown>;
      architectureTaskTypes: Record<string, string>;
      modalityTaskTypes: Record<string, string>;
    }>(`${sim.schemasUrl}/registry.json`);
    expect(registry.version).toMatch(/^\d{14}$/);
    expect(registry.models['runware:101@1']).toEqual({ taskType: 'imageInference', id: 'bfl-flux-1-dev' });
    expect(registry.models['google:3@0']).toEqual({ taskType: 'videoInference', id: 'google-veo-3' });
    expect(registry.architectureTaskTypes.sdxl).toBe('imageInference');
    expect(registry.modalityTaskTypes.video).toBe('videoInference');
    const resolved = await getJson<{
      requestSchema: { properties: Record<string, unknown> };
      documentation: string;
    }>(`${sim.schemasUrl}/resolve/${encodeURIComponent('runware:101@1')}`);
    expect(resolved.requestSchema.properties.inputs).toMatchObject({
      properties: { seedImage: {}, maskImage: {} },
    });
    expect(resolved.documentation).toBe('https://runware.ai/docs/models/bfl-flux-1-dev');
    const bundle = await getJson<{
      inference: Array<{ slug: string; air: string }>;
      architectures: object;
      modalities: object;
      operations: object;
    }>(`${sim.schemasUrl}/releases/latest/schema-map.json`);
    expect(bundle.inference).toEqual(
      expect.arrayContaining([expect.objectContaining({ slug: 'bfl-flux-1-dev', air: 'runware:101@1' })]),
    );
    expect(Object.keys(bundle.architectures)).toContain('flux-1-dev');
    expect(Object.keys(bundle.operations)).toContain('upscale-video');
    expect((await fetch(`${sim.schemasUrl}/releases/${registry.version}/schema-map.json`)).status).toBe(200);
  });
});
