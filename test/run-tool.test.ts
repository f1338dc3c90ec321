import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SERVER_NODE } from './support/server-node.js';
import { type SimulatorProcess, spawnSimulator } from './support/simulator-process.js';
import { connectStdio, runwareEnv, type StdioSession } from './support/stdio-client.js';

// A canary key: it must never appear in stderr, results or the SQLite file.
const KEY = 'rw-canary-4f1d9c2e7b3a';
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
let sim: SimulatorProcess;
let s: StdioSession;
const sessions: StdioSession[] = [];

type Result = {
  isError?: boolean;
  content: Array<{ type: string; text?: string; uri?: string; data?: string }>;
  structuredContent?: Record<string, unknown> & {
    outputs?: Array<Record<string, unknown>>;
    taskUUID?: string;
    status?: string;
    cost?: number;
  };
};
const text = (r: Result) => r.content.map((c) => c.text ?? '').join('\n');
// FLUX.1 [dev] requires positivePrompt, width and height (its schema from the schema service); Veo 3.1 Fast
// takes width/height or frame images, one of its documented sizes (runware.ai/docs/models/google-veo-3-1-fast.md).
const FLUX = { model: 'runware:101@1', width: 512, height: 512 };
const VEO = { model: 'google:3@3', width: 1280, height: 720, duration: 8 };

async function start(env: Record<string, string> = {}, dataDir?: string): Promise<StdioSession> {
  const session = await connectStdio(
    {
      RUNWARE_API_KEY: KEY,
      RUNWARE_API_URL: sim.apiUrl,
      RUNWARE_SCHEMAS_URL: sim.schemasUrl,
      RUNWARE_UPSTREAM_MAX_RETRIES: '3',
      // The data dir (media_storage's local file) is under the temp folder, not the home folder.
      RUNWARE_FILE_ROOTS: tmpdir(),
      ...env,
    },
    dataDir ? { dataDir } : {},
  );
  sessions.push(session);
  return session;
}
const call = async (name: string, args: Record<string, unknown>, session = s, options = {}) =>
  (await session.client.callTool({ name, arguments: args }, options)) as Result;

beforeAll(async () => {
  sim = await spawnSimulator({ keys: [KEY], balance: 20, asyncDelayMs: 2500 });
  s = await start();
});
afterAll(async () => {
  for (const session of sessions) await session.close().catch(() => undefined);
  await sim?.stop();
});
beforeEach(() => sim.admin.reset());

