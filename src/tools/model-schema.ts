import { Catalog } from '../catalog/catalog.js';
import type { ToolDefinition } from '../mcp/tool-definition.js';
import { AIR_ARGUMENT, resolveModel } from './resolve-model.js';
import { ToolFailure, toolResult } from './tool-result.js';

export const schemaResourceUri = (air: string) => `runware://models/${encodeURIComponent(air)}/schema`;

export const modelSchemaTool: ToolDefinition<{ model: string }> = {
  name: 'model_schema',
  title: 'Model parameter schema',
  description:
    "The JSON Schema of a model's run parameters (types, ranges, enums, defaults, required), as an embedded resource. Read it before run; transport fields are filled in by the server.",
  inputSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['model'],
    properties: { model: AIR_ARGUMENT },
  },
  outputSchema: {
    type: 'object',
    required: ['model', 'taskType', 'schema'],
    properties: { model: { type: 'string' }, taskType: { type: 'string' }, schema: { type: 'object' } },
  },
  annotations: { readOnlyHint: true, openWorldHint: false, idempotentHint: true },
  requiresKey: false,
  async handler(args, ctx) {
    const model = resolveModel(ctx.deps.catalog, args.model);
    const raw = await ctx.deps.catalog.requestSchema(model.air);
    if (!raw) throw new ToolFailure(`No parameter schema is known for ${model.air}.`);
    const schema = Catalog.agentSchema(raw);
    const uri = schemaResourceUri(model.air);
    const required = (schema.required as string[] | undefined) ?? [];
    return toolResult(
      { model: model.air, taskType: model.taskType, schema },
      `${model.name} (${model.air}, taskType ${model.taskType}): ${Object.keys(schema.properties ?? {}).length} parameters, required: ${required.join(', ') || 'none'}. Full schema in the resource ${uri}.`,
      [
        {
          type: 'resource',
          resource: { uri, mimeType: 'application/schema+json', text: JSON.stringify(schema) },
        },
      ],
    );
  },
};
