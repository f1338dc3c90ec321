import { setTimeout as sleep } from 'node:timers/promises';
import {
  type CallToolResult,
  MissingRequiredClientCapabilityError,
  ProtocolError,
  ProtocolErrorCode,
  type Server,
  type ServerContext,
  type StandardSchemaV1,
} from '@modelcontextprotocol/server';
import { type McpTask, TERMINAL_STATUSES } from '../tasks/mcp-task-records.js';
import type { McpTaskRunner } from '../tasks/mcp-task-runner.js';
import { TASKS_EXTENSION } from './listings.js';

/**
 * MCP tasks on the wire, both eras, served here because the SDK has no tasks runtime:
 * - 2026-07-28, the `io.modelcontextprotocol/tasks` extension (SEP-2663): a client that lists the extension in
 *   a request's client capabilities may get `resultType: "task"` for tools/call; tasks/get (the result inlined),
 *   tasks/update (answers to input requests), tasks/cancel (an empty ack).
 * - 2025-11-25, experimental tasks: a tools/call with `params.task` gets `{task}`; tasks/get, tasks/result
 *   (blocks until the task ends), tasks/list, tasks/cancel.
 * The state is the store's (src/tasks), so any replica answers and a restart loses nothing.
 */

export type Era = 'legacy' | 'modern';
/** How a tools/call is answered: right away (undefined), or with a task handle of that era's wire. */
export type TaskWire = Era | undefined;

/** What the methods read tasks through: the caller's own tasks only. */
export interface TaskSource {
  /** The task (taken over first when its runner died), or undefined when this caller has none of that id. */
  find(taskId: string): Promise<McpTask | undefined>;
  /** The caller's tasks, newest first. */
  list(): Promise<McpTask[]>;
}

const CLIENT_CAPABILITIES = 'io.modelcontextprotocol/clientCapabilities';
const RELATED_TASK = 'io.modelcontextprotocol/related-task';
const IMMEDIATE_RESPONSE = 'io.modelcontextprotocol/model-immediate-response';
/** Suggested to clients; a run's Runware task is itself polled every 1-5 s. */
const POLL_INTERVAL_MS = 2000;
const LIST_PAGE = 50;
/** How often a blocking 2025 tasks/result looks again. */
const RESULT_WAIT_MS = 250;
/** The methods take any params object and check the fields themselves. */
const ANY_PARAMS: StandardSchemaV1<Record<string, unknown>> = {
  '~standard': {
    version: 1,
    vendor: 'runware-mcp',
    validate: (value) => ({ value: value as Record<string, unknown> }),
  },
};

/** The 2026 request's own client capabilities (SEP-2575: declared per request). */
export function clientCapabilitiesOf(ctx: ServerContext): Record<string, unknown> | undefined {
  return (ctx.mcpReq as { envelope?: Record<string, unknown> }).envelope?.[CLIENT_CAPABILITIES] as
    | Record<string, unknown>
    | undefined;
}

function declaresTasksExtension(ctx: ServerContext): boolean {
  const extensions = clientCapabilitiesOf(ctx)?.extensions as Record<string, unknown> | undefined;
  return extensions?.[TASKS_EXTENSION] !== undefined;
}

const missingExtension = (what: string) =>
  new MissingRequiredClientCapabilityError(
    { requiredCapabilities: { extensions: { [TASKS_EXTENSION]: {} } } },
    `${what} needs the ${TASKS_EXTENSION} extension in the request's client capabilities.`,
  );

/**
 * Whether this tools/call is answered with a task, and on which wire. A tool that runs only as a task refuses a
 * client that cannot take one (-32021 with the capability it needs; -32601 on the 2025 wire, as it specifies).
 */
export function taskWireOf(
  era: Era,
  tool: { name: string; taskSupport?: 'optional' | 'required' } | undefined,
  params: { task?: unknown },
  ctx: ServerContext,
): TaskWire {
  if (!tool?.taskSupport) return undefined;
  if (era === 'modern') {
    if (declaresTasksExtension(ctx)) return 'modern';
    if (tool.taskSupport === 'required') throw missingExtension(`Tool ${tool.name} runs only as a task: it`);
    return undefined;
  }
  if (params.task !== undefined && params.task !== null) return 'legacy';
  if (tool.taskSupport === 'required')
    throw new ProtocolError(
      ProtocolErrorCode.MethodNotFound,
      `Tool ${tool.name} must be called as a task (params.task).`,
    );
  return undefined;
}

/** The answer to a tools/call that became a task. */
export function taskHandle(wire: Era, task: McpTask): CallToolResult {
  if (wire === 'modern') return { resultType: 'task', ...modernTask(task) } as unknown as CallToolResult;
  const text = `Started as task ${task.taskId}; the result follows when it finishes.`;
  // The SDK checks every tools/call result as a CallToolResult, so the handle carries that text as content too
  // (results are open objects); it is also the line a host may show the model meanwhile.
  return {
    task: legacyTask(task),
    content: [{ type: 'text', text }],
    _meta: { [IMMEDIATE_RESPONSE]: text },
  } as unknown as CallToolResult;
}

