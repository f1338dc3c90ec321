import { randomUUID } from 'node:crypto';
import { getEventListeners } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { scrubSecrets } from '../src/config/logger.js';
import { type RetryInfo, RunwareClient } from '../src/runware/client.js';
import { timeoutSignal } from '../src/runware/deadline.js';
import { categorize, RunwareError } from '../src/runware/errors.js';
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
      width: 1280,
      height: 720,
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
      width: 1280,
      height: 720,
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

  it('retries a 503 burst and reports each retry to the metrics hook', async () => {
    await sim.admin.faults({ status503Count: 2 });
    const retries: RetryInfo[] = [];
    const task = image();
    const items = await client({ onRetry: (r) => retries.push(r) }).runTask(task);
    expect(items).toHaveLength(1);
    expect(retries.map((r) => [r.attempt, r.status, r.reason])).toEqual([
      [1, 503, 'serviceUnavailable'],
      [2, 503, 'serviceUnavailable'],
    ]);
    expect(retries.every((r) => r.taskTypes[0] === 'imageInference')).toBe(true);
    expect((await sim.admin.charges()).filter((c) => c.taskUUID === task.taskUUID)).toHaveLength(1);
  });

  it('gives up after maxRetries with the upstream rate-limit error', async () => {
    await sim.admin.faults({ status429Count: 10 });
    const error = await client({ maxRetries: 2 })
      .runTask(image())
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ category: 'rateLimit', status: 429, retryable: true });
    expect(await sim.admin.requests()).toHaveLength(3);
  });

  it('never charges twice when a timed-out request did reach upstream: the retry reads the result', async () => {
    await sim.admin.faults({ latencyMs: 400 });
    const task = image();
    let calls = 0;
    // The retry waits until upstream has run (and charged) the first attempt, so it meets conflictTaskUUID.
    // The gate stands for "the retry came later": its wait is not the client's, so it runs outside the timeout.
    const gatedFetch: typeof fetch = async (input, init) => {
      if (++calls !== 2) return fetch(input, init);
      await sim.admin.faults({ latencyMs: 0 });
      while (!(await sim.admin.charges()).some((c) => c.taskUUID === task.taskUUID)) {
        await new Promise((r) => setTimeout(r, 25));
      }
      return fetch(input, { ...init, signal: null });
    };
    const retries: string[] = [];
    const items = await client({
      timeoutMs: 200,
      fetch: gatedFetch,
      onRetry: (r) => retries.push(r.reason),
    }).runTask(task);
    expect(retries).toEqual(['requestTimeout']);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      taskUUID: task.taskUUID,
      status: 'success',
      imageURL: expect.any(String),
    });
    const charges = (await sim.admin.charges()).filter((c) => c.taskUUID === task.taskUUID);
    expect(charges).toHaveLength(1);
    expect(await sim.admin.balance(KEY)).toBeCloseTo(50 - charges[0]!.cost, 6);
  });

  it('answers a re-sent task with its existing result instead of running it again', async () => {
    const c = client();
    const task = image({ seed: 7 });
    const [first] = await c.runTask(task);
    const again = await c.send([task]);
    expect(again.errors).toEqual([]);
    expect(again.data[0]).toMatchObject({ taskUUID: task.taskUUID, imageURL: first!.imageURL });
    expect(await sim.admin.charges()).toHaveLength(1);
  });

  it('does not retry when the caller aborts', async () => {
    await sim.admin.faults({ hangCount: 5 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 150);
    const error = await client({ timeoutMs: 5000 })
      .runTask(image(), { signal: controller.signal })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ category: 'aborted', retryable: false });
    expect(await sim.admin.requests()).toHaveLength(1);
  });

  it('prices a dry run without running or charging it', async () => {
    const task = image();
    const [priced] = await client().runTask(task, { dryRun: true });
    expect(priced).toMatchObject({ taskUUID: task.taskUUID, cost: expect.any(Number) });
    expect(priced!.cost).toBeGreaterThan(0);
    expect(priced).not.toHaveProperty('imageURL');
    expect(await sim.admin.charges()).toEqual([]);
    expect((await sim.admin.requests())[0]!.dryRun).toBe(true);
    expect(await sim.admin.balance(KEY)).toBe(50);
  });

  it('reports progress while polling, then the finished generations', async () => {
    const c = client();
    const task = {
      taskType: 'videoInference',
      taskUUID: randomUUID(),
      model: 'google:3@3',
      width: 1280,
      height: 720,
      positivePrompt: 'a lighthouse in a storm',
      deliveryMethod: 'async',
    };
    await c.runTask(task);
    const reports: Array<{ progress?: number; done: number }> = [];
    const result = await c.pollUntilDone(task.taskUUID, { expected: 1, onProgress: (p) => reports.push(p) });
    expect(result.done).toBe(true);
    expect(reports[0]).toMatchObject({ done: 0, progress: expect.any(Number) });
    expect(reports[0]!.progress).toBeGreaterThan(0);
    expect(reports[0]!.progress).toBeLessThan(100);
    expect(reports.at(-1)).toMatchObject({ done: 1 });
  });

  it('keeps polling through a transient upstream failure', async () => {
    const c = client({ maxRetries: 0 });
    const task = {
      taskType: 'videoInference',
      taskUUID: randomUUID(),
      model: 'google:3@3',
      width: 1280,
      height: 720,
      positivePrompt: 'rain on a window',
      deliveryMethod: 'async',
    };
    await c.runTask(task);
    await sim.admin.faults({ status503Count: 1 });
    const result = await c.pollUntilDone(task.taskUUID);
    expect(result.done).toBe(true);
    expect(result.items[0]).toMatchObject({ status: 'success' });
    const polls = (await sim.admin.requests()).filter((r) => r.tasks[0]?.taskType === 'getResponse');
    expect(polls.length).toBeGreaterThanOrEqual(2);
  });

  it('retries a dropped connection and a lost reply with the same taskUUID, charging once', async () => {
    const c = client();
    await sim.admin.faults({ dropConnectionCount: 1 });
    const dropped = image();
    expect(await c.runTask(dropped)).toHaveLength(1);
    await sim.admin.faults({ lostReplyCount: 1 });
    const lost = image();
    const [recovered] = await c.runTask(lost);
    expect(recovered).toMatchObject({ taskUUID: lost.taskUUID, imageURL: expect.any(String) });
    const charged = (await sim.admin.charges()).map((ch) => ch.taskUUID).sort();
    expect(charged).toEqual([dropped.taskUUID, lost.taskUUID].sort());
  });

  it('treats a failed generation as the final answer of a poll, and redacts a key the upstream echoes', async () => {
    const c = client({ maxRetries: 3 });
    const task = {
      taskType: 'videoInference',
      taskUUID: randomUUID(),
      model: 'google:3@3',
      width: 1280,
      height: 720,
      positivePrompt: 'doomed',
      deliveryMethod: 'async',
    };
    await sim.admin.faults({ failTaskCount: 1, echoKeyCount: 5 });
    await c.runTask(task);
    const result = await c.pollUntilDone(task.taskUUID, { deadlineMs: 5000 });
    expect(result.done).toBe(true);
    expect(result.errors[0]).toMatchObject({ code: 'timeoutProvider', generationFailed: true });
    expect(result.errors[0]!.message).toContain('[redacted]');
    expect(JSON.stringify(result)).not.toContain(KEY);
    // Only the ack and the polls that saw the failure: nothing was retried after it.
    const polls = (await sim.admin.requests()).filter((r) => r.tasks[0]?.taskType === 'getResponse');
    expect(polls.length).toBeLessThanOrEqual(3);
    const details = await c.getTaskDetails(task.taskUUID);
    expect(JSON.stringify(details)).not.toContain(KEY);
    await sim.admin.revoke(KEY);
    const refused = (await c.accountDetails().catch((e: unknown) => e)) as RunwareError;
    expect(refused.category).toBe('auth');
    expect(JSON.stringify(refused.toJSON())).not.toContain(KEY);
    expect(await sim.admin.charges()).toEqual([]);
  });

  it('gives the last poll at the deadline at least 500 ms to answer', async () => {
    const c = client();
    await sim.admin.faults({ latencyMs: 300 });
    const task = {
      taskType: 'videoInference',
      taskUUID: randomUUID(),
      model: 'google:3@3',
      width: 1280,
      height: 720,
      positivePrompt: 'slow upstream',
      deliveryMethod: 'async',
    };
    await c.runTask(task);
    const started = Date.now();
    // The first poll is due at 1 s, exactly the deadline: with no budget of its own it would be cut at once.
    let answered = 0;
    await c.pollUntilDone(task.taskUUID, { deadlineMs: 1000, onProgress: () => answered++ });
    const elapsed = Date.now() - started;
    expect(answered).toBe(1);
    const polls = (await sim.admin.requests()).filter((r) => r.tasks[0]?.taskType === 'getResponse');
    expect(polls).toHaveLength(1);
    expect(elapsed).toBeGreaterThanOrEqual(1250);
    expect(elapsed).toBeLessThan(1000 + 500 + 300);
  });

  it('carries the parameter, allowed values and documentation of a refused task', async () => {
    const task = {
      taskType: 'videoInference',
      taskUUID: randomUUID(),
      model: 'google:3@3',
      width: 1280,
      height: 720,
      positivePrompt: 'sync video is refused',
      deliveryMethod: 'sync',
    };
    const error = (await client()
      .runTask(task)
      .catch((e: unknown) => e)) as RunwareError;
    expect(error).toBeInstanceOf(RunwareError);
    expect(error).toMatchObject({
      category: 'validation',
      code: 'unsupportedDeliveryMethod',
      parameter: 'deliveryMethod',
      taskUUID: task.taskUUID,
      taskType: 'videoInference',
      status: 400,
      retryable: false,
      details: { allowedValues: ['async'] },
    });
    expect(error.documentation).toMatch(/^https:\/\/runware\.ai\/docs/);
  });

  it('reads task details, stores media and uploads a model', async () => {
    const c = client();
    const task = image({ outputType: 'dataURI', width: 256, height: 256 });
    const [generated] = await c.runTask(task);
    const details = await c.getTaskDetails(task.taskUUID);
    expect(details).toMatchObject({ taskType: 'getTaskDetails', taskUUID: task.taskUUID });
    expect((details.request as Array<Record<string, unknown>>)[0]!.positivePrompt).toBe('a red fox in snow');
    const stored = await c.mediaStorage({ operation: 'upload', media: String(generated!.imageDataURI) });
    expect(stored).toMatchObject({ operation: 'upload', mediaUUID: expect.any(String) });
    const removed = await c.mediaStorage({ operation: 'delete', media: String(stored.mediaUUID) });
    expect(removed).toMatchObject({ operation: 'delete', mediaUUID: stored.mediaUUID });
    const steps = await c.modelUpload({
      category: 'lora',
      architecture: 'flux1d',
      format: 'safetensors',
      name: 'my style',
      version: '1',
      downloadURL: 'https://example.com/my-style.safetensors',
    });
    expect(steps.map((s) => s.status)).toEqual(['validated', 'downloaded', 'optimized', 'stored', 'ready']);
    await expect(c.modelUpload({ category: 'lora' })).rejects.toMatchObject({
      category: 'validation',
      code: 'missingArchitecture',
      parameter: 'architecture',
    });
  });
});

