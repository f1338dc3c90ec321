import { createHash, randomUUID } from 'node:crypto';
import { type PriceLine, priceTask } from './billing.js';
import { deliveryOf, type SimData, type SimModel } from './fixtures.js';
import { MIME, renderGlb, renderMp4, renderNoisePng, renderPng, renderSvg, renderWav } from './media.js';
import { keyIdOf, type SimState, type StoredTask } from './state.js';
import { validateTask } from './validation.js';

export interface InferenceContext {
  state: SimState;
  data: SimData;
  baseUrl: string;
  asyncDelayMs: number;
}

type Task = Record<string, unknown> & { taskType?: unknown; taskUUID?: unknown };
type Item = Record<string, unknown>;
export interface Envelope {
  status: number;
  body: { data?: Item[]; errors?: Item[] };
}

/** Older SDKs still send these; upstream accepts both spellings. */
const LEGACY_TASK_TYPES: Record<string, string> = {
  imageUpscale: 'upscale',
  imageBackgroundRemoval: 'removeBackground',
  imageCaption: 'caption',
  imageControlNetPreProcess: 'controlNetPreprocess',
  photoMaker: 'imageInference',
};
const INFERENCE = new Set([
  'imageInference',
  'videoInference',
  'audioInference',
  'textInference',
  '3dInference',
  'upscale',
  'removeBackground',
  'caption',
  'promptEnhance',
  'vectorize',
  'controlNetPreprocess',
  'imageMasking',
  'training',
]);
/** Without a schema that says otherwise, upstream delivers these only asynchronously. */
const ASYNC_ONLY = new Set(['videoInference', '3dInference', 'training']);
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOCS = 'https://runware.ai/docs/platform/errors';

class TaskFailure extends Error {
  constructor(
    readonly status: number,
    readonly error: Item,
  ) {
    super(String(error.message));
  }
}

const fail = (status: number, code: string, message: string, extra: Item = {}) =>
  new TaskFailure(status, { code, message, documentation: DOCS, ...extra });

/** Handles one POST /v1 body (already parsed) for an authenticated key. */
export function handleTasks(ctx: InferenceContext, tasks: Task[], apiKey: string, dryRun: boolean): Envelope {
  const data: Item[] = [];
  const errors: Item[] = [];
  let worst = 0;
  for (const raw of tasks) {
    const taskType = LEGACY_TASK_TYPES[String(raw.taskType)] ?? String(raw.taskType);
    try {
      data.push(...runOne(ctx, { ...raw, taskType }, String(raw.taskType), apiKey, dryRun));
    } catch (error) {
      const failure =
        error instanceof TaskFailure
          ? error
          : fail(500, 'internalServerError', 'Unexpected simulator failure.');
      errors.push({ ...failure.error, taskType: raw.taskType, taskUUID: raw.taskUUID });
      worst = Math.max(worst, failure.status);
    }
  }
  // Per-task errors in a batch: others still succeed (200 with both); all failed -> the error's status.
  const status = data.length > 0 ? 200 : worst || 200;
  return { status, body: { ...(data.length ? { data } : {}), ...(errors.length ? { errors } : {}) } };
}

