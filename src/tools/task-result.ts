import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CallToolResult, ContentBlock } from '@modelcontextprotocol/server';
import { nameOf } from '../catalog/model-record.js';
import type { ToolContext } from '../mcp/tool-definition.js';
import { startHeartbeat } from '../tasks/heartbeat.js';
import { describeOutputs } from '../tasks/output-words.js';
import type { Progress, RunOptions } from '../tasks/task-runner.js';
import type { TaskRecord } from '../tasks/task-service.js';
import type { SavedOutput } from './saved-outputs.js';
import { toolResult, usd } from './tool-result.js';

/** The structured shape run and get_task_details share. */
export const TASK_RESULT_SCHEMA = {
  type: 'object',
  required: ['taskUUID', 'taskType', 'status', 'outputs'],
  properties: {
    taskUUID: { type: 'string' },
    taskType: { type: 'string' },
    model: { type: 'string' },
    status: { type: 'string', enum: ['processing', 'success', 'error'] },
    cost: { type: 'number', description: 'USD charged' },
    outputs: {
      type: 'array',
      items: {
        type: 'object',
        required: ['type'],
        properties: {
          type: { type: 'string' },
          url: { type: 'string' },
          uuid: { type: 'string' },
          seed: { type: 'number' },
          text: { type: 'string' },
          mimeType: { type: 'string' },
          air: { type: 'string', description: 'a trained model: pass it to run as model' },
          path: { type: 'string', description: 'local mode: where the file was saved' },
          detections: { type: 'array', description: 'masking: boxes found {x_min, y_min, x_max, y_max}' },
        },
      },
    },
    error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } },
    usage: { type: 'object', description: 'text tasks: token counts as Runware reports them' },
    elapsedMs: { type: 'number' },
    createdAt: { type: 'string' },
    completedAt: { type: 'string' },
  },
} as const;

export interface RenderOptions {
  elapsedMs?: number;
  /** Inline image blocks (previews.ts): the only place base64 appears. */
  previews?: ContentBlock[];
  /** Aligned with task.outputs: where each file was saved (stdio), or why it was not. */
  saved?: Array<SavedOutput | undefined>;
  /** Lines appended to the text (e.g. why an image has no preview). */
  notes?: string[];
}

/**
 * Renders a task as run and get_task_details answer it: URLs (and saved paths) in the text and in
 * structuredContent (never base64), a resource_link per file and per saved copy, and the inline previews.
 */
export function renderTask(task: TaskRecord, options: RenderOptions = {}): CallToolResult {
  const saved = options.saved ?? [];
  const structured: Record<string, unknown> = {
    taskUUID: task.taskUUID,
    taskType: task.taskType,
    model: task.model,
    status: task.status,
    outputs: task.outputs.map((o, i) => (saved[i]?.path ? { ...o, path: saved[i].path } : o)),
    createdAt: task.createdAt,
    ...(task.cost === undefined ? {} : { cost: task.cost }),
    ...(task.error ? { error: task.error } : {}),
    ...(task.usage ? { usage: task.usage } : {}),
    ...(task.completedAt ? { completedAt: task.completedAt } : {}),
    ...(options.elapsedMs === undefined ? {} : { elapsedMs: options.elapsedMs }),
  };
  const links: ContentBlock[] = task.outputs.flatMap((o, i): ContentBlock[] => {
    if (!o.url) return [];
    const mime = o.mimeType ? { mimeType: o.mimeType } : {};
    const path = saved[i]?.path;
    const remote: ContentBlock = {
      type: 'resource_link',
      uri: o.url,
      name: `${o.type}-${i + 1}${o.url.match(/\.[a-z0-9]+(?=$|\?)/i)?.[0] ?? ''}`,
      ...mime,
    };
    return path
      ? [remote, { type: 'resource_link', uri: pathToFileURL(path).href, name: basename(path), ...mime }]
      : [remote];
  });
  const text = [summary(task, options.elapsedMs, saved), ...(options.notes ?? [])].join('\n');
  const result = toolResult(structured, text, [...links, ...(options.previews ?? [])]);
  if (task.status === 'error') result.isError = true;
  return result;
}

function summary(
  task: TaskRecord,
  elapsedMs: number | undefined,
  saved: Array<SavedOutput | undefined>,
): string {
  const took = elapsedMs === undefined ? '' : ` in ${(elapsedMs / 1000).toFixed(1)} s`;
  if (task.status === 'processing') {
    return `Task ${task.taskUUID} (${task.taskType}, ${task.model}) is still processing. Call get_task_details {"taskUUID": "${task.taskUUID}"} in a little while to get the result; it is not charged again.`;
  }
  if (task.status === 'error') {
    return `Task ${task.taskUUID} failed: ${task.error?.code ?? 'error'}: ${task.error?.message ?? 'unknown error'} Run it again (a new taskUUID), or change the inputs if it keeps failing.`;
  }
  const what = describeOutputs(task.outputs);
  const lines = [`Generated ${what}${took}. Cost: ${usd(task.cost)}. taskUUID: ${task.taskUUID}`];
  task.outputs.forEach((o, i) => {
    if (o.url) {
      lines.push(`- ${o.type}: ${o.url}${o.seed === undefined ? '' : ` (seed ${o.seed})`}`);
      const copy = saved[i];
      if (copy?.path) lines.push(`  saved: ${copy.path}`);
      else if (copy?.error) lines.push(`  not saved: ${copy.error}; the URL above still works`);
    } else if (o.text !== undefined) lines.push(o.text);
    else if (typeof o.air === 'string')
      lines.push(`- trained model: ${o.air} (run it with {"model": "${o.air}"})`);
    else if (o.uuid) lines.push(`- ${o.type} uuid: ${o.uuid}`);
  });
  return lines.join('\n');
}

/**
 * Waits on Runware for `model`'s task: counted as an async task in flight (metrics), with a heartbeat that tells
 * the client where it stands at least every HEARTBEAT_MS, and the spend counted once it succeeds.
 */
export async function followCounted(
  ctx: ToolContext,
  wasPending: boolean,
  model: string,
  follow: (onProgress: Progress) => Promise<TaskRecord>,
): Promise<TaskRecord> {
  const metrics = ctx.deps.metrics;
  const heartbeat = startHeartbeat(modelLabel(ctx, model), (seconds, message) => {
    void ctx.progress(seconds, undefined, message);
  });
  if (wasPending) metrics?.asyncInFlight(1);
  try {
    const record = await follow(heartbeat.update);
    if (record.status === 'success' && record.cost !== undefined) metrics?.spend(record.model, record.cost);
    return record;
  } finally {
    heartbeat.stop();
    if (wasPending) metrics?.asyncInFlight(-1);
  }
}

/** What people call a model: its catalog name ("Veo 3.1 Fast"), else its AIR. */
export function modelLabel(ctx: ToolContext, air: string): string {
  const model = ctx.deps.catalog.getModel(air);
  return model ? nameOf(model) : air;
}

/** How run and get_task_details follow a task for the calling principal: its key, its owner, its deadline. */
export function taskRunOptions(ctx: ToolContext, onProgress?: Progress): RunOptions {
  return {
    client: ctx.deps.runware(ctx.principal.apiKey!),
    tasks: ctx.deps.tasks,
    ownerId: ctx.principal.ownerId,
    signal: ctx.signal,
    deadlineMs: ctx.deadlineMs,
    ...(onProgress ? { onProgress } : {}),
  };
}
