import type { RunwareClient } from '../runware/client.js';
import { timeoutSignal } from '../runware/deadline.js';
import { RunwareError } from '../runware/errors.js';
import type { ResultItem, TaskObject } from '../runware/types.js';
import type { WaitState } from './heartbeat.js';
import { extractOutputs, totalCost, totalUsage } from './outputs.js';
import type { TaskRecord, TaskService } from './task-service.js';

/** Task types upstream delivers asynchronously (or that take long enough to need polling). */
export const ASYNC_TASK_TYPES = new Set(['videoInference', 'audioInference', '3dInference', 'training']);

/** Refusals that end a task for good (retrying the same request would be refused the same way). */
const DEFINITIVE = new Set(['validation', 'auth', 'quota', 'safety']);

export type Progress = (state: WaitState) => void;

export interface RunOptions {
  client: RunwareClient;
  tasks: TaskService;
  ownerId: string;
  signal?: AbortSignal | undefined;
  deadlineMs: number;
  onProgress?: Progress;
}

/**
 * Submits one task and follows it to a final state or the deadline. The record is written before the task
 * goes upstream, so a crash or a timeout never loses it; completion is recorded exactly once.
 */
export async function submitTask(task: TaskObject, opts: RunOptions): Promise<TaskRecord> {
  const record = newRecord(task, opts.ownerId, task.deliveryMethod === 'async' ? 'async' : 'sync');
  await opts.tasks.record(record);
  const started = Date.now();
  // The whole call keeps the deadline, the submission included: an upstream that hangs or keeps failing
  // leaves the task "processing" (recorded, never re-run) for get_task_details instead of blocking the agent.
  const bound = timeoutSignal(opts.deadlineMs, opts.signal);
  let items: Awaited<ReturnType<RunwareClient['runTask']>>;
  try {
    items = await opts.client.runTask(task, { signal: bound.signal });
  } catch (error) {
    if (bound.timedOut && !opts.signal?.aborted) return record;
    // Definitive refusals end the task; transient failures leave it "processing" for get_task_details.
    if (error instanceof RunwareError && (error.generationFailed || DEFINITIVE.has(error.category))) {
      const failed = await opts.tasks.complete({
        ...record,
        status: 'error',
        error: { code: error.code, message: error.message },
      });
      // A generation that ran and failed is the task's answer; a refusal is the caller's error to fix.
      if (error.generationFailed) return failed;
    }
    throw error;
  } finally {
    bound.clear();
  }
  if (record.deliveryMethod === 'sync') {
    return opts.tasks.complete({
      ...record,
      status: 'success',
      outputs: extractOutputs(items),
      ...costOf(items),
    });
  }
  opts.onProgress?.({ phase: 'submitted', done: 0, expected: record.expected });
  const remaining = opts.deadlineMs - (Date.now() - started);
  return remaining > 0 ? followTask(record, { ...opts, deadlineMs: remaining }) : record;
}

/**
 * Records a task upstream already ran and answered (a dry run that was executed anyway): recorded and completed
 * at once, so it is listed, charged once and never submitted again.
 */
export async function recordFinished(
  task: TaskObject,
  items: ResultItem[],
  opts: RunOptions,
): Promise<TaskRecord> {
  const now = new Date().toISOString();
  const record: TaskRecord = {
    taskUUID: task.taskUUID,
    ownerId: opts.ownerId,
    model: String(task.model ?? ''),
    taskType: task.taskType,
    status: 'processing',
    outputs: [],
    expected: expectedResults(task),
    deliveryMethod: 'sync',
    createdAt: now,
    updatedAt: now,
  };
  await opts.tasks.record(record);
  return opts.tasks.complete({
    ...record,
    status: 'success',
    outputs: extractOutputs(items),
    ...costOf(items),
  });
}

/** Polls an async task until done, the deadline or cancellation; records the final state once. */
export async function followTask(record: TaskRecord, opts: RunOptions): Promise<TaskRecord> {
  const result = await opts.client.pollUntilDone(record.taskUUID, {
    expected: record.expected,
    signal: opts.signal,
    deadlineMs: opts.deadlineMs,
    onProgress: (p) =>
      opts.onProgress?.({
        // The last poll reports every result final: no longer "generating".
        phase: p.done >= p.expected ? 'finished' : 'generating',
        done: p.done,
        expected: p.expected,
        ...(p.progress === undefined ? {} : { percent: p.progress }),
      }),
  });
  if (!result.done) return record;
  const failed = result.errors[0];
  if (failed && result.items.length === 0) {
    return opts.tasks.complete({
      ...record,
      status: 'error',
      error: { code: failed.code, message: failed.message },
    });
  }
  return opts.tasks.complete({
    ...record,
    status: 'success',
    outputs: extractOutputs(result.items),
    ...costOf(result.items),
  });
}

/** What a finished task's items add to its record: cost and token usage, when Runware reported them. */
function costOf(items: Parameters<typeof totalCost>[0]): { cost?: number; usage?: Record<string, number> } {
  const cost = totalCost(items);
  const usage = totalUsage(items);
  return { ...(cost === undefined ? {} : { cost }), ...(usage ? { usage } : {}) };
}

/** A task as recorded before it goes upstream: processing, no outputs yet. */
function newRecord(
  task: TaskObject,
  ownerId: string,
  deliveryMethod: TaskRecord['deliveryMethod'],
): TaskRecord {
  const now = new Date().toISOString();
  return {
    taskUUID: task.taskUUID,
    ownerId,
    model: String(task.model ?? ''),
    taskType: task.taskType,
    status: 'processing',
    outputs: [],
    expected: expectedResults(task),
    deliveryMethod,
    createdAt: now,
    updatedAt: now,
  };
}

function expectedResults(task: TaskObject): number {
  if (task.taskType === 'promptEnhance')
    return typeof task.promptVersions === 'number' ? task.promptVersions : 1;
  return typeof task.numberResults === 'number' && task.numberResults > 0 ? task.numberResults : 1;
}
