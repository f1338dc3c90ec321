import {
  type ElicitRequestFormParams,
  type InputRequiredResult,
  inputRequired,
  inputResponse,
  isInputRequiredResult,
} from '@modelcontextprotocol/server';
import type { ToolContext } from './tool-definition.js';

/** How long a question waits for the user on a live 2025-era connection; then it counts as not answered. */
export const ASK_TIMEOUT_MS = 120_000;

export interface Answer {
  action: 'accept' | 'decline' | 'cancel';
  content?: Record<string, unknown>;
}

/**
 * Puts one form question (`key` names it) to the user, the way this client can take it: the answer; or, on the
 * 2026-07-28 wire, the input-required result the tool returns so the client asks and calls again (the answer then
 * arrives with that call); or undefined when this client cannot be asked. A question that times out or fails to
 * reach the user reads as "cancel".
 */
export async function askUser(
  ctx: ToolContext,
  key: string,
  params: ElicitRequestFormParams,
): Promise<Answer | InputRequiredResult | undefined> {
  const input = ctx.userInput;
  switch (input.kind) {
    case 'none':
      return undefined;
    case 'retry': {
      const answer = inputResponse(input.responses, key);
      if (answer.kind === 'elicit')
        return { action: answer.action, ...(answer.content ? { content: answer.content } : {}) };
      return inputRequired({ inputRequests: { [key]: inputRequired.elicit(params) } });
    }
    case 'request':
      try {
        const answer = await input.elicit(params, { signal: ctx.signal, timeout: ASK_TIMEOUT_MS });
        return {
          action: answer.action,
          ...(answer.content ? { content: answer.content as Record<string, unknown> } : {}),
        };
      } catch {
        return { action: 'cancel' };
      }
  }
}

export const isInputRequired = (
  value: Answer | InputRequiredResult | undefined,
): value is InputRequiredResult => isInputRequiredResult(value);