describe('run: sync image', () => {
  it('generates an image with URL, cost, resource_link, a small inline preview and a summary', async () => {
    const result = await call('run', {
      model: 'runware:101@1',
      positivePrompt: 'a red kite over dunes',
      width: 1024,
      height: 1024,
      numberResults: 2,
    });
    expect(result.isError).toBeFalsy();
    const sc = result.structuredContent!;
    expect(sc).toMatchObject({ status: 'success', taskType: 'imageInference', model: 'runware:101@1' });
    expect(sc.cost).toBeCloseTo(0.021, 6); // the simulator bills $0.0105 an image
    expect(sc.outputs).toHaveLength(2);
    expect(String(sc.outputs![0]!.url)).toMatch(/\/media\/.+\.png$/);
    expect(JSON.stringify(sc)).not.toMatch(/base64/i);
    // Each output's URL, and beside it the copy saved locally (the test sessions save under their data dir).
    const links = result.content.filter((c) => c.type === 'resource_link').map((c) => c.uri);
    expect(links).toEqual([
      sc.outputs![0]!.url,
      expect.stringMatching(/^file:\/\//),
      sc.outputs![1]!.url,
      expect.stringMatching(/^file:\/\//),
    ]);
    expect(result.content.filter((c) => c.type === 'image')).toHaveLength(2);
    expect(text(result)).toMatch(/^Generated 2 images in \d+\.\d s\. Cost: \$0\.021/);
    expect(text(result)).toContain(String(sc.outputs![0]!.url));
    const charges = await sim.admin.charges();
    expect(charges).toHaveLength(1);
    expect(await sim.admin.balance(KEY)).toBeCloseTo(20 - 0.021, 6);
  });

  it('keeps a numeric-looking prompt a string and coerces numeric strings only where the schema wants numbers', async () => {
    const result = await call('run', {
      model: 'runware:101@1',
      positivePrompt: '1984',
      width: '512',
      height: '768',
      steps: '20',
      lora: '[{"model":"civitai:58390@62833","weight":"0.8"}]',
    });
    expect(result.isError, text(result)).toBeFalsy();
    const sent = (await sim.admin.requests())
      .flatMap((r) => r.tasks)
      .find((t) => t.taskType === 'imageInference')!;
    expect(sent.positivePrompt).toBe('1984');
    expect(sent).toMatchObject({
      width: 512,
      height: 768,
      steps: 20,
      includeCost: true,
      deliveryMethod: 'sync',
    });
    expect(sent.lora).toEqual([{ model: 'civitai:58390@62833', weight: 0.8 }]);
  });

  it("lists every invalid field against Runware's live schema and spends nothing", async () => {
    const result = await call('run', {
      model: 'runware:101@1',
      width: 1024,
      steps: 'lots',
      outputFormat: 'GIF',
      colour: 'red',
    });
    expect(result.isError).toBe(true);
    const message = text(result);
    expect(message).toMatch(/nothing was sent or charged/);
    expect(message).toMatch(/positivePrompt: is required/);
    expect(message).toMatch(/height: is required/);
    expect(message).toMatch(/steps: must be a number.*lots/);
    expect(message).toMatch(/outputFormat: must be one of "JPG", "PNG", "WEBP"/);
    // Runware's schemas are open: a field it does not list is not refused here (Runware decides).
    expect(message).not.toMatch(/colour/);
    expect(await sim.admin.requests()).toEqual([]);
    expect(await sim.admin.balance(KEY)).toBe(20);
  });

  it('sends FLUX.1 [dev] image-to-image as Runware documents it: inputs.seedImage, unchanged', async () => {
    const seed = 'c64351d5-4c59-42f7-95e1-eace013eddab';
    const result = await call('run', {
      ...FLUX,
      positivePrompt: 'restyle',
      inputs: { seedImage: seed },
      strength: 0.7,
    });
    expect(result.isError, text(result)).toBeFalsy();
    const sent = (await sim.admin.requests())
      .flatMap((r) => r.tasks)
      .find((t) => t.taskType === 'imageInference')!;
    expect(sent.inputs).toEqual({ seedImage: seed });
    expect(sent.strength).toBe(0.7);
  });

  it("refuses a task above the spend cap by Runware's dry-run price, and maxCost can only lower the cap", async () => {
    const refused = await call('run', { ...FLUX, positivePrompt: 'x y', numberResults: 4, maxCost: 0.01 });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toMatch(
      /estimated cost \$0\.042 \(from Runware's dry run\) exceeds the spend cap of \$0\.01/,
    );
    const capped = await start({ RUNWARE_MAX_COST_PER_CALL: '0.005' });
    const overServerCap = await call(
      'run',
      { ...FLUX, positivePrompt: 'x y', numberResults: 2, maxCost: 5 },
      capped,
    );
    expect(text(overServerCap)).toMatch(/exceeds the spend cap of \$0\.005/);
    // Only dry runs went upstream: nothing ran, nothing was charged.
    expect((await sim.admin.requests()).every((r) => r.dryRun)).toBe(true);
    expect(await sim.admin.charges()).toEqual([]);
  });

  it('retries a 429 burst transparently and charges once', async () => {
    // No estimate needed (no cap, no confirmation), so no dry run: the 429s meet the submission itself.
    const unpriced = await start({ RUNWARE_CONFIRM_ABOVE: '0' });
    await sim.admin.faults({ status429Count: 2 });
    const result = await call('run', { ...FLUX, positivePrompt: 'retry me' }, unpriced);
    expect(result.structuredContent?.status).toBe('success');
    const sent = (await sim.admin.requests()).filter((r) => r.tasks[0]?.taskType === 'imageInference');
    expect(sent).toHaveLength(3); // two 429s, then the same taskUUID again
    expect(new Set(sent.map((r) => r.tasks[0]!.taskUUID)).size).toBe(1);
    expect(await sim.admin.charges()).toHaveLength(1);
  });

  it('explains a revoked key and insufficient credits in actionable words', async () => {
    await sim.admin.faults({ insufficientCredits: true });
    const broke = await call('run', { ...FLUX, positivePrompt: 'pay me' });
    expect(text(broke)).toMatch(/Insufficient Runware credits.*Top up/);
    await sim.admin.reset();
    await sim.admin.revoke(KEY);
    const revoked = await call('run', { ...FLUX, positivePrompt: 'who am i' });
    expect(revoked.isError).toBe(true);
    expect(text(revoked)).toMatch(/API key was rejected.*Set a new key in RUNWARE_API_KEY/);
  });
});

describe('run: async video with progress, deadline and cancellation', () => {
  it('polls to success and sends progress notifications', async () => {
    const progress: Array<{ progress: number; message?: string }> = [];
    const result = await call('run', { ...VEO, positivePrompt: 'waves at dawn' }, s, {
      onprogress: (p: { progress: number; message?: string }) => progress.push(p),
    });
    expect(result.structuredContent).toMatchObject({
      status: 'success',
      taskType: 'videoInference',
      cost: 0.8, // 8 s at $0.10/s (720p, no audio)
    });
    expect(String(result.structuredContent!.outputs![0]!.url)).toMatch(/\.mp4$/);
    expect(progress.length).toBeGreaterThanOrEqual(2);
    // Lines for people: the model's name, Runware's percentage (or the phase), the seconds waited.
    for (const p of progress)
      expect(p.message).toMatch(/^Veo 3\.1 Fast · (queued|generating|\d+%|finished) · \d+ s$/);
    expect(progress.some((p) => /· \d+% ·/.test(p.message ?? ''))).toBe(true);
    // MCP: the progress figure grows with every notification.
    for (let i = 1; i < progress.length; i++)
      expect(progress[i]!.progress).toBeGreaterThan(progress[i - 1]!.progress);
    expect(await sim.admin.charges()).toHaveLength(1);
  });

  it('reads "Veo 3.1 Fast · finished · N s" in the last progress line, after the percentages', async () => {
    // Raw JSON-RPC over the child's stdio: every line is seen in the order the server wrote it (the SDK client
    // drops a progress notification that it handles after the result).
    const child = spawn(SERVER_NODE, [CLI], {
      env: {
        ...process.env,
        RUNWARE_API_KEY: KEY,
        ...runwareEnv({ RUNWARE_API_URL: sim.apiUrl }),
        RUNWARE_MCP_DATA_DIR: s.dataDir,
        RUNWARE_OUTPUT_DIR: 'off',
        LOG_LEVEL: 'silent',
      },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    const send = (message: object) =>
      child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`);
    send({
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
    });
    send({ method: 'notifications/initialized' });
    send({
      id: 2,
      method: 'tools/call',
      params: {
        name: 'run',
        arguments: { ...VEO, positivePrompt: 'tide', duration: 4 },
        _meta: { progressToken: 'p' },
      },
    });
    const messages: Array<{ id?: number; method?: string; params?: { message?: string } }> = [];
    let buffer = '';
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        const lines = buffer.split('\n');
        buffer = lines.pop()!;
        for (const line of lines) messages.push(JSON.parse(line));
        if (messages.some((m) => m.id === 2)) resolve();
      });
    });
    child.kill();
    const progress = messages
      .slice(
        0,
        messages.findIndex((m) => m.id === 2),
      )
      .filter((m) => m.method === 'notifications/progress')
      .map((m) => m.params?.message);
    expect(progress.at(-1)).toMatch(/^Veo 3\.1 Fast · finished · \d+ s$/);
    expect(progress.slice(0, -1).every((m) => !m?.includes('finished'))).toBe(true);
  });

  it('stops polling when the client cancels', async () => {
    const controller = new AbortController();
    const pending = call('run', { ...VEO, positivePrompt: 'cancel me' }, s, {
      signal: controller.signal,
    });
    await new Promise((r) => setTimeout(r, 1300));
    controller.abort();
    await expect(pending).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 300));
    const pollsAtCancel = (await sim.admin.requests()).filter(
      (r) => r.tasks[0]?.taskType === 'getResponse',
    ).length;
    await new Promise((r) => setTimeout(r, 3000));
    const pollsLater = (await sim.admin.requests()).filter(
      (r) => r.tasks[0]?.taskType === 'getResponse',
    ).length;
    expect(pollsLater).toBe(pollsAtCancel);
  });

  it('returns "processing" at the deadline, and get_task_details finishes it after a restart', async () => {
    const short = await start({ RUNWARE_RUN_DEADLINE_MS: '400' });
    const first = await call('run', { ...VEO, positivePrompt: 'slow clouds' }, short);
    expect(first.structuredContent).toMatchObject({ status: 'processing' });
    expect(text(first)).toMatch(/get_task_details/);
    const taskUUID = first.structuredContent!.taskUUID!;
    await short.close();
    const again = await start({}, short.dataDir);
    const done = await call('get_task_details', { taskUUID }, again);
    expect(done.structuredContent).toMatchObject({ status: 'success', taskUUID, cost: 0.8 });
    const repeat = await call('get_task_details', { taskUUID }, again);
    expect(repeat.structuredContent).toMatchObject({ status: 'success', cost: 0.8 });
    expect(await sim.admin.charges()).toHaveLength(1);
  });
});

describe('key-holding tools', () => {
  it('model_search, media_storage with a local PNG, and account with a decreasing balance', async () => {
    const found = await call('model_search', { search: 'detail', category: 'lora' });
    expect((found.structuredContent!.results as Array<{ air: string }>).map((r) => r.air)).toContain(
      'civitai:58390@62833',
    );
    const before = (await call('account', {})).structuredContent!.balance as number;
    const image = await call('run', { ...FLUX, positivePrompt: 'a tiny png' });
    const png = Buffer.from(
      await (await fetch(String(image.structuredContent!.outputs![0]!.url))).arrayBuffer(),
    );
    const file = join(s.dataDir, 'input.png');
    writeFileSync(file, png);
    const uploaded = await call('media_storage', { path: file });
    expect(uploaded.structuredContent).toMatchObject({ operation: 'upload', mediaUUID: expect.any(String) });
    const stored = Buffer.from(
      await (await fetch(String(uploaded.structuredContent!.mediaURL))).arrayBuffer(),
    );
    expect(stored.equals(png)).toBe(true);
    const after = (await call('account', {})).structuredContent!.balance as number;
    expect(after).toBeLessThan(before);
    const deleted = await call('media_storage', {
      operation: 'delete',
      media: String(uploaded.structuredContent!.mediaUUID),
    });
    expect(deleted.structuredContent).toMatchObject({ operation: 'delete' });
  });

  it('get_task_details of another key is not found', async () => {
    const mine = await call('run', { ...FLUX, positivePrompt: 'mine' });
    await sim.admin.addKey('rw-other-key-000111', 5);
    const other = await start({ RUNWARE_API_KEY: 'rw-other-key-000111' }, s.dataDir);
    const theirs = await call('get_task_details', { taskUUID: mine.structuredContent!.taskUUID! }, other);
    expect(theirs.isError).toBe(true);
    expect(text(theirs)).toMatch(/No task/);
  });

  it('never writes the API key to stderr or the SQLite store', async () => {
    await call('run', { ...FLUX, positivePrompt: 'canary' });
    await sim.admin.revoke(KEY);
    await call('account', {});
    for (const session of sessions) expect(session.stderr()).not.toContain(KEY);
    for (const f of readdirSync(s.dataDir).filter((f) => f.startsWith('runware-mcp.db'))) {
      expect(readFileSync(join(s.dataDir, f)).includes(Buffer.from(KEY))).toBe(false);
    }
  });
});
