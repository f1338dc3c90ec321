import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CallToolResult } from '@modelcontextprotocol/server';
import type { Logger } from '../config/logger.js';
import { MCP_TASK_TTL_MS, type McpTask, type McpTaskRecords, TERMINAL_STATUSES } from './mcp-task-records.js';

/** What a tool's background work can do while it runs as an MCP task. */
export interface TaskWorkContext {
  /** Aborted by tasks/cancel (on any replica). */
  signal: AbortSignal;
  /** The latest human-readable state; every replica shows it as the task's statusMessage. */
  status(message: string): void;
  /**
   * 2026-07-28 tasks only: parks the task in `input_required` with these requests (keys unique over the task's
   * life) and resolves with the answers once tasks/update has delivered one for every key.
   */
  askInput?: (requests: Record<string, unknown>) => Promise<Record<string, unknown>>;
}

export type TaskWork = (ctx: TaskWorkContext) => Promise<CallToolResult>;

/** This process, as a lease holder. */
const RUNNER_ID = randomUUID();
/** The lease is renewed (and the status message written) this often; it lapses after LEASE_SECONDS. */
const RENEW_MS = 3000;
/** How often a task waiting for input looks for the answers tasks/update wrote (possibly on another replica). */
const INPUT_POLL_MS = 200;
const INTERRUPTED =
  'The server running this task stopped before it finished, and this kind of task cannot be resumed. Call the tool again.';

/**
 * Runs tool work as MCP tasks: the task is written to the store before its handle is returned, the work runs in
 * this process under a lease it keeps renewing, and a task whose lease lapsed (its process died) is taken over
 * by whichever process the owner asks next.
 */
export class McpTaskRunner {
  private readonly running = new Map<string, AbortController>();

  constructor(
    readonly records: McpTaskRecords,
    private readonly logger: Logger,
  ) {}

  /**
   * Creates the task and starts `work` in the background. When the owner already has a task of this id (a
   * second call for the same Runware task), that task is answered and nothing new starts.
   */
  async start(
    seed: { taskId: string; ownerId: string; tool: string; statusMessage?: string },
    work: TaskWork,
    options: { input: boolean },
  ): Promise<McpTask> {
    const now = new Date().toISOString();
    const task: McpTask = {
      ...seed,
      status: 'working',
      createdAt: now,
      lastUpdatedAt: now,
      ttlMs: MCP_TASK_TTL_MS,
    };
    if (!(await this.records.create(task))) {
      const existing = await this.records.get(task.taskId, task.ownerId);
      if (!existing) throw new Error(`Task id ${task.taskId} is in use.`);
      return this.resumeIfOrphaned(existing, () => work);
    }
    await this.records.claimLease(task.taskId, RUNNER_ID);
    this.run(task, work, options.input);
    return task;
  }

  /**
   * A task that is not terminal and whose lease lapsed has lost its runner: continue it here with `resume`'s
   * work, or fail it when it cannot be continued. Answers the task as it stands after that.
   */
  async resumeIfOrphaned(task: McpTask, resume: () => TaskWork | undefined): Promise<McpTask> {
    if (TERMINAL_STATUSES.has(task.status) || this.running.has(task.taskId)) return task;
    if (!(await this.records.claimLease(task.taskId, RUNNER_ID))) return task;
    const work = resume();
    if (!work)
      return this.records.finish({
        ...task,
        status: 'failed',
        error: { code: -32603, message: INTERRUPTED },
      });
    this.logger.info({ taskId: task.taskId, tool: task.tool }, 'mcp task taken over');
    this.run({ ...task, status: 'working' }, work, false);
    return task;
  }

  /** Terminal at once (a completion arriving later loses); the work stops here, or at its next renewal elsewhere. */
  async cancel(task: McpTask): Promise<McpTask> {
    const final = await this.records.finish({
      ...task,
      status: 'cancelled',
      statusMessage: 'Cancelled by request.',
    });
    this.running.get(task.taskId)?.abort();
    return final;
  }

