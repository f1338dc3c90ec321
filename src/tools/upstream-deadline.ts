import type { ToolContext } from '../mcp/tool-definition.js';
import { timeoutSignal } from '../runware/deadline.js';
import { ToolFailure } from './tool-result.js';

/**
 * One upstream exchange (retries included) that must answer within the run deadline, so a tool never blocks
 * past what MCP clients wait for. Past the deadline the agent hears "try again", not "cancelled".
 */
export async function withinDeadline<T>(
  ctx: ToolContext,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const deadlineMs = ctx.deps.config.runDeadlineMs;
  const bound = timeoutSignal(deadlineMs, ctx.signal);
  try {
    return await work(bound.signal);
  } catch (error) {
    if (bound.timedOut && !ctx.signal.aborted) {
      throw new ToolFailure(
        `Runware did not answer within ${Math.round(deadlineMs / 100) / 10} s. Try again in a moment.`,
      );
    }
    throw error;
  } finally {
    bound.clear();
  }
}
