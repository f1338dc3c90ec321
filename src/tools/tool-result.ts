import type { CallToolResult, ContentBlock } from '@modelcontextprotocol/server';
import type { Principal } from '../mcp/tool-definition.js';
import { RunwareError } from '../runware/errors.js';
import { StoreUnavailableError } from '../store/store.js';

/** An error the agent can act on: the message says what went wrong and what to do next. */
export class ToolFailure extends Error {
  override readonly name = 'ToolFailure';
}

/** A successful result: structured data plus a compact text rendering (and any extra blocks). */
export function toolResult(
  structuredContent: Record<string, unknown>,
  text: string,
  extra: ContentBlock[] = [],
): CallToolResult {
  return { content: [{ type: 'text', text }, ...extra], structuredContent };
}

export function toolError(message: string): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: message }] };
}

/** The one formatter from thrown errors to tool errors; secrets never reach it (the client scrubs them). */
export function errorResult(error: unknown, principal: Principal, taskUUID?: string): CallToolResult {
  if (error instanceof ToolFailure) return toolError(error.message);
  if (error instanceof StoreUnavailableError) {
    return toolError(
      'The server could not reach its task store. Nothing was sent to Runware. Try again in a moment.',
    );
  }
  if (error instanceof RunwareError)
    return toolError(runwareMessage(error, principal, taskUUID ?? error.taskUUID));
  return toolError(
    `Unexpected error: ${(error as Error)?.message ?? String(error)}. Try again; if it persists, report it.`,
  );
}

function runwareMessage(e: RunwareError, principal: Principal, taskUUID: string | undefined): string {
  const later = taskUUID
    ? ` Check it later with get_task_details {"taskUUID": "${taskUUID}"}; it will not be charged twice.`
    : '';
  switch (e.category) {
    case 'auth':
      return principal.mode === 'stdio'
        ? 'The Runware API key was rejected (it may have been rotated or deleted). Set a new key in RUNWARE_API_KEY and restart the MCP server. Get one at https://my.runware.ai.'
        : 'The Runware API key linked to this connection was rejected (it may have been rotated or deleted). Reconnect this MCP server (sign in again) and paste a new key.';
    case 'quota':
      return `Insufficient Runware credits: ${e.message} Top up at https://my.runware.ai and retry.`;
    case 'rateLimit':
      return `Runware is rate limiting requests and retries did not get through. Wait a minute and retry.${later}`;
    case 'validation': {
      const param = e.parameter
        ? ` (parameter ${Array.isArray(e.parameter) ? e.parameter.join(', ') : e.parameter})`
        : '';
      const allowed = e.details?.allowedValues
        ? ` Allowed values: ${e.details.allowedValues.join(', ')}.`
        : '';
      const range =
        e.details?.min !== undefined || e.details?.max !== undefined
          ? ` Allowed range: ${e.details.min ?? '-inf'}..${e.details.max ?? 'inf'}.`
          : '';
      return `Runware rejected the request${param}: ${e.message}${allowed}${range} Fix the parameter and retry (see model_schema).`;
    }
    case 'safety':
      return `Runware's content safety blocked this request: ${e.message} Rephrase the prompt or change the inputs.`;
    case 'notFound':
      return `Not found on Runware: ${e.message}`;
    case 'aborted':
      return 'The request was cancelled.';
    case 'timeout':
    case 'connection':
    case 'serverError':
    case 'provider':
      return `Runware is not answering right now (${e.code}: ${e.message}).${later || ' Retry in a moment.'}`;
  }
}

/** Formats a USD amount the way people read prices. */
export function usd(amount: number | undefined): string {
  if (amount === undefined) return 'unknown';
  return amount >= 0.1 ? `$${amount.toFixed(2)}` : `$${Number(amount.toPrecision(2))}`;
}
