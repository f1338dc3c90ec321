import type { Logger } from '../config/logger.js';
import type { Store } from '../store/store.js';

export type TaskStatus = 'processing' | 'success' | 'error';

/** One generated output: everything an agent needs to use it, never inline base64. */
export interface TaskOutput {
  type: 'image' | 'video' | 'audio' | '3d' | 'text' | 'file' | 'model';
  url?: string;
  uuid?: string;
  seed?: number;
  text?: string;
  mimeType?: string;
  [k: string]: unknown;
}

export interface TaskRecord {
  taskUUID: string;
  ownerId: string;
  model: string;
  taskType: string;
  status: TaskStatus;
  cost?: number;
  outputs: TaskOutput[];
  /** How many results the task should produce (numberResults); polling is done when that many are final. */
  expected: number;
  deliveryMethod: 'sync' | 'async';
  error?: { code: string; message: string };
  /** Text tasks: token usage as Runware reports it (promptTokens, completionTokens, ...). */
  usage?: Record<string, number>;
  createdAt: string;
  updatedAt: string;
  completedAt?: string;
}

export interface TaskService {
  /** Records a task as submitted (before it goes upstream, so a crash never loses it). */
  record(task: TaskRecord): Promise<void>;
  /** The task if it belongs to this owner; another owner's task is indistinguishable from a missing one. */
  get(taskUUID: string, ownerId: string): Promise<TaskRecord | undefined>;
  /** Moves a task to its final state exactly once, across processes and replicas; returns the stored final record. */
  complete(task: TaskRecord): Promise<TaskRecord>;
  /** The owner's most recent tasks, newest first. */
  listForOwner(ownerId: string, limit?: number): Promise<TaskRecord[]>;
}

const NS = 'task';
const DONE_NS = 'task-done';
/** Task records are kept 30 days, the lifetime of upstream media. */
const TTL_SECONDS = 30 * 24 * 3600;
export const TASK_RECORD_TTL_MS = TTL_SECONDS * 1000;

export function createTaskService(options: { store: () => Promise<Store>; logger?: Logger }): TaskService {
  let opened: Promise<Store> | undefined;
  const store = () => {
    opened ??= options.store();
    return opened;
  };
  return {
    async record(task) {
      const s = await store();
      await s.set(NS, task.taskUUID, task, TTL_SECONDS);
      await s.addToIndex(`owner:${task.ownerId}`, task.taskUUID, TTL_SECONDS);
    },
    async get(taskUUID, ownerId) {
      const task = await (await store()).get<TaskRecord>(NS, taskUUID);
      return task && task.ownerId === ownerId ? task : undefined;
    },
    async complete(task) {
      const s = await store();
      const now = new Date().toISOString();
      if (await s.setIfAbsent(DONE_NS, task.taskUUID, { at: now }, TTL_SECONDS)) {
        const final = { ...task, updatedAt: now, completedAt: now };
        await s.set(NS, task.taskUUID, final, TTL_SECONDS);
        options.logger?.info(
          { taskUUID: task.taskUUID, status: task.status, cost: task.cost },
          'task completed',
        );
        return final;
      }
      // Someone else (another call, another replica) finished it first: theirs is the record.
      return (await s.get<TaskRecord>(NS, task.taskUUID)) ?? task;
    },
    async listForOwner(ownerId, limit = 20) {
      const s = await store();
      const ids = (await s.listIndex(`owner:${ownerId}`)).slice(-limit).reverse();
      const tasks = await Promise.all(ids.map((id) => s.get<TaskRecord>(NS, id)));
      return tasks.filter((t): t is TaskRecord => t !== undefined);
    },
  };
}
