import { randomUUID } from 'node:crypto';
import type { CallToolResult } from '@modelcontextprotocol/server';
import { type ResolvedRequestSchema, TRANSPORT_FIELDS } from '../catalog/catalog.js';
import { type JsonSchema, type ModelFile, nameOf } from '../catalog/model-record.js';
import { estimateCost } from '../catalog/price-rule.js';
import type { ToolContext, ToolDefinition } from '../mcp/tool-definition.js';
import { timeoutSignal } from '../runware/deadline.js';
import type { ResultItem, TaskObject } from '../runware/types.js';
import { STUDIO_TOOL_META } from '../studio/studio-app.js';
import { totalCost } from '../tasks/outputs.js';
import { ASYNC_TASK_TYPES, recordFinished, submitTask } from '../tasks/task-runner.js';
import type { TaskRecord } from '../tasks/task-service.js';
import { budgetsConfigured, recordCharged, refuseOverBudget, reserveBudget } from './budget.js';
import { deliverOutputs } from './deliver-outputs.js';
import { readLocalInputs, uploadLocalInputs } from './local-inputs.js';
import { resolveModel } from './resolve-model.js';
import { confirmSpend } from './spend-confirmation.js';
import { followCounted, modelLabel, renderTask, TASK_RESULT_SCHEMA, taskRunOptions } from './task-result.js';
import { errorResult, ToolFailure, usd } from './tool-result.js';

type Args = {
  model: string;
  taskType?: string;
  maxCost?: number;
  confirmCost?: number;
  deliveryMethod?: string;
} & Record<string, unknown>;

const PRICED_FIELDS = ['duration', 'width', 'height', 'numberResults'] as const;
const AIR_GRAMMAR = /^[a-z0-9_-]+:[A-Za-z0-9._-]+@[A-Za-z0-9._-]+$/;
/** Community models (Runware's Civitai mirror, what model_search finds) are image checkpoints: imageInference. */
const COMMUNITY_SOURCES = new Set(['civitai']);

export const runTool: ToolDefinition<Args> = {
  name: 'run',
  title: 'Run a model',
  description:
    'Run any Runware model (image, video, audio, 3D, text, upscale, background removal, caption...). Pass model (AIR) plus the parameters from model_schema at the top level, e.g. {"model":"runware:101@1","positivePrompt":"...","width":1024,"height":1024}. Media inputs also take local file paths (local mode). Parameters are validated before anything is spent; long tasks report progress and may return status "processing" with a taskUUID for get_task_details. Returns output URLs and the cost.',
  inputSchema: {
    type: 'object',
    required: ['model'],
    additionalProperties: true,
    properties: {
      model: {
        type: 'string',
        minLength: 3,
        maxLength: 200,
        description: 'model AIR from list_models or model_search, e.g. runware:101@1',
      },
      taskType: {
        type: 'string',
        maxLength: 50,
        description: 'only for models Runware does not list (e.g. "imageInference"); looked up otherwise',
      },
      deliveryMethod: {
        type: 'string',
        enum: ['sync', 'async'],
        description: 'optional; chosen from the model schema otherwise (async tasks are polled for you)',
      },
      maxCost: {
        type: 'number',
        exclusiveMinimum: 0,
        description: 'refuse if the estimated cost in USD is higher (can only lower the server cap)',
      },
      confirmCost: {
        type: 'number',
        exclusiveMinimum: 0,
        description: 'the estimate (USD) the user agreed to, when run refused asking for confirmation',
      },
    },
  },
  outputSchema: TASK_RESULT_SCHEMA,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  _meta: STUDIO_TOOL_META,
  requiresKey: true,
  taskSupport: 'optional',
  async handler(args, ctx) {
    const started = Date.now();
    const localInputs = await readLocalInputs(args, ctx);
    const plan = await planTask(args, ctx);
    await uploadLocalInputs(plan.task, localInputs, ctx);
    const spend = await guardSpend(plan, args.maxCost, ctx);
    if (!spend.executed) {
      const label = modelLabel(ctx, String(plan.task.model));
      const unconfirmed = await confirmSpend(label, spend.estimate, args.confirmCost, ctx);
      if (unconfirmed) return unconfirmed;
      // Entered in the budgets' ledgers only now that it will be submitted (checked again: runs may race).
      if (budgetsConfigured(ctx)) await reserveBudget(ctx, plan.task.taskUUID, spend.estimate);
    }
    // Checked, priced and confirmed: from here on it runs as an MCP task when the client takes one.
    return ctx.asTask(plan.task.taskUUID, (work) => executePlan(plan, spend.executed, started, work));
  },
};

