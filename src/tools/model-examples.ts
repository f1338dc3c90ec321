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
          required: ['id', 'title', 'capability', 'request', 'response'],
          properties: {
            id: { type: 'string' },
            title: { type: 'string' },
            capability: { type: 'string' },
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
    const examples = model.examples.filter((e) => !capability || e.capability === capability);
    const text = examples.length
      ? examples
          .map((e, i) => `${i + 1}. ${e.title} [${e.capability}]\n   request: ${JSON.stringify(e.request)}`)
          .join('\n')
      : `No examples${capability ? ` for ${capability}` : ''} for ${model.name}.`;
    return toolResult({ examples }, text);
  },
};
