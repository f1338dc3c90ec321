import type { ToolDefinition } from '../mcp/tool-definition.js';
import { errorResult, toolResult, usd } from './tool-result.js';
import { withinDeadline } from './upstream-deadline.js';

export const accountTool: ToolDefinition<Record<string, never>> = {
  name: 'account',
  title: 'Account balance and usage',
  description:
    'Your Runware balance (USD) and recent usage (credits spent and requests today, 7 and 30 days).',
  inputSchema: { type: 'object', additionalProperties: false, properties: {} },
  outputSchema: {
    type: 'object',
    required: ['balance'],
    properties: {
      balance: { type: 'number' },
      currency: { type: 'string' },
      organizationName: { type: 'string' },
      usage: { type: 'object' },
    },
  },
  annotations: { readOnlyHint: true, openWorldHint: true, idempotentHint: true },
  requiresKey: true,
  async handler(_args, ctx) {
    try {
      const details = await withinDeadline(ctx, (signal) =>
        ctx.deps.runware(ctx.principal.apiKey!).accountDetails({ signal }),
      );
      // The balance is a number in older API versions and {amount, currency} in newer ones.
      const raw = details.balance as number | { amount?: number; currency?: string } | undefined;
      const balance = typeof raw === 'number' ? raw : Number(raw?.amount ?? Number.NaN);
      const currency = typeof raw === 'object' && raw?.currency ? raw.currency : 'USD';
      const usage = (details.usage ?? {}) as Record<string, { credits?: number; requests?: number }>;
      const lines = Object.entries(usage).map(
        ([period, u]) => `- ${period}: ${usd(u.credits)} over ${u.requests ?? 0} requests`,
      );
      return toolResult(
        {
          balance,
          currency,
          usage,
          ...(typeof details.organizationName === 'string'
            ? { organizationName: details.organizationName }
            : {}),
        },
        `Balance: ${usd(balance)} ${currency}${lines.length ? `\nUsage:\n${lines.join('\n')}` : ''}`,
      );
    } catch (error) {
      return errorResult(error, ctx.principal);
    }
  },
};
