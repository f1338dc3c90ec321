import { CachedJsonClient, type CachedJsonClientOptions } from './http-cache.js';

export interface ResolvedSchema {
  requestSchema: Record<string, unknown>;
  responseSchema: Record<string, unknown> | null;
}

/** Runware's public schema service: model -> taskType registry and per-model request JSON Schemas. No API key. */
export class SchemaClient {
  private readonly http: CachedJsonClient;

  constructor(options: CachedJsonClientOptions) {
    this.http = new CachedJsonClient(options);
  }

  get requests(): number {
    return this.http.requests;
  }

  async registry(): Promise<Record<string, { taskType: string; id: string }>> {
    return (
      (await this.http.get<{ models: Record<string, { taskType: string; id: string }> }>('/registry.json'))
        ?.models ?? {}
    );
  }

  resolve(air: string): Promise<ResolvedSchema | undefined> {
    return this.http.get(`/resolve/${encodeURIComponent(air)}`);
  }
}
