import { Catalog, type ResolvedRequestSchema } from '../catalog/catalog.js';
import { nameOf } from '../catalog/model-record.js';
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
    const resolved = await ctx.deps.catalog.displaySchema(model.air);
    if (!resolved) {
      throw new ToolFailure(
        `Runware publishes no parameter schema for ${model.air}; run sends the parameters as given and Runware validates them.`,
      );
    }
    const schema = Catalog.agentSchema(resolved.schema);
    const uri = schemaResourceUri(model.air);
    const required = (schema.required as string[] | undefined) ?? [];
    return toolResult(
      { model: model.air, taskType: model.taskType, schema },
      `${nameOf(model)} (${model.air}, taskType ${model.taskType}): ${Object.keys(schema.properties ?? {}).length} parameters, required: ${required.join(', ') || 'none'}. ${schemaNote(resolved)} Full schema in the resource ${uri}.`,
      [
        {
          type: 'resource',
          resource: { uri, mimeType: 'application/schema+json', text: JSON.stringify(schema) },
        },
      ],
    );
  },
};

/** Where the schema came from, so an agent knows how far to trust it. */
function schemaNote(resolved: ResolvedRequestSchema): string {
  if (resolved.from === 'live') return "From Runware's schema service.";
  return resolved.strict
    ? "From the bundled copy of Runware's schema (the schema service could not be reached)."
    : "From the generic parameter types of Runware's SDK for this kind of model, not a per-model schema: other parameters the model's docs list are accepted, and Runware validates them.";
}
