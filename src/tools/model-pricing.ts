import type { ToolDefinition } from '../mcp/tool-definition.js';
import { AIR_ARGUMENT, resolveModel } from './resolve-model.js';
import { toolResult, usd } from './tool-result.js';

export const modelPricingTool: ToolDefinition<{ air: string }> = {
  name: 'model_pricing',
  title: 'Model pricing',
  description:
    "A model's price overview and example configurations with their price in USD (what run will charge; run also reports the actual cost).",
  inputSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['air'],
    properties: { air: AIR_ARGUMENT },
  },
  outputSchema: {
    type: 'object',
    required: ['air', 'pricingOverview', 'pricingExamples'],
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
            price: { type: 'number' },
            params: { type: 'object' },
          },
        },
      },
    },
  },
  annotations: { readOnlyHint: true, openWorldHint: false, idempotentHint: true },
  requiresKey: false,
  async handler({ air }, ctx) {
    const model = resolveModel(ctx.deps.catalog, air);
    const lines = model.pricingExamples.map((p) => `- ${p.configuration}: ${usd(p.price)}`);
    return toolResult(
      {
        air: model.air,
        name: model.name,
        pricingOverview: model.pricingOverview,
        pricingExamples: model.pricingExamples,
      },
      `${model.name} (${model.air}): ${model.pricingOverview}\n${lines.join('\n')}`,
    );
  },
};
