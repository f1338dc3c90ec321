import type { CallToolResult } from '@modelcontextprotocol/server';
import { scrubSecrets } from '../config/logger.js';
import type { Principal, ToolContext, ToolDefinition } from '../mcp/tool-definition.js';
import { RunwareError } from '../runware/errors.js';
import type { ResultItem } from '../runware/types.js';
import { STUDIO_TOOL_META } from '../studio/studio-app.js';
import { extractOutputs, totalCost } from '../tasks/outputs.js';
import { followTask } from '../tasks/task-runner.js';
import type { TaskRecord } from '../tasks/task-service.js';
import { deliverOutputs } from './deliver-outputs.js';
import { followCounted, renderTask, TASK_RESULT_SCHEMA, taskRunOptions } from './task-result.js';
import { errorResult, ToolFailure } from './tool-result.js';
import { withinDeadline } from './upstream-deadline.js';

export const getTaskDetailsTool: ToolDefinition<{ taskUUID: string }> = {
  name: 'get_task_details',
  title: 'Get task details',
  description:
    'The status and outputs of a task run returned (same shape as run). For a task still processing it waits up to the deadline and reports progress; call again if it is still processing. Never charges again.',
  inputSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['taskUUID'],
    properties: {
      taskUUID: { type: 'string', pattern: '^[0-9a-fA-F-]{36}$', description: 'taskUUID from run' },
    },
  },
  outputSchema: TASK_RESULT_SCHEMA,
  annotations: { readOnlyHint: true, openWorldHint: true, idempotentHint: true },
  _meta: STUDIO_TOOL_META,
  requiresKey: true,
  taskSupport: 'optional',
  async handler({ taskUUID }, ctx) {
    try {
      const local = await ctx.deps.tasks.get(taskUUID, ctx.principal.ownerId);
      if (local) {
        // Saving is idempotent (a file already saved is kept), so asking again never downloads twice.
        if (local.status !== 'processing') return renderTask(local, await deliverOutputs(local, ctx));
        // Still running: followed here, or as an MCP task of the same id when the client takes one.
        return ctx.asTask(taskUUID, (work) => followRecorded(local, work));
      }
      return renderTask(fromUpstream(await archived(taskUUID, ctx), taskUUID, ctx.principal));
    } catch (error) {
      if (error instanceof RunwareError && error.category === 'notFound') {
        return errorResult(new ToolFailure(`No task ${taskUUID} was found for this account.`), ctx.principal);
      }
      return errorResult(error, ctx.principal);
    }
  },
};

/** Follows a recorded task still processing upstream to its result (or the deadline). */
export async function followRecorded(record: TaskRecord, ctx: ToolContext): Promise<CallToolResult> {
  try {
    const followed = await followCounted(ctx, true, record.model, (onProgress) =>
      followTask(record, taskRunOptions(ctx, onProgress)),
    );
    return renderTask(followed, await deliverOutputs(followed, ctx));
  } catch (error) {
    if (error instanceof RunwareError && error.category === 'notFound') {
      const message = `Runware has no record of task ${record.taskUUID} (its submission never arrived there). Run it again.`;
      return errorResult(new ToolFailure(message), ctx.principal);
    }
    return errorResult(error, ctx.principal);
  }
}

/** Not recorded here (another client ran it): upstream's archive, scoped to this key by Runware itself. */
function archived(taskUUID: string, ctx: ToolContext): Promise<ResultItem> {
  return withinDeadline(ctx, (signal) =>
    ctx.deps.runware(ctx.principal.apiKey!).getTaskDetails(taskUUID, { signal }),
  );
}

/** A task this server did not record (another client ran it): upstream's archive in the same shape. */
function fromUpstream(details: ResultItem, taskUUID: string, principal: Principal): TaskRecord {
  const ownerId = principal.ownerId;
  const request = (Array.isArray(details.request) ? details.request[0] : details.request) as
    | Record<string, unknown>
    | undefined;
  const response = (details.response ?? {}) as {
    data?: ResultItem[];
    errors?: Array<{ code?: string; message?: string }>;
  };
  const items = (response.data ?? []).filter((i) => i.status !== 'processing');
  const processing = (response.data ?? []).some((i) => i.status === 'processing');
  const failed = response.errors?.[0];
  const now = new Date().toISOString();
  const cost = totalCost(items);
  return {
    taskUUID,
    ownerId,
    model: String(request?.model ?? ''),
    taskType: String(request?.taskType ?? items[0]?.taskType ?? 'unknown'),
    status: failed ? 'error' : processing ? 'processing' : 'success',
    outputs: extractOutputs(items),
    expected: items.length || 1,
    deliveryMethod: request?.deliveryMethod === 'async' ? 'async' : 'sync',
    createdAt: now,
    updatedAt: now,
    ...(cost === undefined ? {} : { cost }),
    // The client already scrubs what upstream sends; an archived error is free text, so scrub it here too.
    ...(failed
      ? {
          error: {
            code: String(failed.code ?? 'error'),
            message: scrubSecrets(String(failed.message ?? ''), [principal.apiKey]),
          },
        }
      : {}),
  };
}
