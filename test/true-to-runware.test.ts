import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type SimulatorProcess, spawnSimulator } from './support/simulator-process.js';
import { openToolSession, type ToolSession } from './support/tool-session.js';

// Contract tests: each pins a fact of Runware's published contract (source in the comment) against the
// simulator, which serves Runware's shapes from its own fixtures. Run over stdio and the hosted server.
const KEY = 'rw-contract-key-5e6f7a';
let sim: SimulatorProcess;

beforeAll(async () => {
  sim = await spawnSimulator({ keys: [KEY], balance: 100, asyncDelayMs: 600 });
});
afterAll(() => sim?.stop());

type Output = Record<string, unknown>;
const outputsOf = (r: { structuredContent?: Record<string, unknown> }) =>
  (r.structuredContent?.outputs ?? []) as Output[];
const sentTasks = async (taskType: string) =>
  (await sim.admin.requests()).flatMap((r) => r.tasks).filter((t) => t.taskType === taskType);

describe.each(['stdio', 'sqlite'] as const)('true to Runware (%s)', (kind) => {
  let s: ToolSession;
  beforeAll(async () => {
    s = await openToolSession(kind, {
      apiUrl: sim.apiUrl,
      apiKey: KEY,
      env: { RUNWARE_RUN_DEADLINE_MS: '20000', RUNWARE_UPSTREAM_MAX_RETRIES: '0' },
    });
  });
  afterAll(() => s?.close());
  beforeEach(() => sim.admin.reset());

  it('lists and runs a model Runware serves that the snapshot lacks (content service + registry.json)', async () => {
    // Veo 3 (google:3@0) has a runware.ai/docs page but is not in the SDK's curated map, so not in our snapshot.
    let listed: unknown[] = [];
    for (let i = 0; i < 20 && !listed.includes('google:3@0'); i++) {
      const found = await s.call('list_models', { search: 'veo 3', limit: 50 });
      listed = ((found.result.structuredContent?.models ?? []) as Array<{ air: string }>).map((m) => m.air);
      if (!listed.includes('google:3@0')) await new Promise((r) => setTimeout(r, 100)); // revalidation is in the background
    }
    expect(listed).toContain('google:3@0');
    const run = await s.call('run', {
      model: 'google:3@0',
      positivePrompt: 'a kite',
      width: 1280,
      height: 720,
      duration: 8,
    });
    expect(run.result.structuredContent, run.text).toMatchObject({
      status: 'success',
      taskType: 'videoInference',
      cost: 1.6,
    });
  });

  it("shows Runware's string prices as given, with the amount where there is one (runware-typescript types/content.ts)", async () => {
    const pricing = await s.call('model_pricing', { air: 'google:3@3' });
    expect(pricing.result.structuredContent).toMatchObject({ from: 'live' });
    expect(pricing.result.structuredContent!.pricingExamples).toContainEqual({
      configuration: '1080p · 8s (with audio)',
      price: '$1.2',
      usd: 1.2,
    });
  });

  it('sends FLUX.1 [dev] with inputs.seedImage/maskImage unchanged (task-map.ts Flux1DevParams)', async () => {
    const inputs = {
      seedImage: 'c64351d5-4c59-42f7-95e1-eace013eddab',
      maskImage: 'b4c57832-2075-492b-bf89-9b5e3ac02503',
    };
    const run = await s.call('run', {
      model: 'runware:101@1',
      positivePrompt: 'inpaint',
      width: 512,
      height: 512,
      inputs,
    });
    expect(run.result.isError, run.text).toBeFalsy();
    expect((await sentTasks('imageInference'))[0]!.inputs).toEqual(inputs);
  });

  it('submits an async-only video utility async and polls it (RemoveBackgroundVideoParams: deliveryMethod async)', async () => {
    const run = await s.call('run', {
      model: 'bria:51@1',
      inputs: { video: 'c64351d5-4c59-42f7-95e1-eace013eddab' },
    });
    expect(run.result.structuredContent, run.text).toMatchObject({
      status: 'success',
      taskType: 'removeBackground',
    });
    expect(outputsOf(run.result)[0]).toMatchObject({ type: 'video', url: expect.stringMatching(/\.mp4$/) });
    expect((await sentTasks('removeBackground'))[0]).toMatchObject({ deliveryMethod: 'async' });
    expect((await sentTasks('getResponse')).length).toBeGreaterThan(0);
    const sync = await s.call('run', { model: 'bria:51@1', inputs: { video: 'x' }, deliveryMethod: 'sync' });
    expect(sync.text).toMatch(/takes deliveryMethod "async", not "sync"/);
  });

  it("reports a generation that failed inside data as an error with Runware's code (client.ts polling)", async () => {
    await sim.admin.faults({ failInDataCount: 1 });
    const run = await s.call('run', { model: 'runware:101@1', positivePrompt: 'x', width: 512, height: 512 });
    expect(run.result.isError).toBe(true);
    expect(run.result.structuredContent).toMatchObject({
      status: 'error',
      error: { code: 'timeoutProvider' },
    });
    expect(await sim.admin.charges()).toEqual([]);
  });

  it("keeps a training result's air beside its files (TrainingResult.air)", async () => {
    const run = await s.call('run', { model: 'runware:flux-1-dev@style-lora-training' });
    expect(run.result.structuredContent, run.text).toMatchObject({ status: 'success', taskType: 'training' });
    expect(outputsOf(run.result)).toContainEqual(
      expect.objectContaining({ type: 'model', air: expect.stringMatching(/@/) }),
    );
    expect(outputsOf(run.result).some((o) => o.type === 'file' && o.url)).toBe(true);
    expect(run.text).toMatch(/trained model: \S+@/);
  });

  it('passes text usage and masking detections through to structuredContent (TextInferenceResult, ImageMaskingResult)', async () => {
    const text = await s.call('run', {
      model: 'google:gemini@3-flash',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(text.result.structuredContent, text.text).toMatchObject({
      status: 'success',
      usage: { promptTokens: expect.any(Number), completionTokens: expect.any(Number) },
    });
    const mask = await s.call('run', {
      model: 'runware:35@1',
      inputs: { image: 'c64351d5-4c59-42f7-95e1-eace013eddab' },
    });
    expect(outputsOf(mask.result)[0]).toMatchObject({
      detections: [expect.objectContaining({ x_min: expect.any(Number) })],
    });
  });

  it("refuses by Runware's dry-run price when our documented rule is out of date (runware-skills runware-run SKILL.md)", async () => {
    // Runware raised the price; our snapshot's rule (Veo 3.1 Fast's page: $0.1/s at 720p) would let it through.
    await sim.admin.setPrice('google:3@3', [{ per: 'second', usd: 0.5 }]);
    const run = await s.call('run', {
      model: 'google:3@3',
      positivePrompt: 'x',
      width: 1280,
      height: 720,
      duration: 8,
      maxCost: 2,
    });
    expect(run.result.isError).toBe(true);
    expect(run.text).toMatch(
      /estimated cost \$4\.00 \(from Runware's dry run\) exceeds the spend cap of \$2\.00/,
    );
    expect((await sim.admin.requests()).every((r) => r.dryRun)).toBe(true);
  });

  it('records a dry run that Runware executed anyway as the task, charged once and never re-run', async () => {
    await sim.admin.faults({ dryRunExecutesCount: 1 });
    const run = await s.call('run', {
      model: 'runware:101@1',
      positivePrompt: 'x',
      width: 512,
      height: 512,
      maxCost: 1,
    });
    expect(run.result.structuredContent, run.text).toMatchObject({ status: 'success' });
    const images = await sentTasks('imageInference');
    expect(images).toHaveLength(1); // only the "dry run": no second submission
    expect(await sim.admin.charges()).toHaveLength(1);
    const again = await s.call('get_task_details', {
      taskUUID: String(run.result.structuredContent!.taskUUID),
    });
    expect(again.result.structuredContent).toMatchObject({ status: 'success' });
  });

  it('ends a poll that keeps answering HTTP 500 without a status with a clear error, not "processing" forever', async () => {
    await sim.admin.faults({ pollErrorCount: 1000 });
    const run = await s.call('run', {
      model: 'google:3@3',
      positivePrompt: 'x',
      width: 1280,
      height: 720,
      duration: 4,
    });
    expect(run.result.isError, run.text).toBe(true);
    expect(run.text).toMatch(/could not report on task .*5 polls in a row answered HTTP 500/);
  });

  it('runs a community model from model_search as returned, and says taskType can be given for an unknown AIR', async () => {
    const found = await s.call('model_search', { search: 'juggernaut' });
    const air = (found.result.structuredContent!.results as Array<{ air: string }>)[0]!.air;
    const run = await s.call('run', { model: air, positivePrompt: 'a castle', width: 1024, height: 1024 });
    expect(run.result.structuredContent, run.text).toMatchObject({
      status: 'success',
      taskType: 'imageInference',
    });
    const unknown = await s.call('run', { model: 'someone:12@3', positivePrompt: 'x' });
    expect(unknown.text).toMatch(/pass its taskType too/);
  });
});
