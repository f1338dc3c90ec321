import type { ToolContext } from '../mcp/tool-definition.js';
import type { TaskRecord } from '../tasks/task-service.js';
import { imagePreviews } from './previews.js';
import { outputDirFor, saveOutputs } from './saved-outputs.js';
import type { RenderOptions } from './task-result.js';

/**
 * What run and get_task_details add to a finished task before rendering it: every file saved to the output
 * folder (stdio), then inline previews of its images (read from the saved copies when there are some).
 */
export async function deliverOutputs(
  record: TaskRecord,
  ctx: ToolContext,
): Promise<Pick<RenderOptions, 'saved' | 'previews' | 'notes'>> {
  if (record.status !== 'success') return {};
  const dir = await outputDirFor(ctx);
  const slug = ctx.deps.catalog.getModel(record.model)?.model ?? record.model;
  const saved = dir ? await saveOutputs(record, dir, slug) : [];
  const { blocks, notes } = await imagePreviews(record, ctx, saved);
  return { saved, previews: blocks, notes };
}