/** Submits the planned task (or records the one a dry run executed) and follows it to a result or the deadline. */
async function executePlan(
  plan: Plan,
  executed: SpendCheck['executed'],
  started: number,
  ctx: ToolContext,
): Promise<CallToolResult> {
  let record: TaskRecord;
  // One deadline for the whole call: what the checks before submission took is not granted twice.
  const options = taskRunOptions(ctx);
  options.deadlineMs = Math.max(1, ctx.deadlineMs - (Date.now() - started));
  try {
    record = executed
      ? await recordFinished(executed.task, executed.items, options)
      : await followCounted(
          ctx,
          plan.task.deliveryMethod === 'async',
          String(plan.task.model),
          (onProgress) => submitTask(plan.task, { ...options, onProgress }),
        );
  } catch (error) {
    return errorResult(error, ctx.principal, plan.task.taskUUID);
  }
  const delivered = await deliverOutputs(record, ctx);
  return renderTask(record, { elapsedMs: Date.now() - started, ...delivered });
}

interface Plan {
  task: TaskObject;
  model: ModelFile | undefined;
}

/** Resolve the model, its task type and its schema, coerce and validate every parameter, fill transport fields. */
async function planTask(args: Args, ctx: ToolContext): Promise<Plan> {
  const {
    model: air,
    taskType: givenType,
    maxCost: _maxCost,
    confirmCost: _confirmCost,
    deliveryMethod: asked,
    ...params
  } = args;
  for (const field of TRANSPORT_FIELDS) delete params[field];
  const { catalog } = ctx.deps;
  const model = catalog.getModel(air);
  const id = model?.air ?? air;
  const taskType = givenType || (await catalog.taskType(id)) || communityTaskType(id);
  if (!taskType) {
    if (!AIR_GRAMMAR.test(air)) resolveModel(catalog, air); // throws with suggestions
    throw new ToolFailure(
      `Runware lists no model ${air}. If it exists (a model uploaded to your account, or one launched since), pass its taskType too, e.g. {"model": "${air}", "taskType": "imageInference", ...}.`,
    );
  }
  const resolved = AIR_GRAMMAR.test(id) || model ? await catalog.requestSchema(id) : undefined;
  const schema = resolved?.schema;
  // Loaded on the first run (Ajv): browsing and the stdio handshake never parse it.
  const { coerceToSchema, typesOnly, validateAgainstSchema } = await import(
    '../catalog/request-validation.js'
  );
  const task: TaskObject = {
    ...(schema ? (coerceToSchema(params, schema) as Record<string, unknown>) : params),
    taskType,
    taskUUID: randomUUID(),
    model: id,
    includeCost: true,
    deliveryMethod: deliveryMethodOf(schema, taskType, asked, id),
  };
  if (schema?.properties && 'outputType' in schema.properties && task.outputType !== undefined)
    task.outputType = 'URL';
  // The fields a price depends on are sent explicitly (schema defaults), so the estimate is what gets billed.
  for (const field of PRICED_FIELDS) {
    const fallback = (schema?.properties?.[field] as { default?: unknown } | undefined)?.default;
    if (task[field] === undefined && fallback !== undefined) task[field] = fallback;
  }
  if (resolved) {
    const problems = validateAgainstSchema(
      resolved.strict ? resolved.schema : typesOnly(resolved.schema),
      task,
    );
    if (problems.length > 0) {
      throw new ToolFailure(
        `Invalid parameters for ${id} (nothing was sent or charged):\n${problems.map((p) => `- ${p.field}: ${p.problem}`).join('\n')}\n${schemaHint(resolved, id)}`,
      );
    }
  }
  return { task, model };
}

function schemaHint(resolved: ResolvedRequestSchema, id: string): string {
  const see = `See model_schema {"model": "${id}"}.`;
  return resolved.strict
    ? see
    : `${see} (Only types were checked here: the schema is the SDK's generic one for this kind of model, and Runware validates the rest.)`;
}

/** civitai:... AIRs from model_search are image checkpoints Runware runs as imageInference. */
function communityTaskType(air: string): string | undefined {
  return COMMUNITY_SOURCES.has(air.split(':')[0] ?? '') ? 'imageInference' : undefined;
}

/**
 * Delivery as the model's schema allows it (`deliveryMethod` const or enum, and its default): what the agent
 * asked for when allowed, else the default; without a schema, long-running task types go async.
 */