describe('RunwareClient against a misbehaving loopback upstream', () => {
  let origin: Server;
  let apiUrl: string;
  let handler: (req: IncomingMessage, res: ServerResponse, body: string) => void;

  beforeAll(async () => {
    origin = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => handler(req, res, body));
    });
    await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
    apiUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}/v1`;
  });
  afterAll(() => new Promise<void>((resolve) => origin.close(() => resolve())));

  const reply = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(body);
  };

  it('scrubs an API key that upstream echoes back in a message', async () => {
    handler = (req, res) => {
      const key = /^Bearer (.+)$/.exec(String(req.headers.authorization))?.[1];
      reply(
        res,
        401,
        JSON.stringify({ errors: [{ code: 'invalidApiKey', message: `The key ${key} was revoked.` }] }),
      );
    };
    const error = (await new RunwareClient({ apiUrl, apiKey: KEY })
      .runTask(image())
      .catch((e: unknown) => e)) as RunwareError;
    expect(error).toMatchObject({ category: 'auth', status: 401 });
    expect(error.message).toBe('The key [redacted] was revoked.');
    expect(JSON.stringify(error)).not.toContain(KEY);
    expect(String(error.stack)).not.toContain(KEY);
  });

  it('honours Retry-After, capped by maxRetryDelayMs', async () => {
    let calls = 0;
    handler = (_req, res, body) => {
      const [task] = JSON.parse(body) as Array<{ taskUUID: string }>;
      if (++calls === 1)
        return reply(res, 429, '{"errors":[{"code":"rateLimitExceeded"}]}', { 'retry-after': '3600' });
      reply(res, 200, JSON.stringify({ data: [{ taskType: 'imageInference', taskUUID: task!.taskUUID }] }));
    };
    const delays: number[] = [];
    const items = await new RunwareClient({
      apiUrl,
      apiKey: KEY,
      maxRetryDelayMs: 40,
      onRetry: (r) => delays.push(r.delayMs),
    }).runTask(image());
    expect(items).toHaveLength(1);
    expect(delays).toEqual([40]);
  });

  it('treats JSON that is not a {data, errors} envelope as malformed', async () => {
    for (const body of ['[1,2,3]', '"ok"', '{"result":"ok"}']) {
      handler = (_req, res) => reply(res, 200, body);
      await expect(
        new RunwareClient({ apiUrl, apiKey: KEY, maxRetries: 0 }).runTask(image()),
      ).rejects.toMatchObject({ category: 'serverError', code: 'malformedResponse' });
    }
  });

  it('reports an unreachable upstream as a connection error without the key or the path', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const error = (await new RunwareClient({
      apiUrl: `http://127.0.0.1:${port}/v1`,
      apiKey: KEY,
      maxRetries: 1,
      retryBaseMs: 1,
    })
      .runTask(image())
      .catch((e: unknown) => e)) as RunwareError;
    expect(error).toMatchObject({ category: 'connection', code: 'connectionFailed', retryable: true });
    expect(error.message).toContain(`127.0.0.1:${port}`);
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).not.toContain(KEY);
  });
});

