import type { Catalog } from '../catalog/catalog.js';
import { type ModelFile, nameOf } from '../catalog/model-record.js';
import { ToolFailure } from './tool-result.js';

/** Finds a catalog model by AIR or slug, or fails with the closest matches so the agent can retry. */
export function resolveModel(catalog: Catalog, id: string): ModelFile {
  const model = catalog.getModel(id);
  if (model) return model;
  const close = catalog.suggest(id);
  const hint = close.length
    ? ` Closest matches: ${close.map((m) => `${m.air} (${nameOf(m)})`).join(', ')}.`
    : ' Use list_models to search the catalog.';
  throw new ToolFailure(`Unknown model "${id}".${hint}`);
}

/** JSON Schema of a catalog model record (content-service field names), shared by the browse tools. */
export const MODEL_RECORD_SCHEMA = {
  type: 'object',
  required: ['model', 'air', 'name', 'category', 'taskType', 'capabilities', 'checked'],
  properties: {
    model: { type: 'string', description: 'slug id' },
    air: { type: 'string', description: 'model identifier to pass to run' },
    name: { type: 'string' },
    creator: { type: 'string' },
    category: { type: 'string' },
    taskType: { type: 'string' },
    capabilities: { type: 'array', items: { type: 'string' } },
    status: { type: 'string' },
    releasedAt: { type: 'string' },
    weight: { type: 'number' },
    headline: { type: 'string' },
    description: { type: 'string' },
    coverImage: { type: 'string' },
    pricingOverview: { type: 'string' },
    checked: { type: 'string', description: 'which Runware pages the facts were checked against, and when' },
  },
} as const;

export const AIR_ARGUMENT = {
  type: 'string',
  minLength: 1,
  maxLength: 200,
  description: 'Model AIR (e.g. runware:101@1) or slug, as list_models returns it',
} as const;
