import type { ToolDefinition } from '../mcp/tool-definition.js';
import { errorResult, toolResult } from './tool-result.js';
import { withinDeadline } from './upstream-deadline.js';

interface Args {
  search: string;
  category?: string;
  architecture?: string;
  type?: string;
  limit?: number;
  offset?: number;
}

export const modelSearchTool: ToolDefinition<Args> = {
  name: 'model_search',
  title: 'Search community models',
  description:
    "Search Runware's full model library (community checkpoints, LoRAs, VAEs, embeddings, your uploads) beyond the curated catalog. Returns AIRs usable as run's model or as a LoRA. Paginate with offset.",
  inputSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['search'],
    properties: {
      search: { type: 'string', minLength: 1, maxLength: 200 },
      category: {
        type: 'string',
        enum: ['checkpoint', 'lora', 'lycoris', 'vae', 'embeddings', 'controlnet'],
      },
      architecture: { type: 'string', maxLength: 50, description: 'e.g. flux1d, sdxl, sd1x, pony' },
      type: { type: 'string', enum: ['base', 'inpainting', 'refiner'] },
      limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
      offset: { type: 'integer', minimum: 0, default: 0 },
    },
  },
  outputSchema: {
    type: 'object',
    required: ['results', 'totalResults'],
    properties: {
      totalResults: { type: 'integer' },
      results: {
        type: 'array',
        items: {
          type: 'object',
          required: ['air', 'name'],
          properties: { air: { type: 'string' }, name: { type: 'string' } },
        },
      },
      nextOffset: { type: 'integer' },
    },
  },
  annotations: { readOnlyHint: true, openWorldHint: true, idempotentHint: true },
  requiresKey: true,
  async handler(args, ctx) {
    const limit = args.limit ?? 20;
    const offset = args.offset ?? 0;
    try {
      const found = await withinDeadline(ctx, (signal) =>
        ctx.deps.runware(ctx.principal.apiKey!).modelSearch({ ...args, limit, offset }, { signal }),
      );
      const results = (Array.isArray(found.results) ? found.results : []) as Array<
        Record<string, unknown> & { air: string; name: string }
      >;
      const totalResults = typeof found.totalResults === 'number' ? found.totalResults : results.length;
      const nextOffset = offset + results.length < totalResults ? offset + results.length : undefined;
      const lines = results.map(
        (r) => `- ${r.name} — ${r.air} (${[r.category, r.architecture].filter(Boolean).join(', ')})`,
      );
      const more = nextOffset === undefined ? '' : `\nMore: call again with offset ${nextOffset}.`;
      return toolResult(
        { totalResults, results, ...(nextOffset === undefined ? {} : { nextOffset }) },
        results.length
          ? `${totalResults === 1 ? '1 model matches' : `${totalResults} models match`} "${args.search}":\n${lines.join('\n')}${more}`
          : `No models match "${args.search}".`,
      );
    } catch (error) {
      return errorResult(error, ctx.principal);
    }
  },
};
