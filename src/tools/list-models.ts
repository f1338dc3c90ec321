import { InvalidCursorError } from '../catalog/catalog.js';
import { CATEGORIES } from '../catalog/model-record.js';
import type { SortOrder } from '../catalog/search-index.js';
import type { ToolContext, ToolDefinition } from '../mcp/tool-definition.js';
import { STUDIO_TOOL_META } from '../studio/studio-app.js';
import { MODEL_RECORD_SCHEMA } from './resolve-model.js';
import { ToolFailure, toolResult } from './tool-result.js';

interface Args {
  capability?: string;
  category?: string;
  creator?: string;
  search?: string;
  sort?: SortOrder;
  limit?: number;
  cursor?: string;
}

export const listModelsTool: ToolDefinition<Args> = {
  name: 'list_models',
  title: 'List models',
  description:
    'Find Runware models. Filter by capability (e.g. io:text-to-image; see list_capabilities), category (image, video, audio, text, 3d), creator, or free-text search (typo-tolerant). Returns the AIR ids that run accepts, with headline and price overview. Paginate with cursor.',
  inputSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      capability: { type: 'string', maxLength: 100, description: 'capability id, e.g. io:text-to-video' },
      category: { type: 'string', enum: [...CATEGORIES] },
      creator: { type: 'string', maxLength: 100, description: 'creator id, e.g. google' },
      search: { type: 'string', maxLength: 200, description: 'free text: name, AIR, creator, capability' },
      sort: {
        type: 'string',
        enum: ['relevance', 'weight', 'newest', 'name'],
        description: 'default: relevance when searching, else weight (popularity)',
      },
      limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
      cursor: { type: 'string', maxLength: 200, description: 'nextCursor from a previous call' },
    },
  },
  outputSchema: {
    type: 'object',
    required: ['models', 'total'],
    properties: {
      models: { type: 'array', items: MODEL_RECORD_SCHEMA },
      total: { type: 'integer' },
      nextCursor: { type: 'string' },
    },
  },
  annotations: { readOnlyHint: true, openWorldHint: false, idempotentHint: true },
  _meta: STUDIO_TOOL_META,
  requiresKey: false,
  async handler(args, ctx) {
    validateFilters(args, ctx);
    let result: ReturnType<typeof ctx.deps.catalog.list>;
    try {
      result = ctx.deps.catalog.list(args);
    } catch (error) {
      if (error instanceof InvalidCursorError) throw new ToolFailure(error.message);
      throw error;
    }
    const models = result.models.map(({ description: _d, ...m }) => m);
    return toolResult({ ...result, models }, renderList(result.models, result.total, result.nextCursor));
  },
};

function validateFilters(args: Args, ctx: ToolContext): void {
  const { catalog } = ctx.deps;
  if (args.capability && !catalog.hasCapability(args.capability)) {
    const close = catalog
      .capabilities()
      .filter((c) => c.id.includes(args.capability!.replace(/^(io|op|form):/, '').split('-')[0] ?? ''))
      .slice(0, 5)
      .map((c) => c.id);
    throw new ToolFailure(
      `Unknown capability "${args.capability}".${close.length ? ` Did you mean: ${close.join(', ')}?` : ''} Call list_capabilities for the full list.`,
    );
  }
  if (args.creator && !catalog.hasCreator(args.creator)) {
    throw new ToolFailure(
      `Unknown creator "${args.creator}". Known creators: ${catalog
        .creators()
        .map((c) => c.id)
        .join(', ')}.`,
    );
  }
}

function renderList(
  models: Array<{ air: string; name: string; category: string; headline?: string; pricingOverview?: string }>,
  total: number,
  next?: string,
): string {
  if (total === 0) return 'No models match. Loosen the filters or try list_capabilities.';
  const lines = models.map(
    (m) =>
      `- ${m.name} - ${m.air} (${m.category}) - ${m.pricingOverview ?? 'price: see model_pricing'} - ${m.headline ?? ''}`,
  );
  const more = next ? `\nMore results: call again with cursor "${next}".` : '';
  return `${total === 1 ? '1 model matches' : `${total} models match`} (showing ${models.length}):\n${lines.join('\n')}${more}`;
}