describe('error categories', () => {
  it.each([
    ['invalidApiKey', 401, 'auth'],
    ['missingApiKey', 401, 'auth'],
    ['insufficientCredits', 402, 'quota'],
    ['rateLimitExceeded', 429, 'rateLimit'],
    ['http429', 429, 'rateLimit'],
    ['nsfwContentDetected', 400, 'safety'],
    ['timeoutProvider', 200, 'timeout'],
    ['taskFailedOrNotFound', 200, 'notFound'],
    ['invalidWidth', 400, 'validation'],
    ['unsupportedDuration', 400, 'validation'],
    ['conflictTaskUUID', 400, 'validation'],
    ['providerError', 200, 'provider'],
    ['serviceUnavailable', 503, 'serverError'],
    ['somethingNew', 403, 'auth'],
    ['somethingNew', 500, 'serverError'],
  ])('%s (HTTP %i) is %s', (code, status, category) => {
    expect(categorize(code, status)).toBe(category);
  });
});

describe('timeoutSignal', () => {
  it('aborts on time or with its parent, and leaves no listener behind once cleared', async () => {
    const parent = new AbortController();
    for (let i = 0; i < 1000; i++) timeoutSignal(60_000, parent.signal).clear();
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0);

    const timed = timeoutSignal(20, parent.signal);
    await new Promise((r) => setTimeout(r, 60));
    expect(timed.timedOut).toBe(true);
    expect((timed.signal.reason as Error).name).toBe('TimeoutError');
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0);

    const child = timeoutSignal(60_000, parent.signal);
    parent.abort(new Error('caller went away'));
    expect(child.signal.aborted).toBe(true);
    expect(child.timedOut).toBe(false);
    expect((child.signal.reason as Error).message).toBe('caller went away');
    child.clear();
    expect(timeoutSignal(60_000, parent.signal).signal.aborted).toBe(true);
  });

  it('scrubs a key and its URL-encoded and base64 forms from free text', () => {
    const key = 'rw-key/with+odd=chars';
    const text = `a ${key} b ${encodeURIComponent(key)} c ${Buffer.from(key).toString('base64')} d`;
    const scrubbed = scrubSecrets(text, [key]);
    expect(scrubbed).not.toContain(key);
    expect(scrubbed).not.toContain(encodeURIComponent(key));
    expect(scrubbed).not.toContain(Buffer.from(key).toString('base64').replace(/=+$/, ''));
    expect(scrubbed.match(/\[redacted\]/g)).toHaveLength(3);
  });
});
