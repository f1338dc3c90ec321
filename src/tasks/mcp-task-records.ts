import type { CallToolResult } from '@modelcontextprotocol/server';
import type { Store } from '../store/store.js';

export type McpTaskStatus = 'working' | 'input_required' | 'completed' | 'failed' | 'cancelled';

export const TERMINAL_STATUSES: ReadonlySet<McpTaskStatus> = new Set(['completed', 'failed', 'cancelled']);

/** How long a task and its result stay readable (`ttlMs` on the wire). */
export const MCP_TASK_TTL_MS = 24 * 3600 * 1000;

/**
 * An MCP task (either era's wire): the state of one tool call that answered with a task handle. A `run` task
 * takes the taskUUID of its Runware task as its id, so tasks/get, get_task_details and the task record all
 * name the same thing; the Runware side of it stays in the task record.
 */
export interface McpTask {
  taskId: string;
  ownerId: string;
  /** The tool that was called; run and get_task_details tasks can be continued by any replica. */
  tool: string;
  status: McpTaskStatus;
  statusMessage?: string;
  createdAt: string;
  lastUpdatedAt: string;
  ttlMs: number;
  /** input_required (2026-07-28): the questions still open, by key. */
  inputRequests?: Record<string, unknown>;
  /** Answers delivered by tasks/update, by key, until the task takes them. */
  inputResponses?: Record<string, unknown>;
  /** completed: the tool's result. */
  result?: CallToolResult;
  /** failed: the JSON-RPC error that ended it. */
  error?: { code: number; message: string; data?: unknown };
}

const NS = 'mcp-task';
/** The terminal state, claimed once (cancel and completion may race, on two replicas). */
const FINAL_NS = 'mcp-task-final';
/** Who runs a task right now; it lapses when that process dies, and another one takes the task over. */
const LEASE_NS = 'mcp-task-lease';
export const LEASE_SECONDS = 10;

/** MCP task state in the shared store: what every replica, and the server after a restart, reads. */
export class McpTaskRecords {
  constructor(private readonly store: () => Promise<Store>) {}

  /** Writes a new task; false when one with this id exists already. Durable before it returns. */
  async create(task: McpTask): Promise<boolean> {
    const s = await this.store();
    const ttl = Math.ceil(task.ttlMs / 1000);
    if (!(await s.setIfAbsent(NS, task.taskId, task, ttl))) return false;
    await s.addToIndex(ownerIndex(task.ownerId), task.taskId, ttl);
    return true;
  }

  /** The task if this owner has it; another owner's task reads as missing. */
  async get(taskId: string, ownerId: string): Promise<McpTask | undefined> {
    const s = await this.store();
    const task = (await s.get<McpTask>(FINAL_NS, taskId)) ?? (await s.get<McpTask>(NS, taskId));
    return task?.ownerId === ownerId ? task : undefined;
  }

  /** Writes a non-terminal state (progress, input_required, working again). */
  async update(task: McpTask): Promise<void> {
    const s = await this.store();
    if (await s.get(FINAL_NS, task.taskId)) return;
    await s.set(NS, task.taskId, task, remainingSeconds(task));
  }

  /** Moves the task to its terminal state exactly once; answers the terminal state that won. */
  async finish(task: McpTask): Promise<McpTask> {
    const s = await this.store();
    const final = { ...task, lastUpdatedAt: new Date().toISOString() };
    delete final.inputRequests;
    delete final.inputResponses;
    if (await s.setIfAbsent(FINAL_NS, task.taskId, final, remainingSeconds(task))) {
      await s.delete(LEASE_NS, task.taskId);
      return final;
    }
    return (await s.get<McpTask>(FINAL_NS, task.taskId)) ?? final;
  }

  /** The owner's tasks, newest first. */
  async list(ownerId: string): Promise<McpTask[]> {
    const s = await this.store();
    const ids = (await s.listIndex(ownerIndex(ownerId))).reverse();
    const tasks = await Promise.all(ids.map((id) => this.get(id, ownerId)));
    return tasks.filter((t): t is McpTask => t !== undefined);
  }

  /** Takes the lease when nobody holds it (a new task, or one whose runner died). */
  async claimLease(taskId: string, holder: string): Promise<boolean> {
    return (await this.store()).setIfAbsent(LEASE_NS, taskId, { holder }, LEASE_SECONDS);
  }

  async renewLease(taskId: string, holder: string): Promise<void> {
    await (await this.store()).set(LEASE_NS, taskId, { holder }, LEASE_SECONDS);
  }
}

const ownerIndex = (ownerId: string) => `mcp-tasks:${ownerId}`;

function remainingSeconds(task: McpTask): number {
  const left = Date.parse(task.createdAt) + task.ttlMs - Date.now();
  return Math.max(1, Math.ceil(left / 1000));
}