  /** tasks/update: answers for open keys are kept (the task works again once none is open); other keys are ignored. */
  async answer(task: McpTask, responses: Record<string, unknown>): Promise<void> {
    if (task.status !== 'input_required' || !task.inputRequests) return;
    const open = { ...task.inputRequests };
    const answered = { ...task.inputResponses };
    let taken = 0;
    for (const [key, response] of Object.entries(responses)) {
      if (!(key in open)) continue;
      answered[key] = response;
      delete open[key];
      taken++;
    }
    if (taken === 0) return;
    await this.records.update({
      ...task,
      inputRequests: open,
      inputResponses: answered,
      status: Object.keys(open).length > 0 ? 'input_required' : 'working',
      lastUpdatedAt: new Date().toISOString(),
    });
  }

  private run(task: McpTask, work: TaskWork, input: boolean): void {
    const controller = new AbortController();
    this.running.set(task.taskId, controller);
    let current = task;
    let message = task.statusMessage;
    const renew = async () => {
      await this.records.renewLease(task.taskId, RUNNER_ID);
      const seen = await this.records.get(task.taskId, task.ownerId);
      if (!seen || TERMINAL_STATUSES.has(seen.status)) return controller.abort();
      if (current.status === 'working' && message !== current.statusMessage) {
        current = { ...current, statusMessage: message, lastUpdatedAt: new Date().toISOString() };
        await this.records.update(current);
      }
    };
    const timer = setInterval(() => {
      renew().catch((error: Error) =>
        this.logger.warn({ err: error.message, taskId: task.taskId }, 'task lease renewal failed'),
      );
    }, RENEW_MS);
    timer.unref();

    const askInput = async (requests: Record<string, unknown>) => {
      current = {
        ...current,
        status: 'input_required',
        inputRequests: requests,
        inputResponses: {},
        lastUpdatedAt: new Date().toISOString(),
      };
      await this.records.update(current);
      for (;;) {
        await sleep(INPUT_POLL_MS, undefined, { signal: controller.signal });
        const seen = await this.records.get(task.taskId, task.ownerId);
        if (!seen || TERMINAL_STATUSES.has(seen.status))
          throw new Error('The task ended while it waited for input.');
        if (seen.status !== 'working') continue;
        const answers = seen.inputResponses ?? {};
        current = { ...seen, lastUpdatedAt: new Date().toISOString() };
        delete current.inputRequests;
        delete current.inputResponses;
        await this.records.update(current);
        return Object.fromEntries(Object.keys(requests).map((key) => [key, answers[key]]));
      }
    };

    const context: TaskWorkContext = {
      signal: controller.signal,
      status: (line) => {
        message = line;
      },
      ...(input ? { askInput } : {}),
    };
    work(context)
      .then(
        (result) =>
          this.records.finish({
            ...current,
            statusMessage: message,
            status: 'completed',
            result: storable(result),
          }),
        (error: unknown) =>
          this.records.finish(
            controller.signal.aborted
              ? { ...current, status: 'cancelled' }
              : { ...current, statusMessage: message, status: 'failed', error: rpcError(error) },
          ),
      )
      .catch((error: Error) =>
        this.logger.error({ err: error.message, taskId: task.taskId }, 'mcp task not recorded'),
      )
      .finally(() => {
        clearInterval(timer);
        this.running.delete(task.taskId);
      });
  }
}

/** A result as kept for tasks/get: inline image previews are dropped (the URLs and links stay), so a day of tasks stays small. */
function storable(result: CallToolResult): CallToolResult {
  return { ...result, content: result.content.filter((block) => block.type !== 'image') };
}

/** The JSON-RPC error a failed task reports: a protocol error's own code, else an internal error. */
function rpcError(error: unknown): { code: number; message: string; data?: unknown } {
  const e = error as { code?: unknown; message?: unknown; data?: unknown };
  const code = typeof e?.code === 'number' && Number.isInteger(e.code) ? e.code : -32603;
  return {
    code,
    message: typeof e?.message === 'string' ? e.message : String(error),
    ...(e?.data === undefined ? {} : { data: e.data }),
  };
}
