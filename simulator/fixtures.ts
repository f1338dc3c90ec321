import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PriceLine } from './billing.js';

/**
 * One model as Runware serves it. The simulator's own data (simulator/fixtures/), written from Runware's
 * published contracts and pages; each fixture names its sources. It never reads the product's catalog.
 */
export interface SimModel {
  /** Where the facts of this fixture were read (URLs or repository paths, with the date). */
  sources: string[];
  taskType: string;
  /** The content service's `category[]` of the pricing answer. */
  category: string[];
  /** The content-service record, served as is (open: extra fields stay). */
  record: Record<string, unknown> & { model: string; air: string; status: string };
  /** Examples as the content service serves them ({id, title?, capability, asset?, request, response}). */
  examples?: Array<Record<string, unknown>>;
  /** The schema service's `resolve` answer; absent: 404 (no schema published). */
  requestSchema?: Record<string, unknown>;
  responseSchema?: Record<string, unknown> | null;
  /** How this simulator bills the model (its own rule, from the model's documented prices). */
  price?: PriceLine[];
  /** Request path of the text a per-character price counts (TTS). */
  textPath?: string;
  /** Listed in the curated catalog (registry, content list); false: reachable by AIR only. */
  curated?: boolean;
}

export interface CommunityModel {
  air: string;
  name: string;
  category: string;
  architecture: string | null;
  [k: string]: unknown;
}

export interface SimData {
  models: SimModel[];
  byAir: Map<string, SimModel>;
  bySlug: Map<string, SimModel>;
  capabilities: Array<{ id: string; label: string }>;
  creators: Array<{ id: string; name: string; [k: string]: unknown }>;
  community: CommunityModel[];
  /** Records the content list carries that no client can use (no AIR): they must be skipped, not fatal. */
  oddRecords: Array<Record<string, unknown>>;
  /** Schema keys (architectures, modalities, operations) -> params schema and taskType, from the SDK's bundle types. */
  bundle: {
    version: string;
    architectures: Record<string, { taskType: string; requestSchema: Record<string, unknown> }>;
    modalities: Record<string, { taskType: string; requestSchema: Record<string, unknown> }>;
    operations: Record<string, { taskType: string; requestSchema: Record<string, unknown> }>;
  };
}

export const FIXTURES_DIR = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const readJson = <T>(file: string) => JSON.parse(readFileSync(file, 'utf8')) as T;

/** Reads the simulator's fixtures once, at start. */
export function loadFixtures(dir = FIXTURES_DIR): SimData {
  const models = readdirSync(join(dir, 'models'))
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => readJson<SimModel>(join(dir, 'models', f)));
  return {
    models,
    byAir: new Map(models.map((m) => [m.record.air, m])),
    bySlug: new Map(models.map((m) => [m.record.model, m])),
    capabilities: readJson(join(dir, 'capabilities.json')),
    creators: readJson(join(dir, 'creators.json')),
    community: readJson(join(dir, 'community.json')),
    oddRecords: readJson(join(dir, 'odd-records.json')),
    bundle: readJson(join(dir, 'bundle.json')),
  };
}

/** The taskType a request schema declares (`properties.taskType.const`), as Runware's type generator reads it. */
export const taskTypeOfSchema = (schema: Record<string, unknown> | undefined) =>
  ((schema?.properties as Record<string, { const?: unknown }> | undefined)?.taskType?.const as
    | string
    | undefined) ?? undefined;

/** Delivery methods a schema allows (`deliveryMethod` const or enum); undefined when it does not say. */
export function deliveryOf(schema: Record<string, unknown> | undefined): string[] | undefined {
  const node = (schema?.properties as Record<string, { const?: unknown; enum?: unknown[] }> | undefined)
    ?.deliveryMethod;
  if (!node) return undefined;
  if (node.const !== undefined) return [String(node.const)];
  return Array.isArray(node.enum) ? node.enum.map(String) : undefined;
}