function runOne(
  ctx: InferenceContext,
  task: Task,
  sentType: string,
  apiKey: string,
  dryRun: boolean,
): Item[] {
  const taskType = task.taskType as string;
  if (typeof task.taskUUID !== 'string' || task.taskUUID === '') {
    throw fail(400, 'missingTaskUUID', 'Missing required parameter taskUUID.', { parameter: 'taskUUID' });
  }
  if (!UUID_RE.test(task.taskUUID)) {
    throw fail(400, 'invalidTaskUUID', 'taskUUID must be a UUID v4.', { parameter: 'taskUUID' });
  }
  const taskUUID = task.taskUUID;
  switch (taskType) {
    case 'getResponse':
      return getResponse(ctx, taskUUID, apiKey);
    case 'getTaskDetails':
      return [getTaskDetails(ctx, taskUUID, apiKey)];
    case 'accountManagement':
      return [accountDetails(ctx, task, apiKey)];
    case 'modelSearch':
      return [modelSearch(ctx, task)];
    case 'imageUpload':
    case 'mediaStorage':
      return [mediaStorage(ctx, task, sentType)];
    case 'modelUpload':
      return modelUpload(ctx, task);
    case 'ping':
      return [{ taskType: 'ping', pong: true }];
  }
  if (!INFERENCE.has(taskType)) {
    throw fail(400, 'invalidTaskType', `Unknown taskType '${String(task.taskType)}'.`, {
      parameter: 'taskType',
    });
  }
  if (ctx.state.tasks.has(taskUUID)) {
    throw fail(400, 'conflictTaskUUID', 'A task with this taskUUID was already submitted.', {
      parameter: 'taskUUID',
    });
  }
  const model = resolveModel(ctx, task);
  const problems = model ? validateTask(model, task) : [];
  if (problems.length > 0) throw new TaskFailure(400, problems[0]!);
  const async = deliveryMethodOf(model, task) === 'async';
  const results = renderResults(ctx, task, sentType, dryRun);
  const lines = (model && ctx.state.priceOverrides.get(model.record.air)) as PriceLine[] | undefined;
  const cost = priceTask(lines ?? model?.price, task, {
    ...(model?.textPath ? { textPath: model.textPath } : {}),
    usage: (results[0]?.usage as { promptTokens?: number; completionTokens?: number } | undefined) ?? {},
  });
  // An upstream that ignores the dry-run header runs the task for real (the dryRunExecutes fault).
  if (dryRun && ctx.state.faults.dryRunExecutesCount > 0) ctx.state.faults.dryRunExecutesCount--;
  else if (dryRun) return [{ taskType: sentType, taskUUID, cost }];
  const account = ctx.state.accounts.get(apiKey)!;
  if (ctx.state.faults.insufficientCredits || account.balance < cost) {
    throw fail(402, 'insufficientCredits', 'Insufficient credits to run this task. Top up your balance.', {
      parameter: 'apiKey',
    });
  }
  if (ctx.state.faults.failTaskCount > 0) {
    ctx.state.faults.failTaskCount--;
    return failTask(ctx, task, sentType, account.keyId, apiKey, async, 'errors');
  }
  if (ctx.state.faults.failInDataCount > 0) {
    ctx.state.faults.failInDataCount--;
    return failTask(ctx, task, sentType, account.keyId, apiKey, async, 'data');
  }
  const stored: StoredTask = {
    keyId: account.keyId,
    task,
    taskType: sentType,
    submittedAt: Date.now(),
    readyAt: Date.now() + (async ? ctx.asyncDelayMs : 0),
    results,
    cost,
    charged: false,
  };
  ctx.state.tasks.set(taskUUID, stored);
  if (async) return [{ taskType: sentType, taskUUID }];
  ctx.state.charge(taskUUID, apiKey, cost);
  return results.map((r) => withCost(r, task, cost, results.length));
}

/**
 * The delivery a task gets: what it asked for if the model's schema allows it (refused otherwise), else the
 * schema's default; without a schema, video, 3D and training are async-only as the API reference says.
 */
function deliveryMethodOf(model: SimModel | undefined, task: Task): 'sync' | 'async' {
  const allowed =
    deliveryOf(model?.requestSchema) ??
    (ASYNC_ONLY.has(String(task.taskType)) ? ['async'] : ['sync', 'async']);
  const asked = task.deliveryMethod;
  if (asked !== undefined && !allowed.includes(String(asked))) {
    throw fail(
      400,
      'unsupportedDeliveryMethod',
      `This model supports deliveryMethod ${allowed.map((a) => `"${a}"`).join(' or ')}, not "${String(asked)}".`,
      { parameter: 'deliveryMethod', allowedValues: allowed },
    );
  }
  const node = (model?.requestSchema?.properties as Record<string, { default?: unknown }> | undefined)
    ?.deliveryMethod;
  const chosen = String(asked ?? node?.default ?? allowed[0]);
  return chosen === 'async' ? 'async' : 'sync';
}

/**
 * The failTaskCount / failInDataCount faults: the generation fails upstream (never charged); kept so polls and
 * details see it. Runware reports a failed generation in two shapes (runware-typescript src/client.ts polling):
 * an `errors` entry, or a `data` item with `status: "error"` and an embedded `error: {code, message}`.
 */