export function registerTaskMethods(
  server: Server,
  era: Era,
  source: TaskSource,
  runner: McpTaskRunner,
): void {
  const known = async (params: { taskId?: unknown } | undefined) => {
    const taskId = params?.taskId;
    if (typeof taskId !== 'string' || taskId === '')
      throw new ProtocolError(ProtocolErrorCode.InvalidParams, 'taskId (a string) is required.');
    const task = await source.find(taskId);
    if (!task)
      throw new ProtocolError(
        ProtocolErrorCode.InvalidParams,
        `No task ${taskId} was found for this account.`,
      );
    return task;
  };

  if (era === 'modern') {
    const gated =
      (
        method: string,
        handle: (params: Record<string, unknown>, ctx: ServerContext) => Promise<Record<string, unknown>>,
      ) =>
      (params: Record<string, unknown>, ctx: ServerContext) => {
        if (!declaresTasksExtension(ctx)) throw missingExtension(method);
        return handle(params, ctx);
      };
    server.setRequestHandler(
      'tasks/get',
      { params: ANY_PARAMS },
      gated('tasks/get', async (params) => modernDetailedTask(await known(params))),
    );
    server.setRequestHandler(
      'tasks/update',
      { params: ANY_PARAMS },
      gated('tasks/update', async (params, ctx) => {
        // Acknowledged whatever the task id: answers for an unknown task or key are ignored (SEP-2663).
        const task = typeof params.taskId === 'string' ? await source.find(params.taskId) : undefined;
        const responses =
          params.inputResponses ?? (ctx.mcpReq as { inputResponses?: unknown }).inputResponses;
        if (task && isObject(responses)) await runner.answer(task, responses);
        return {};
      }),
    );
    server.setRequestHandler(
      'tasks/cancel',
      { params: ANY_PARAMS },
      gated('tasks/cancel', async (params) => {
        const task = await known(params);
        if (!TERMINAL_STATUSES.has(task.status)) await runner.cancel(task);
        return {};
      }),
    );
    return;
  }

  // The 2025-11-25 task methods are spec methods of that era's wire, but outside the SDK's typed method map.
  const on = server.setRequestHandler.bind(server) as unknown as (
    method: string,
    handler: (request: { params?: Record<string, unknown> }, ctx: ServerContext) => Promise<unknown>,
  ) => void;
  on('tasks/get', async (request) => legacyTask(await known(request.params)));
  on('tasks/result', async (request, ctx) => {
    let task = await known(request.params);
    while (!TERMINAL_STATUSES.has(task.status)) {
      await sleep(RESULT_WAIT_MS, undefined, { signal: ctx.mcpReq.signal });
      task = await known(request.params);
    }
    return legacyResult(task);
  });
  on('tasks/list', async (request) => {
    const cursor = request.params?.cursor;
    const offset = cursor === undefined ? 0 : Number(cursor);
    if (!Number.isInteger(offset) || offset < 0)
      throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Invalid cursor ${JSON.stringify(cursor)}.`);
    const tasks = await source.list();
    const page = tasks.slice(offset, offset + LIST_PAGE);
    const next = offset + LIST_PAGE < tasks.length ? { nextCursor: String(offset + LIST_PAGE) } : {};
    return { tasks: page.map(legacyTask), ...next };
  });
  on('tasks/cancel', async (request) => {
    const task = await known(request.params);
    if (TERMINAL_STATUSES.has(task.status)) {
      throw new ProtocolError(
        ProtocolErrorCode.InvalidParams,
        `Task ${task.taskId} has already ended (${legacyStatus(task)}); there is nothing to cancel.`,
      );
    }
    return legacyTask(await runner.cancel(task));
  });
}

function taskBasics(task: McpTask) {
  return {
    taskId: task.taskId,
    ...(task.statusMessage ? { statusMessage: task.statusMessage } : {}),
    createdAt: task.createdAt,
    lastUpdatedAt: task.lastUpdatedAt,
  };
}

/** SEP-2663's Task: `ttlMs` and `pollIntervalMs`, integer milliseconds. */
function modernTask(task: McpTask) {
  return { ...taskBasics(task), status: task.status, ttlMs: task.ttlMs, pollIntervalMs: POLL_INTERVAL_MS };
}

/** tasks/get (2026): the task plus what its status carries: the result, the error, or the open input requests. */
function modernDetailedTask(task: McpTask): Record<string, unknown> {
  return {
    ...modernTask(task),
    ...(task.status === 'completed' && task.result ? { result: task.result } : {}),
    ...(task.status === 'failed' && task.error ? { error: task.error } : {}),
    ...(task.status === 'input_required' ? { inputRequests: task.inputRequests ?? {} } : {}),
  };
}

/** 2025-11-25 counts a tool result with isError as a failed task (2026-07-28: completed, with the result). */
function legacyStatus(task: McpTask): McpTask['status'] {
  return task.status === 'completed' && task.result?.isError ? 'failed' : task.status;
}

function legacyTask(task: McpTask) {
  return { ...taskBasics(task), status: legacyStatus(task), ttl: task.ttlMs, pollInterval: POLL_INTERVAL_MS };
}

/** tasks/result (2025): exactly what the tools/call would have answered, tagged with its task. */
function legacyResult(task: McpTask): Record<string, unknown> {
  if (task.status === 'completed' && task.result) {
    return { ...task.result, _meta: { ...task.result._meta, [RELATED_TASK]: { taskId: task.taskId } } };
  }
  if (task.status === 'failed' && task.error)
    throw new ProtocolError(task.error.code, task.error.message, task.error.data);
  throw new ProtocolError(
    ProtocolErrorCode.InvalidRequest,
    `Task ${task.taskId} was cancelled; it has no result.`,
  );
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
