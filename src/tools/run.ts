import { randomUUID } from 'node:crypto';
import type { ContentBlock } from '@modelcontextprotocol/server';
import { TRANSPORT_FIELDS } from '../catalog/catalog.js';
import { estimateCost } from '../catalog/cost-estimate.js';
import type { JsonSchema, ModelFile } from '../catalog/model-record.js';
import type { ToolContext, ToolDefinition } from '../mcp/tool-definition.js';
import { timeoutSignal } from '../runware/deadline.js';
import type { TaskObject } from '../runware/types.js';
import { ASYNC_TASK_TYPES, submitTask } from '../tasks/task-runner.js';
import type { TaskRecord } from '../tasks/task-service.js';
import { resolveModel } from './resolve-model.js';
import { followCounted, renderTask, TASK_RESULT_SCHEMA, taskRunOptions } from './task-result.js';
import { errorResult, ToolFailure, usd } from './tool-result.js';

type Args = { model: string; taskType?: string; maxCost?: number } & Record<string, unknown>;

const PRICED_FIELDS = ['duration', 'width', 'height', 'numberResults'] as const;
const AIR_GRAMMAR = /^[a-z0-9_-]+:[A-Za-z0-9._-]+@[A-Za-z0-9._-]+$/;

export const runTool: ToolDefinition<Args> = {
  name: 'run',
  title: 'Run a model',
  description:
    'Run any Runware model (image, video, audio, 3D, text, upscale, background removal, caption...). Pass model (AIR) plus the parameters from model_schema at the top level, e.g. {"model":"runware:101@1","positivePrompt":"...","width":1024}. Parameters are validated before anything is spent; long tasks report progress and may return status "processing" with a taskUUID for get_task_details. Returns output URLs and the cost.',
  inputSchema: {
    type: 'object',
    required: ['model'],
    additionalProperties: true,
    properties: {
      model: {
        type: 'string',
        minLength: 3,
        maxLength: 200,
        description: 'model AIR from list_models, e.g. runware:101@1',
      },
      taskType: {
        type: 'string',
        maxLength: 50,
        description: 'only for models outside the catalog; inferred otherwise',
      },
      maxCost: {
        type: 'number',
        exclusiveMinimum: 0,
        description: 'refuse if the estimated cost in USD is higher (can only lower the server cap)',
      },
    },
  },
  outputSchema: TASK_RESULT_SCHEMA,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  requiresKey: true,
  async handler(args, ctx) {
    const started = Date.now();
    const plan = await planTask(args, ctx);
    await guardSpend(plan, args.maxCost, ctx);
    let record: TaskRecord;
    // One deadline for the whole call: what the checks before submission took is not granted twice.
    const options = taskRunOptions(ctx);
    options.deadlineMs = Math.max(1, options.deadlineMs - (Date.now() - started));
    try {
      record = await followCounted(ctx, plan.task.deliveryMethod === 'async', () =>
        submitTask(plan.task, options),
      );
    } catch (error) {
      return errorResult(error, ctx.principal, plan.task.taskUUID);
    }
    const previews = await imagePreviews(record, ctx);
    return renderTask(record, { elapsedMs: Date.now() - started, previews });
  },
};

interface Plan {
  task: TaskObject;
  model: ModelFile | undefined;
}