function failTask(
  ctx: InferenceContext,
  task: Task,
  sentType: string,
  keyId: string,
  apiKey: string,
  async: boolean,
  shape: 'errors' | 'data',
): Item[] {
  const echo = ctx.state.faults.echoKeyCount > 0 ? ` (API key ${apiKey})` : '';
  const error: Item = {
    code: 'timeoutProvider',
    status: 'error',
    message: `The external provider did not respond in time.${echo}`,
    documentation: DOCS,
    taskType: sentType,
    taskUUID: task.taskUUID,
  };
  const inData: Item | undefined =
    shape === 'data'
      ? {
          taskType: sentType,
          taskUUID: task.taskUUID,
          status: 'error',
          error: { code: 'timeoutProvider', message: String(error.message) },
        }
      : undefined;
  const now = Date.now();
  ctx.state.tasks.set(String(task.taskUUID), {
    keyId,
    task,
    taskType: sentType,
    submittedAt: now,
    readyAt: now + (async ? ctx.asyncDelayMs : 0),
    results: inData ? [inData] : [],
    cost: 0,
    charged: false,
    ...(inData ? {} : { error }),
  });
  if (async) return [{ taskType: sentType, taskUUID: task.taskUUID }];
  if (inData) return [inData];
  throw new TaskFailure(400, error);
}

/**
 * The model a task names: a fixture (curated or reachable by AIR only) or a community model of the mirror (or one
 * uploaded), which Runware runs as imageInference without a per-model schema. Unknown models and taskType
 * mismatches are refused as upstream does.
 */
function resolveModel(ctx: InferenceContext, task: Task): SimModel | undefined {
  if (task.model === undefined) {
    // Legacy utility tasks (and promptEnhance) predate per-model AIRs.
    if (
      ['promptEnhance', 'upscale', 'removeBackground', 'caption', 'controlNetPreprocess'].includes(
        String(task.taskType),
      )
    )
      return undefined;
    throw fail(400, 'missingModel', 'Missing required parameter model.', { parameter: 'model' });
  }
  const id = String(task.model);
  const model = ctx.data.byAir.get(id) ?? ctx.data.bySlug.get(id);
  const community =
    !model && (ctx.data.community.some((m) => m.air === id) || ctx.state.uploadedModels.has(id));
  if (!model && !community) {
    throw fail(400, 'invalidModel', `The model '${id}' does not exist or is not available.`, {
      parameter: 'model',
    });
  }
  const expected = model?.taskType ?? 'imageInference';
  if (expected !== task.taskType) {
    throw fail(400, 'invalidModel', `Model ${id} runs taskType ${expected}, not ${String(task.taskType)}.`, {
      parameter: 'model',
    });
  }
  return model;
}

function withCost(item: Item, task: Task, cost: number, count: number): Item {
  return task.includeCost === true ? { ...item, cost: Math.round((cost / count) * 1e6) / 1e6 } : item;
}

function seedOf(task: Task): number {
  if (typeof task.seed === 'number') return task.seed;
  return createHash('sha256').update(String(task.taskUUID)).digest().readUInt32BE(0);
}

function store(ctx: InferenceContext, body: Buffer, ext: string): { uuid: string; url: string } {
  const uuid = randomUUID();
  ctx.state.media.set(uuid, { body, mime: MIME[ext] ?? 'application/octet-stream' });
  return { uuid, url: `${ctx.baseUrl}/media/${uuid}.${ext}` };
}

/** Applies outputType to a media field: URL, base64Data or dataURI. */
function mediaFields(
  task: Task,
  prefix: string,
  file: { uuid: string; url: string },
  body: Buffer,
  mime: string,
): Item {
  switch (task.outputType) {
    case 'base64Data':
      return { [`${prefix}UUID`]: file.uuid, [`${prefix}Base64Data`]: body.toString('base64') };
    case 'dataURI':
      return {
        [`${prefix}UUID`]: file.uuid,
        [`${prefix}DataURI`]: `data:${mime};base64,${body.toString('base64')}`,
      };
    default:
      return { [`${prefix}UUID`]: file.uuid, [`${prefix}URL`]: file.url };
  }
}

