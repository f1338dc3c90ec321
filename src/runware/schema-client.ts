import { type CachedJsonClientOptions, CachedService } from './http-cache.js';

export interface ResolvedSchema {
  requestSchema: Record<string, unknown> | null;
  responseSchema: Record<string, unknown> | null;
  documentation?: string | null;
}

/** `registry.json` as Runware's SDK reads it (runware-typescript src/registry.ts). */
export interface RegistryData {
  version?: string;
  models: Record<string, { taskType: string; id: string }>;
  architectureTaskTypes: Record<string, string>;
  modalityTaskTypes: Record<string, string>;
}

/** One model of the schema bundle (`releases/<version>/schema-map.json`, runware-typescript scripts/generate-types.ts). */
export interface SchemaMapEntry {
  slug: string;
  air?: string;
  requestSchema?: Record<string, unknown>;
  responseSchema?: Record<string, unknown> | null;
}

/** Runware's SDK and MCP keep resolved schemas about five minutes; after that an ETag revalidation is cheap. */
const SCHEMA_FRESH_MS = 5 * 60_000;

/** Runware's public schema service: model registry and per-model request JSON Schemas. No API key. */
export class SchemaClient extends CachedService {
  constructor(options: CachedJsonClientOptions) {
    super({ minFreshMs: SCHEMA_FRESH_MS, ...options });
  }

  /** AIR -> { taskType, id (slug) } for every curated model, plus the architecture and modality task types. */
  async registry(): Promise<RegistryData> {
    const answer = await this.http.get<Partial<RegistryData>>('/registry.json');
    return {
      ...(answer?.version ? { version: answer.version } : {}),
      models: answer?.models ?? {},
      architectureTaskTypes: answer?.architectureTaskTypes ?? {},
      modalityTaskTypes: answer?.modalityTaskTypes ?? {},
    };
  }

  /** The model's request (and response) JSON Schema; undefined when the service knows no such AIR. */
  resolve(air: string): Promise<ResolvedSchema | undefined> {
    return this.http.get(`/resolve/${encodeURIComponent(air)}`);
  }

  /** Every curated model's schemas in one answer (the bundle the SDKs generate their types from). */
  async schemaMap(version = 'latest'): Promise<SchemaMapEntry[]> {
    const answer = await this.http.get<{ inference?: SchemaMapEntry[] }>(
      `/releases/${encodeURIComponent(version)}/schema-map.json`,
    );
    return answer?.inference ?? [];
  }
}