/** Resolve the model and its schema, coerce and validate every parameter, fill transport fields. */
async function planTask(args: Args, ctx: ToolContext): Promise<Plan> {
  const { model: air, taskType: givenType, maxCost: _maxCost, ...params } = args;
  for (const field of TRANSPORT_FIELDS) delete params[field];
  const { catalog } = ctx.deps;
  const model = catalog.getModel(air);
  const schema =
    model?.requestSchema ?? (AIR_GRAMMAR.test(air) ? await catalog.requestSchema(air) : undefined);
  const taskType = model?.taskType ?? (schemaTaskType(schema) || givenType);
  if (!taskType) {
    resolveModel(catalog, air); // throws with suggestions when the AIR is unknown
    throw new ToolFailure(
      `The model ${air} is not in the catalog; pass its taskType (e.g. "imageInference").`,
    );
  }
  if (!model && !schema && !AIR_GRAMMAR.test(air)) resolveModel(catalog, air);
  // Loaded on the first run (Ajv and its formats): browsing and the stdio handshake never parse them.
  const { coerceToSchema, validateAgainstSchema } = await import('../catalog/request-validation.js');
  const task: TaskObject = {
    ...(schema ? (coerceToSchema(params, schema) as Record<string, unknown>) : params),
    taskType,
    taskUUID: randomUUID(),
    model: model?.air ?? air,
    includeCost: true,
    deliveryMethod: ASYNC_TASK_TYPES.has(taskType) ? 'async' : 'sync',
  };
  if (schema?.properties && 'outputType' in schema.properties && task.outputType !== undefined)
    task.outputType = 'URL';
  // The fields a price depends on are sent explicitly (schema defaults), so the estimate is what gets billed.
  for (const field of PRICED_FIELDS) {
    const fallback = (schema?.properties?.[field] as { default?: unknown } | undefined)?.default;
    if (task[field] === undefined && fallback !== undefined) task[field] = fallback;
  }
  if (schema) {
    const problems = validateAgainstSchema(schema, task);
    if (problems.length > 0) {
      throw new ToolFailure(
        `Invalid parameters for ${task.model} (nothing was sent or charged):\n${problems.map((p) => `- ${p.field}: ${p.problem}`).join('\n')}\nSee model_schema {"model": "${task.model}"}.`,
      );
    }
  }
  return { task, model };
}

const schemaTaskType = (schema: JsonSchema | undefined) =>
  (schema?.properties?.taskType as { const?: string } | undefined)?.const;

/** Refuses a task whose estimated cost exceeds the cap; maxCost can only lower the server's cap. */
async function guardSpend(plan: Plan, maxCost: number | undefined, ctx: ToolContext): Promise<void> {
  const caps = [ctx.deps.config.maxCostPerCall, maxCost].filter((c): c is number => typeof c === 'number');
  if (caps.length === 0) return;
  const cap = Math.min(...caps);
  let estimate = plan.model ? estimateCost(plan.model.pricing, plan.task) : undefined;
  if (estimate === undefined) {
    // Best effort, and at most half the deadline so the task itself keeps the other half.
    const bound = timeoutSignal(ctx.deps.config.runDeadlineMs / 2, ctx.signal);
    try {
      const [priced] = await ctx.deps
        .runware(ctx.principal.apiKey!)
        .runTask({ ...plan.task, taskUUID: randomUUID() }, { dryRun: true, signal: bound.signal });
      if (typeof priced?.cost === 'number') estimate = priced.cost;
    } catch {
      // an unknown estimate falls to the configured policy below
    } finally {
      bound.clear();
    }
  }
  if (estimate === undefined) {
    if (ctx.deps.config.unknownCostPolicy === 'deny') {
      throw new ToolFailure(
        `The cost of this ${plan.task.taskType} task cannot be estimated and the spend cap (${usd(cap)}) is set to refuse unknown costs.`,
      );
    }
    return;
  }
  if (estimate > cap) {
    throw new ToolFailure(
      `Refused: the estimated cost ${usd(estimate)} exceeds the spend cap of ${usd(cap)} per call. Lower numberResults, size or duration, or raise the cap (RUNWARE_MAX_COST_PER_CALL / maxCost). Nothing was charged.`,
    );
  }
}

/** Small images are also inlined (when enabled); large ones stay links so base64 never floods the context. */
async function imagePreviews(record: TaskRecord, ctx: ToolContext): Promise<ContentBlock[]> {
  const cap = ctx.deps.config.inlineImageMaxBytes;
  if (cap <= 0 || record.status !== 'success') return [];
  const previews: ContentBlock[] = [];
  for (const output of record.outputs.filter((o) => o.type === 'image' && o.url).slice(0, 4)) {
    try {
      const res = await fetch(output.url!, { signal: AbortSignal.timeout(5000) });
      const declared = Number(res.headers.get('content-length') ?? Number.NaN);
      if (!res.ok || declared > cap) {
        await res.body?.cancel();
        continue;
      }
      const bytes = Buffer.from(await res.arrayBuffer());
      if (bytes.length > cap) continue;
      previews.push({
        type: 'image',
        data: bytes.toString('base64'),
        mimeType: res.headers.get('content-type') ?? 'image/png',
      });
    } catch {
      // a preview is a convenience: the URL is already in the result
    }
  }
  return previews;
}
