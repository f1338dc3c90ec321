import type { CallToolResult } from '@modelcontextprotocol/server';
import type { ToolContext } from '../mcp/tool-definition.js';
import { toolError, usd } from './tool-result.js';

const cents = (amount: number) => Math.round(amount * 100);

/**
 * RUNWARE_CONFIRM_ABOVE: a run estimated above it goes ahead only once the user agreed. Where the client can ask
 * (form elicitation) the user is asked "Run <model> for about $X.XX?"; where it cannot, the run is refused with
 * the estimate and goes ahead when called again with `confirmCost` equal to it. Answers undefined to go ahead, or
 * the result to return instead: the question (2026-07-28: the client asks and calls again) or a refusal. Nothing
 * has been sent to Runware at this point, so a refusal costs nothing.
 */
export async function confirmSpend(
  label: string,
  estimate: number | undefined,
  confirmCost: number | undefined,
  ctx: ToolContext,
): Promise<CallToolResult | undefined> {
  const limit = ctx.deps.config.confirmAbove;
  if (!limit || estimate === undefined || estimate <= limit) return undefined;
  const amount = `$${estimate.toFixed(2)}`;
  // Loaded when a question is due: it brings the SDK, which the stdio front keeps off its start-up path.
  const { askUser, isInputRequired } = await import('../mcp/user-input.js');
  // The amount is part of the question's key: an answer counts only for the amount it was given for.
  const answer = await askUser(ctx, `confirm-spend-${cents(estimate)}`, {
    mode: 'form',
    message: `Run ${label} for about ${amount}?`,
    requestedSchema: {
      type: 'object',
      properties: { confirm: { type: 'boolean', title: `Spend about ${amount}`, default: true } },
      required: ['confirm'],
    },
  });
  if (answer === undefined) {
    if (confirmCost !== undefined && cents(confirmCost) === cents(estimate)) return undefined;
    const mismatch =
      confirmCost === undefined ? '' : ` (confirmCost ${confirmCost} is not the estimate ${amount})`;
    return toolError(
      `Not run: ${label} is estimated at about ${amount}, above ${usd(limit)} (RUNWARE_CONFIRM_ABOVE), and this client cannot ask the user${mismatch}. Ask the user; if they agree, call run again with the same parameters plus "confirmCost": ${cents(estimate) / 100}. Nothing was sent or charged.`,
    );
  }
  if (isInputRequired(answer)) return answer as unknown as CallToolResult;
  if (answer.action === 'accept' && answer.content?.confirm !== false) return undefined;
  return toolError(
    `Not run: the user did not confirm running ${label} for about ${amount}. Nothing was sent or charged.`,
  );
}