function renderResults(ctx: InferenceContext, task: Task, sentType: string, dryRun = false): Item[] {
  const n = typeof task.numberResults === 'number' ? Math.max(1, task.numberResults) : 1;
  const base = seedOf(task);
  const head = { taskType: sentType, taskUUID: task.taskUUID };
  const image = (seed: number, prefix = 'image') => {
    const [width, height] = [Number(task.width ?? 1024), Number(task.height ?? 1024)];
    // A dry run only prices the task: the large outputs asked for are the real run's.
    const large = !dryRun && ctx.state.faults.largeImageCount > 0;
    if (large) ctx.state.faults.largeImageCount--;
    const body = large ? renderNoisePng(width, height) : renderPng(seed, width, height);
    return mediaFields(task, prefix, store(ctx, body, 'png'), body, 'image/png');
  };
  // Media inputs sit under `inputs` (inputs.image, inputs.video); older requests sent `inputImage`.
  const inputs = (task.inputs ?? {}) as Record<string, unknown>;
  const given = inputs.image ?? inputs.video ?? task.inputImage;
  const inputUUID = typeof given === 'string' && UUID_RE.test(given) ? given : randomUUID();
  const isVideo = inputs.video !== undefined;
  const items: Item[] = [];
  for (let i = 0; i < n; i++) {
    const seed = base + i;
    switch (task.taskType) {
      case 'imageInference':
        items.push({ ...head, ...image(seed), seed, ...(task.safety ? { NSFWContent: false } : {}) });
        break;
      case 'videoInference': {
        const file = store(ctx, renderMp4(), 'mp4');
        items.push({ ...head, videoUUID: file.uuid, videoURL: file.url, seed });
        break;
      }
      case 'audioInference': {
        const body = renderWav(seed, Number(task.duration ?? 1));
        items.push({
          ...head,
          ...mediaFields(task, 'audio', store(ctx, body, 'wav'), body, 'audio/wav'),
          seed,
        });
        break;
      }
      case '3dInference': {
        const file = store(ctx, renderGlb(), 'glb');
        items.push({ ...head, seed, outputs: { files: [{ uuid: file.uuid, url: file.url }] } });
        break;
      }
      case 'textInference': {
        const text = `Simulated answer ${seed % 1000} to: ${lastUserMessage(task).slice(0, 200)}`;
        const promptTokens = Math.ceil(JSON.stringify(task.messages ?? '').length / 4);
        const completionTokens = Math.ceil(text.length / 4);
        items.push({
          ...head,
          text,
          finishReason: 'stop',
          usage: {
            promptTokens,
            completionTokens,
            totalTokens: promptTokens + completionTokens,
            thinkingTokens: 0,
          },
        });
        break;
      }
      case 'caption':
        items.push({
          ...head,
          ...legacyName(task, 'imageCaption'),
          text: isVideo
            ? `[0] (0-6): A simulated description of the first six seconds (seed ${seed}).`
            : `A simulated description of the input image (seed ${seed}).`,
        });
        break;
      case 'promptEnhance':
        break; // one item per version, below
      case 'upscale':
      case 'removeBackground':
        if (isVideo) {
          const file = store(ctx, renderMp4(), 'mp4');
          items.push({ ...head, videoUUID: file.uuid, videoURL: file.url });
        } else {
          const legacy = task.taskType === 'upscale' ? 'imageUpscale' : 'imageBackgroundRemoval';
          items.push({ ...head, ...legacyName(task, legacy), ...image(seed), inputImageUUID: inputUUID });
        }
        break;
      case 'vectorize': {
        const file = store(ctx, renderSvg(seed), 'svg');
        items.push({ ...head, imageUUID: file.uuid, imageURL: file.url, inputImageUUID: inputUUID });
        break;
      }
      case 'controlNetPreprocess':
        items.push({
          ...head,
          ...legacyName(task, 'imageControlNetPreProcess'),
          ...image(seed, 'guideImage'),
          inputImageUUID: inputUUID,
        });
        break;
      case 'imageMasking':
        items.push({
          ...head,
          ...image(seed, 'maskImage'),
          inputImageUUID: inputUUID,
          detections: [{ x_min: 10, y_min: 12, x_max: 100, y_max: 120 }],
        });
        break;
      case 'training': {
        const file = store(ctx, Buffer.from(`simulated safetensors ${seed}`), 'safetensors');
        items.push({
          ...head,
          air: `runware:trained-${seed}@1`,
          outputs: { files: [{ uuid: file.uuid, url: file.url }] },
        });
        break;
      }
    }
  }
  if (task.taskType === 'promptEnhance') {
    const versions = typeof task.promptVersions === 'number' ? task.promptVersions : 1;
    for (let v = 0; v < versions; v++) {
      items.push({
        ...head,
        text: `${String(task.prompt ?? '')}, highly detailed, dramatic lighting, variation ${v + 1}`,
      });
    }
  }
  return items;
}

/**
 * Image utilities answer under their legacy task names, as the examples on Runware's model pages show (a
 * `caption` request answered as `imageCaption`, `upscale` as `imageUpscale`): clients match on taskUUID.
 */
const legacyName = (task: Task, name: string): Item => (task.model !== undefined ? { taskType: name } : {});

