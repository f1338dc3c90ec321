import type { ToolDefinition } from '../mcp/tool-definition.js';
import { APP_ONLY_TOOL_META } from '../studio/studio-app.js';
import { followTask } from '../tasks/task-runner.js';
import { followCounted, renderTask, TASK_RESULT_SCHEMA, taskRunOptions } from './task-result.js';
import { ToolFailure } from './tool-result.js';

/**
 * Runware Studio's live status of a running task: one poll upstream, answered at once with the progress Runware
 * reported. App-only (the host never offers it to the model), so watching a video render costs no model turns;
 * get_task_details stays the model's way to wait for a result.
 */
export const studioTaskStatusTool: ToolDefinition<{ taskUUID: string }> = {
  name: 'studio_task_status',
  title: 'Task status (Runware Studio)',
  description:
    "Runware Studio's live view of a task: its status, progress and, once finished, its outputs. One poll, answered at once. For the app only; agents use get_task_details.",
  inputSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['taskUUID'],
    properties: { taskUUID: { type: 'string', pattern: '^[0-9a-fA-F-]{36}$' } },
  },
  outputSchema: {
    ...TASK_RESULT_SCHEMA,
    properties: {
      ...TASK_RESULT_SCHEMA.properties,
      progress: { type: 'number', description: 'percent, as Runware last reported it' },
    },
  },
  annotations: { readOnlyHint: true, openWorldHint: true, idempotentHint: true },
  _meta: APP_ONLY_TOOL_META,
  requiresKey: true,
  async handler({ taskUUID }, ctx) {
    const local = await ctx.deps.tasks.get(taskUUID, ctx.principal.ownerId);
    if (!local) throw new ToolFailure(`No task ${taskUUID} was recorded for this account.`);
    if (local.status !== 'processing') return renderTask(local);
    let progress: number | undefined;
    // A deadline of 1 ms is one poll (a poll always gets its own minimum budget to answer).
    const record = await followCounted(ctx, true, local.model, () =>
      followTask(local, {
        ...taskRunOptions(ctx),
        deadlineMs: 1,
        onProgress: (state) => {
          if (state.percent !== undefined) progress = state.percent;
        },
      }),
    );
    const result = renderTask(record);
    if (progress !== undefined && record.status === 'processing')
      result.structuredContent = { ...(result.structuredContent as object), progress };
    return result;
  },
};
