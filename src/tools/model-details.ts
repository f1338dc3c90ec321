import { toModelRecord } from '../catalog/model-record.js';
import type { ToolDefinition } from '../mcp/tool-definition.js';
import { AIR_ARGUMENT, MODEL_RECORD_SCHEMA, resolveModel } from './resolve-model.js';
import { toolResult } from './tool-result.js';

export const modelDetailsTool: ToolDefinition<{ air: string }> = {
  name: 'model_details',
  title: 'Model details',
  description:
    'Name, creator, capabilities, description, status, release date, cover image and price overview of one model.',
  inputSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['air'],
    properties: { air: AIR_ARGUMENT },
  },
  outputSchema: { type: 'object', required: ['model'], properties: { model: MODEL_RECORD_SCHEMA } },
  annotations: { readOnlyHint: true, openWorldHint: false, idempotentHint: true },
  requiresKey: false,
  async handler({ air }, ctx) {
    const model = toModelRecord(resolveModel(ctx.deps.catalog, air));
    const facts = [
      model.creator ? `by ${model.creator}` : undefined,
      model.category,
      model.status,
      model.releasedAt ? `released ${model.releasedAt.slice(0, 10)}` : undefined,
    ].filter(Boolean);
    const text = [
      `${model.name} (${model.air}) ${facts.join(', ')}`,
      model.headline,
      model.description,
      model.capabilities.length ? `Capabilities: ${model.capabilities.join(', ')}` : undefined,
      model.pricingOverview ? `Price: ${model.pricingOverview}` : 'Price: see model_pricing',
      `Parameters: call model_schema {"model": "${model.air}"}. Docs: ${model.documentation ?? 'https://runware.ai/docs'}`,
      `Facts ${model.checked}.`,
    ]
      .filter(Boolean)
      .join('\n');
    return toolResult({ model }, text);
  },
};