function lastUserMessage(task: Task): string {
  const messages = Array.isArray(task.messages)
    ? (task.messages as Array<{ role?: string; content?: unknown }>)
    : [];
  const last = [...messages].reverse().find((m) => m.role === 'user');
  return typeof last?.content === 'string' ? last.content : String(task.positivePrompt ?? task.prompt ?? '');
}

function ownTask(ctx: InferenceContext, taskUUID: string, apiKey: string): StoredTask {
  const task = ctx.state.tasks.get(taskUUID);
  if (!task || task.keyId !== keyIdOf(apiKey)) {
    throw fail(400, 'taskFailedOrNotFound', `No task with taskUUID ${taskUUID} was found for this API key.`, {
      parameter: 'taskUUID',
    });
  }
  return task;
}

function getResponse(ctx: InferenceContext, taskUUID: string, apiKey: string): Item[] {
  if (ctx.state.faults.pollErrorCount > 0) {
    ctx.state.faults.pollErrorCount--;
    // A poll that fails without any task status: the client cannot tell how the task is doing.
    throw fail(500, 'internalServerError', 'An unexpected error occurred while fetching the response.');
  }
  const task = ownTask(ctx, taskUUID, apiKey);
  const now = Date.now();
  if (now < task.readyAt) {
    const total = task.readyAt - task.submittedAt || 1;
    const progress = Math.min(99, Math.floor(((now - task.submittedAt) / total) * 100));
    const pending = Math.max(1, task.results.length);
    return Array.from({ length: pending }, () => ({
      taskType: task.taskType,
      taskUUID,
      status: 'processing',
      progress,
    }));
  }
  if (task.error) throw new TaskFailure(400, task.error);
  if (task.results.some((r) => r.status === 'error')) return task.results;
  ctx.state.charge(taskUUID, apiKey, task.cost);
  return task.results.map((r) => ({
    ...withCost(r, task.task, task.cost, task.results.length),
    status: 'success',
  }));
}

function getTaskDetails(ctx: InferenceContext, taskUUID: string, apiKey: string): Item {
  const task = ownTask(ctx, taskUUID, apiKey);
  const ready = Date.now() >= task.readyAt;
  return {
    taskType: 'getTaskDetails',
    taskUUID,
    request: [task.task],
    response: !ready
      ? { data: [{ taskType: task.taskType, taskUUID, status: 'processing' }] }
      : task.error
        ? { errors: [task.error] }
        : { data: task.results.map((r) => withCost(r, task.task, task.cost, task.results.length)) },
  };
}

function accountDetails(ctx: InferenceContext, task: Task, apiKey: string): Item {
  const operation = task.operation ?? 'getDetails';
  if (operation !== 'getDetails') {
    throw fail(400, 'unsupportedOperation', `Operation '${String(operation)}' is not supported.`, {
      parameter: 'operation',
      allowedValues: ['getDetails'],
    });
  }
  const account = ctx.state.accounts.get(apiKey)!;
  const mine = ctx.state.charges.filter((c) => c.keyId === account.keyId);
  const spent = mine.reduce((sum, c) => sum + c.cost, 0);
  return {
    taskType: 'accountManagement',
    taskUUID: task.taskUUID,
    operation: 'getDetails',
    organizationUUID: '5b0c6a43-2b6f-4a52-9c0e-6d1f3c1b7a11',
    organizationName: 'Simulated Organisation',
    AIRSource: 'simorg',
    balance: { amount: account.balance, freeBalance: 0, currency: 'USD' },
    apiKeys: [{ apiKey: `${apiKey.slice(0, 3)}…${apiKey.slice(-2)}`, name: 'default', enabled: true }],
    usage: {
      today: { credits: round(spent), requests: mine.length },
      last7Days: { credits: round(spent), requests: mine.length },
      last30Days: { credits: round(spent), requests: mine.length },
      total: { credits: round(spent), requests: mine.length },
    },
  };
}

const round = (n: number) => Math.round(n * 1e6) / 1e6;

