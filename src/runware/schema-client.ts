import { CachedService } from './http-cache.js';

export interface ResolvedSchema {
  requestSchema: Record<string, unknown>;
  responseSchema: Record<string, unknown> | null;
  documentation?: string;
}

export type SchemaRegistry = Record<string, { taskType: string; id: string }>;

/** Runware's public schema service: model -> taskType registry and per-model request JSON Schemas. No API key. */
export class SchemaClient extends CachedService {
  /** AIR -> { taskType, id (slug) } for every curated model. */
  async registry(): Promise<SchemaRegistry> {
    return (await this.http.get<{ models?: SchemaRegistry }>('/registry.json'))?.models ?? {};
  }

  /** The model's request (and response) JSON Schema; undefined when the service knows no such AIR. */
  resolve(air: string): Promise<ResolvedSchema | undefined> {
    return this.http.get(`/resolve/${encodeURIComponent(air)}`);
  }
}
