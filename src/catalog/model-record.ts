import type { PriceRule } from './price-rule.js';

export type Category = 'image' | 'video' | 'audio' | 'text' | '3d';
export const CATEGORIES: readonly Category[] = ['image', 'video', 'audio', 'text', '3d'];

const TASK_CATEGORY: Record<string, Category> = {
  imageInference: 'image',
  videoInference: 'video',
  audioInference: 'audio',
  textInference: 'text',
  '3dInference': '3d',
  promptEnhance: 'text',
};

/**
 * A model's category from its task type; utilities (upscale, background removal, caption...) are video ones
 * when they take a video in (a `video-to-*` capability), image ones otherwise.
 */
export function categoryOf(taskType: string, capabilities: readonly string[] = []): Category {
  return TASK_CATEGORY[taskType] ?? (capabilities.some((c) => /(^|:)video-to-/.test(c)) ? 'video' : 'image');
}

/** Where a record's facts were read: a Runware URL or repository path, when, and which fields it gave. */
export interface Source {
  url: string;
  read: string;
  fields: string[];
}

/**
 * One catalog model (catalog/models/<slug>.json, or a live content-service record merged in). Field names follow
 * Runware's content service; everything past the identity (model, air, taskType, category) is optional because
 * Runware's own records leave fields out, and a fact nobody could read is left out rather than guessed.
 */
export interface ModelFile {
  model: string;
  air: string;
  taskType: string;
  category: Category;
  name?: string;
  creator?: string;
  capabilities: string[];
  architecture?: string;
  hosted?: boolean;
  status?: string;
  releasedAt?: string;
  /** The content service's ranking; absent offline (the snapshot has no source for it). */
  weight?: number;
  headline?: string;
  description?: string;
  coverImage?: string;
  ogImage?: string;
  documentation?: string;
  pricingOverview?: string;
  /** As Runware publishes them: the price is a string ("$0.0105", "$2 / 1M"). */
  pricingExamples?: PricingExample[];
  /** Our rule for estimating offline, checked against the documented examples; absent when none could be written. */
  pricing?: PriceRule;
  examples?: ModelExample[];
  requestSchema?: JsonSchema;
  responseSchema?: JsonSchema | null;
  /** Who wrote the request schema: Runware's schema service, or the SDK's generated types (validated leniently). */
  schemaSource?: SchemaSource;
  sources?: Source[];
  /** What could not be read, in words. */
  gaps?: string[];
  [extra: string]: unknown;
}

export interface SchemaSource {
  /** `runware`: a per-model schema Runware published; `sdk-types`: the modality/architecture types of Runware's SDK. */
  kind: 'runware' | 'sdk-types';
  from: string;
  read: string;
}

export interface PricingExample {
  configuration: string;
  price: string;
  competitorPrice?: string;
}

export interface ModelExample {
  id: string;
  title?: string;
  capability: string;
  asset?: string | null;
  request: Record<string, unknown>;
  response: Record<string, unknown>;
}

export type JsonSchema = { type?: unknown; properties?: Record<string, JsonSchema>; [k: string]: unknown };

/** What browse tools return for a model: the record without examples, schemas, price rule and provenance detail. */
export type ModelRecord = Pick<
  ModelFile,
  | 'model'
  | 'air'
  | 'taskType'
  | 'category'
  | 'creator'
  | 'capabilities'
  | 'architecture'
  | 'hosted'
  | 'status'
  | 'releasedAt'
  | 'weight'
  | 'headline'
  | 'description'
  | 'coverImage'
  | 'ogImage'
  | 'documentation'
  | 'pricingOverview'
> & { name: string; checked: string; [extra: string]: unknown };

export interface Capability {
  id: string;
  label: string;
}

export interface Creator {
  id: string;
  name: string;
  logo?: string;
  sources?: Source[];
}

/** A model's display name: its name, else its slug (a record read from no page has no name). */
export const nameOf = (m: Pick<ModelFile, 'name' | 'model'>) => m.name ?? m.model;

/**
 * One line saying which Runware pages (or live service) the record's facts were checked against, and when; or
 * that none was: then only the identity from the SDK's model list is known.
 */
export function provenanceLine(m: Pick<ModelFile, 'sources'>): string {
  const pages = (m.sources ?? []).filter(
    (s) => s.fields.length > 0 && /^https?:\/\//.test(s.url) && !s.url.includes('github.com/'),
  );
  if (pages.length === 0) return 'not checked against a Runware page: identity fields only';
  const dates = [...new Set(pages.map((s) => s.read))].sort();
  return `checked against ${pages.map((s) => s.url.replace(/^https:\/\//, '')).join(', ')} on ${dates.join(', ')}`;
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
    sources: _src,
    schemaSource: _ss,
    gaps: _g,
    ...record
  } = m;
  return { ...record, name: nameOf(m), checked: provenanceLine(m) };
}
