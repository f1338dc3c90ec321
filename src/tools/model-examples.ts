import { nameOf } from '../catalog/model-record.js';
import type { ToolDefinition } from '../mcp/tool-definition.js';
import { AIR_ARGUMENT, resolveModel } from './resolve-model.js';
import { toolResult } from './tool-result.js';

export const modelExamplesTool: ToolDefinition<{ air: string; capability?: string }> = {
  name: 'model_examples',
  title: 'Model examples',
  description:
    'Curated example requests (prompt + parameters) and their outputs for one model. Pass an example request to run to reproduce it.',
  inputSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['air'],
    properties: {
      air: AIR_ARGUMENT,
      capability: { type: 'string', maxLength: 100, description: 'only examples of this capability' },
    },
  },
  outputSchema: {
    type: 'object',
    required: ['examples'],
    properties: {
      examples: {
        type: 'array',
        items: {
          type: 'object',
          required: ['id', 'capability', 'request', 'response'],
          properties: {
            id: { type: 'string' },
            title: { type: 'string' },
            capability: { type: 'string' },
            asset: { type: ['string', 'null'], description: 'the output the example produced' },
            request: { type: 'object' },
            response: { type: 'object' },
          },
        },
      },
    },
  },
  annotations: { readOnlyHint: true, openWorldHint: false, idempotentHint: true },
  requiresKey: false,
  async handler({ air, capability }, ctx) {
    const model = resolveModel(ctx.deps.catalog, air);
    const examples = (await ctx.deps.catalog.examples(model)).filter(
      (e) => !capability || e.capability === capability,
    );
    const text = examples.length
      ? examples
          .map(
            (e, i) =>
              `${i + 1}. ${e.title ?? e.id} [${e.capability}]\n   request: ${JSON.stringify(e.request)}${e.asset ? `\n   output: ${e.asset}` : ''}`,
          )
          .join('\n')
      : `Runware publishes no examples${capability ? ` for ${capability}` : ''} for ${nameOf(model)}.`;
    return toolResult({ examples }, text);
  },
};
