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
    const text = [
      `${model.name} (${model.air}) by ${model.creator} — ${model.category}, ${model.status}, released ${model.releasedAt}`,
      model.headline,
      model.description,
      `Capabilities: ${model.capabilities.join(', ')}`,
      `Price: ${model.pricingOverview}`,
      `Parameters: call model_schema {"model": "${model.air}"}. Docs: ${model.documentation ?? 'https://runware.ai/docs'}`,
    ].join('\n');
    return toolResult({ model }, text);
  },
};
