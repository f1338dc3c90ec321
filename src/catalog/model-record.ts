import type { PricingRule } from './cost-estimate.js';

export type Category = 'image' | 'video' | 'audio' | 'text' | '3d';
export const CATEGORIES: readonly Category[] = ['image', 'video', 'audio', 'text', '3d'];

/** One catalog snapshot file (catalog/models/<slug>.json); field names follow Runware's content service. */
export interface ModelFile {
  model: string;
  air: string;
  name: string;
  creator: string;
  taskType: string;
  category: Category;
  capabilities: string[];
  architecture?: string;
  hosted?: boolean;
  status: string;
  replacedBy?: string;
  releasedAt: string;
  weight: number;
  headline: string;
  description: string;
  coverImage: string;
  ogImage?: string;
  documentation?: string;
  pricingOverview: string;
  pricingExamples: PricingExample[];
  pricing: PricingRule;
  examples: ModelExample[];
  requestSchema: JsonSchema;
  responseSchema?: JsonSchema | null;
}

export interface PricingExample {
  configuration: string;
  price: number;
  competitorPrice?: number;
  params?: Record<string, unknown>;
}

export interface ModelExample {
  id: string;
  title: string;
  capability: string;
  asset?: string;
  request: Record<string, unknown>;
  response: Record<string, unknown>;
}

export type JsonSchema = { type?: unknown; properties?: Record<string, JsonSchema>; [k: string]: unknown };

/** What browse tools return for a model: the content-service record without examples, schemas and price rule. */
export type ModelRecord = Omit<
  ModelFile,
  'examples' | 'requestSchema' | 'responseSchema' | 'pricing' | 'pricingExamples'
>;

export interface Capability {
  id: string;
  label: string;
  description?: string;
}

export interface Creator {
  id: string;
  name: string;
  description?: string;
  website?: string;
}

/** Model files never change once loaded (a refresh loads new ones), so their records are built once. */
const records = new WeakMap<ModelFile, ModelRecord>();

/** The browse record of a model: shared and frozen, never to be mutated by callers. */
export function toModelRecord(m: ModelFile): ModelRecord {
  let record = records.get(m);
  if (!record) {
    record = Object.freeze(recordOf(m));
    records.set(m, record);
  }
  return record;
}

function recordOf(m: ModelFile): ModelRecord {
  const {
    examples: _e,
    requestSchema: _r,
    responseSchema: _s,
    pricing: _p,
    pricingExamples: _x,
    ...record
  } = m;
  return record;
}
