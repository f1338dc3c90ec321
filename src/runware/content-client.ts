import { CachedJsonClient, type CachedJsonClientOptions } from './http-cache.js';

export interface ContentModel {
  model: string;
  air: string;
  name: string;
  creator: string;
  capabilities: string[];
  status: string;
  releasedAt: string;
  weight: number;
  headline: string;
  description: string;
  [k: string]: unknown;
}

/** Runware's public content service (the curated catalog). No API key. */
export class ContentClient {
  private readonly http: CachedJsonClient;

  constructor(options: CachedJsonClientOptions) {
    this.http = new CachedJsonClient(options);
  }

  get requests(): number {
    return this.http.requests;
  }

  async listModels(query: Record<string, string> = {}): Promise<ContentModel[]> {
    const qs = new URLSearchParams(query).toString();
    return (await this.http.get<ContentModel[]>(`/models${qs ? `?${qs}` : ''}`)) ?? [];
  }

  getModel(id: string): Promise<ContentModel | undefined> {
    return this.http.get(`/models/${encodeURIComponent(id)}`);
  }

  async getExamples(id: string, capability?: string): Promise<Array<Record<string, unknown>>> {
    const qs = capability ? `?capability=${encodeURIComponent(capability)}` : '';
    return (await this.http.get(`/models/${encodeURIComponent(id)}/examples${qs}`)) ?? [];
  }

  getPricing(id: string): Promise<Record<string, unknown> | undefined> {
    return this.http.get(`/models/${encodeURIComponent(id)}/pricing`);
  }

  async listCapabilities(): Promise<Array<{ id: string; label: string; description?: string }>> {
    return (await this.http.get('/capabilities')) ?? [];
  }

  async listCreators(): Promise<Array<{ id: string; name: string; [k: string]: unknown }>> {
    return (await this.http.get('/creators')) ?? [];
  }
}