function deliveryMethodOf(
  schema: JsonSchema | undefined,
  taskType: string,
  asked: string | undefined,
  id: string,
): 'sync' | 'async' {
  const node = schema?.properties?.deliveryMethod as
    | { const?: unknown; enum?: unknown[]; default?: unknown }
    | undefined;
  const allowed: string[] = (node?.const !== undefined ? [node.const] : (node?.enum ?? ['sync', 'async']))
    .map(String)
    .filter((m) => m === 'sync' || m === 'async');
  if (asked !== undefined) {
    if (!allowed.includes(asked)) {
      throw new ToolFailure(
        `${id} takes deliveryMethod ${allowed.map((a) => `"${a}"`).join(' or ') || '(none this server supports)'}, not "${asked}". Leave it out to let the server choose.`,
      );
    }
    return asked as 'sync' | 'async';
  }
  const preferred = ASYNC_TASK_TYPES.has(taskType) ? 'async' : 'sync';
  if (allowed.length === 1) return allowed[0] as 'sync' | 'async';
  if (typeof node?.default === 'string' && allowed.includes(node.default)) {
    // A long-running type is polled even where sync is the default: a minutes-long sync call would hit client timeouts.
    return allowed.includes(preferred) ? preferred : (node.default as 'sync' | 'async');
  }
  return allowed.includes(preferred) ? preferred : (allowed[0] as 'sync' | 'async');
}

/** The spend guard's verdict: the estimate (when one was needed and known), or the task a dry run executed. */
interface SpendCheck {
  estimate?: number;
  executed?: { task: TaskObject; items: ResultItem[] };
}

/**
 * Estimates the cost when a cap, RUNWARE_CONFIRM_ABOVE or a budget needs it, and refuses a task whose estimate
 * exceeds the cap (maxCost can only lower the server's cap) or what a budget has left (budget.ts). The estimate is Runware's own dry run (`X-Runware-Dry-Run: 1`);
 * our price rule only when Runware cannot be asked. An upstream that ran the "dry run" anyway answered a real,
 * charged task: it is returned as the result, never run again.
 */
async function guardSpend(plan: Plan, maxCost: number | undefined, ctx: ToolContext): Promise<SpendCheck> {
  const caps = [ctx.deps.config.maxCostPerCall, maxCost].filter((c): c is number => typeof c === 'number');
  const budgeted = budgetsConfigured(ctx);
  if (caps.length === 0 && !ctx.deps.config.confirmAbove && !budgeted) return {};
  const cap = Math.min(...caps);
  let estimate: number | undefined;
  let source = "Runware's dry run";
  if (!ctx.deps.config.offline) {
    const dry = { ...plan.task, taskUUID: randomUUID() };
    // At most half the deadline, so the task itself keeps the other half.
    const bound = timeoutSignal(ctx.deps.config.runDeadlineMs / 2, ctx.signal);
    try {
      const items = await ctx.deps
        .runware(ctx.principal.apiKey!)
        .runTask(dry, { dryRun: true, signal: bound.signal });
      if (items.some(carriesOutput)) {
        if (budgeted) await recordCharged(ctx, dry.taskUUID, totalCost(items));
        return { executed: { task: dry, items } };
      }
      const cost = items[0]?.cost;
      if (typeof cost === 'number') estimate = cost;
    } catch (error) {
      // A refusal of the request itself (bad parameters, no credit) is the answer; a failure to ask is not.
      const e = error as { category?: string };
      if (e.category === 'validation' || e.category === 'quota' || e.category === 'auth') throw error;
    } finally {
      bound.clear();
    }
  }
  if (estimate === undefined && plan.model?.pricing) {
    estimate = estimateCost(plan.model.pricing, plan.task);
    source = `the documented prices of ${nameOf(plan.model)}`;
  }
  if (estimate === undefined && caps.length > 0 && ctx.deps.config.unknownCostPolicy === 'deny') {
    throw new ToolFailure(
      `The cost of this ${plan.task.taskType} task cannot be estimated (Runware's dry run did not answer and no documented price applies) and the spend cap (${usd(cap)}) is set to refuse unknown costs.`,
    );
  }
  if (estimate !== undefined && estimate > cap) {
    throw new ToolFailure(
      `Refused: the estimated cost ${usd(estimate)} (from ${source}) exceeds the spend cap of ${usd(cap)} per call. Lower numberResults, size or duration, or raise the cap (RUNWARE_MAX_COST_PER_CALL / maxCost). Nothing was charged.`,
    );
  }
  // Before any confirmation: the user is never asked about a run the budget would refuse.
  if (budgeted) await refuseOverBudget(ctx, estimate);
  return estimate === undefined ? {} : { estimate };
}

/** A result item with a generated output (a URL, UUID of media, text or files): a task that actually ran. */
const carriesOutput = (item: ResultItem) =>
  Object.keys(item).some((k) => /(URL|UUID|Base64Data|DataURI)$/.test(k) && k !== 'taskUUID') ||
  typeof item.text === 'string' ||
  item.outputs !== undefined;
