import { nameOf } from '../catalog/model-record.js';
import { parsePrice } from '../catalog/price-rule.js';
import type { ToolDefinition } from '../mcp/tool-definition.js';
import { AIR_ARGUMENT, resolveModel } from './resolve-model.js';
import { toolResult } from './tool-result.js';

export const modelPricingTool: ToolDefinition<{ air: string }> = {
  name: 'model_pricing',
  title: 'Model pricing',
  description:
    "A model's price overview and example configurations with their price, as Runware publishes them (run reports the actual cost; with a spend cap it asks Runware for the exact price first).",
  inputSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['air'],
    properties: { air: AIR_ARGUMENT },
  },
  outputSchema: {
    type: 'object',
    required: ['air', 'pricingExamples'],
    properties: {
      air: { type: 'string' },
      name: { type: 'string' },
      pricingOverview: { type: 'string' },
      pricingExamples: {
        type: 'array',
        items: {
          type: 'object',
          required: ['configuration', 'price'],
          properties: {
            configuration: { type: 'string' },
            price: { type: 'string', description: 'as Runware publishes it, e.g. "$0.0105" or "$2 / 1M"' },
            usd: { type: 'number', description: 'the price as a number, where it is a single amount' },
          },
        },
      },
      from: { type: 'string', enum: ['live', 'snapshot'] },
    },
  },
  annotations: { readOnlyHint: true, openWorldHint: false, idempotentHint: true },
  requiresKey: false,
  async handler({ air }, ctx) {
    const model = resolveModel(ctx.deps.catalog, air);
    const prices = await ctx.deps.catalog.prices(model);
    const pricingExamples = (prices.pricingExamples ?? []).map((p) => {
      const usd = parsePrice(p.price);
      return { configuration: p.configuration, price: p.price, ...(usd === undefined ? {} : { usd }) };
    });
    const name = nameOf(model);
    const overview = prices.pricingOverview ?? 'Runware publishes no price overview for this model.';
    const lines = pricingExamples.map((p) => `- ${p.configuration}: ${p.price}`);
    return toolResult(
      {
        air: model.air,
        name,
        ...(prices.pricingOverview ? { pricingOverview: prices.pricingOverview } : {}),
        pricingExamples,
        from: prices.from,
      },
      `${name} (${model.air}): ${overview}${lines.length ? `\n${lines.join('\n')}` : ''}`,
    );
  },
};
