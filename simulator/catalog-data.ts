import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { estimateCost, type PricingRule } from '../src/catalog/cost-estimate.js';

export interface SimModel {
  model: string;
  air: string;
  name: string;
  creator: string;
  taskType: string;
  category: string;
  capabilities: string[];
  status: string;
  releasedAt: string;
  weight: number;
  pricing?: { unit: string; usd: number; minimumUsd?: number };
  examples?: Array<Record<string, unknown> & { capability?: string }>;
  requestSchema?: Record<string, unknown>;
  responseSchema?: Record<string, unknown> | null;
  [k: string]: unknown;
}

export interface SimCatalog {
  models: SimModel[];
  byAir: Map<string, SimModel>;
  bySlug: Map<string, SimModel>;
  capabilities: Array<{ id: string; label: string; description?: string }>;
  creators: Array<{ id: string; name: string; [k: string]: unknown }>;
}

const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as unknown;

function readDir(dir: string): unknown[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => readJson(join(dir, f)));
  } catch {
    return [];
  }
}

/** Reads the same snapshot the product ships: the simulator plays the live services from it. */
export function loadSimCatalog(dir: string): SimCatalog {
  const models = readDir(join(dir, 'models')) as SimModel[];
  let capabilities: SimCatalog['capabilities'] = [];
  try {
    capabilities = readJson(join(dir, 'capabilities.json')) as SimCatalog['capabilities'];
  } catch {
    // an empty taxonomy is a valid (if useless) catalog
  }
  return {
    models,
    byAir: new Map(models.map((m) => [m.air, m])),
    bySlug: new Map(models.map((m) => [m.model, m])),
    capabilities,
    creators: readDir(join(dir, 'creators')) as SimCatalog['creators'],
  };
}

/** Bills with the product's own rule so that quoted and charged prices agree. */
export function priceOf(model: SimModel | undefined, task: Record<string, unknown>): number {
  return model?.pricing ? estimateCost(model.pricing as PricingRule, task) : 0;
}