function modelSearch(ctx: InferenceContext, task: Task): Item {
  const query = String(task.search ?? '').toLowerCase();
  // Result fields as runware-typescript's ModelSearchResult types them (src/types/task-map.ts).
  const featured: Item[] = ctx.data.models
    .filter((m) => m.curated !== false && m.taskType === 'imageInference')
    .map((m) => ({
      air: m.record.air,
      name: m.record.name,
      category: 'checkpoint',
      architecture: (m.record.architecture as string | undefined) ?? null,
      capabilities: (m.record.capabilities as string[] | undefined) ?? [],
      source: 'featured',
      heroImage: (m.record.coverImage as string | undefined) ?? null,
      private: false,
    }));
  const community: Item[] = ctx.data.community.map((m) => ({
    capabilities: [],
    heroImage: null,
    private: false,
    source: 'community',
    ...m,
  }));
  const matches = [...featured, ...community].filter((m) => {
    if (task.category && m.category !== task.category) return false;
    if (task.architecture && m.architecture !== task.architecture) return false;
    const tags = Array.isArray(m.tags) ? (m.tags as string[]) : [];
    return !query || `${m.name} ${m.air} ${tags.join(' ')}`.toLowerCase().includes(query);
  });
  const limit = typeof task.limit === 'number' ? Math.min(100, Math.max(1, task.limit)) : 20;
  const offset = typeof task.offset === 'number' ? Math.max(0, task.offset) : 0;
  return {
    taskType: 'modelSearch',
    taskUUID: task.taskUUID,
    totalResults: matches.length,
    results: matches.slice(offset, offset + limit),
  };
}

function mediaStorage(ctx: InferenceContext, task: Task, sentType: string): Item {
  const operation = sentType === 'imageUpload' ? 'upload' : String(task.operation ?? 'upload');
  const input = sentType === 'imageUpload' ? task.image : task.media;
  if (operation === 'delete') {
    const uuid = String(input ?? '');
    if (!ctx.state.media.delete(uuid)) {
      throw fail(400, 'mediaNotFound', `No stored media with UUID ${uuid}.`, { parameter: 'media' });
    }
    return { taskType: sentType, taskUUID: task.taskUUID, operation: 'delete', mediaUUID: uuid };
  }
  if (operation !== 'upload') {
    throw fail(400, 'unsupportedOperation', `Operation '${operation}' is not supported.`, {
      parameter: 'operation',
      allowedValues: ['upload', 'delete'],
    });
  }
  if (typeof input !== 'string' || input === '') {
    throw fail(
      400,
      sentType === 'imageUpload' ? 'missingImage' : 'missingMedia',
      'Missing media to upload.',
      {
        parameter: sentType === 'imageUpload' ? 'image' : 'media',
      },
    );
  }
  const body = decodeMedia(input);
  const file = store(ctx, body.bytes, body.ext);
  return sentType === 'imageUpload'
    ? { taskType: sentType, taskUUID: task.taskUUID, imageUUID: file.uuid, imageURL: file.url }
    : {
        taskType: sentType,
        taskUUID: task.taskUUID,
        operation: 'upload',
        mediaUUID: file.uuid,
        mediaURL: file.url,
      };
}

function decodeMedia(input: string): { bytes: Buffer; ext: string } {
  const dataUri = /^data:([\w/+.-]+);base64,(.*)$/s.exec(input);
  if (dataUri) return { bytes: Buffer.from(dataUri[2]!, 'base64'), ext: extOf(dataUri[1]!) };
  if (/^https?:\/\//.test(input)) return { bytes: renderPng(input.length, 256, 256), ext: 'png' }; // not fetched: offline
  if (/^[A-Za-z0-9+/=\s]+$/.test(input) && input.length >= 8) {
    const bytes = Buffer.from(input, 'base64');
    return { bytes, ext: bytes.subarray(0, 4).toString('latin1') === '\x89PNG' ? 'png' : 'bin' };
  }
  throw fail(400, 'invalidMedia', 'Media must be a public URL, a data URI, base64 data or a media UUID.', {
    parameter: 'media',
  });
}

const extOf = (mime: string) => Object.entries(MIME).find(([, m]) => m === mime)?.[0] ?? 'bin';

function modelUpload(ctx: InferenceContext, task: Task): Item[] {
  for (const field of ['category', 'architecture', 'format', 'name', 'version', 'downloadURL']) {
    if (task[field] === undefined) {
      throw fail(
        400,
        `missing${field.charAt(0).toUpperCase()}${field.slice(1)}`,
        `Missing required parameter ${field}.`,
        {
          parameter: field,
        },
      );
    }
  }
  const air = typeof task.air === 'string' ? task.air : `simorg:${ctx.state.uploadedModels.size + 1}@1`;
  ctx.state.uploadedModels.set(air, task);
  return ['validated', 'downloaded', 'optimized', 'stored', 'ready'].map((status) => ({
    taskType: 'modelUpload',
    taskUUID: task.taskUUID,
    status,
    message: `Model ${status}.`,
    air,
  }));
}
