import { CachedService } from './http-cache.js';

/** A content-service model record (runware-typescript src/types/content.ts ModelMetadata): open, mostly optional. */
export interface ContentModel {
  model: string;
  air: string;
  name?: string;
  creator?: string;
  capabilities?: string[];
  status?: string;
  releasedAt?: string;
  weight?: number;
  headline?: string;
  description?: string;
  coverImage?: string;
  pricingOverview?: string;
  pricingExamples?: Array<{ configuration: string; price: string; competitorPrice?: string }>;
  [k: string]: unknown;
}

export interface ContentPage<T> {
  total: number;
  limit: number;
  offset: number;
  items: T[];
}

export type ContentRecord = Record<string, unknown>;

/** Runware's public content service (the curated catalog). No API key. Answers are cached per Cache-Control/ETag. */
export class ContentClient extends CachedService {
  /** Every model matching the query (`capability`, `category`, `creator`, `status`, `q`, `sort`, `order`). */
  async listModels(query: Record<string, string> = {}): Promise<ContentModel[]> {
    const { paginate: _ignored, ...rest } = query;
    const answer = await this.http.get<ContentModel[] | ContentPage<ContentModel>>(
      `/models${queryString(rest)}`,
    );
    return Array.isArray(answer) ? answer : (answer?.items ?? []);
  }

  /** One page of models (`paginate=true`, with `limit` and `offset`). */
  async listModelsPage(query: Record<string, string> = {}): Promise<ContentPage<ContentModel>> {
    const answer = await this.http.get<ContentPage<ContentModel>>(
      `/models${queryString({ ...query, paginate: 'true' })}`,
    );
    return (
      answer ?? { total: 0, limit: Number(query.limit ?? 0), offset: Number(query.offset ?? 0), items: [] }
    );
  }

  /** One model by slug or AIR; undefined when the service has none. */
  getModel(id: string): Promise<ContentModel | undefined> {
    return this.http.get(`/models/${encodeURIComponent(id)}`);
  }

  async getExamples(id: string, capability?: string): Promise<ContentRecord[]> {
    return (
      (await this.http.get(`/models/${encodeURIComponent(id)}/examples${queryString({ capability })}`)) ?? []
    );
  }

  getPricing(id: string): Promise<ContentRecord | undefined> {
    return this.http.get(`/models/${encodeURIComponent(id)}/pricing`);
  }

  async getGuides(id: string): Promise<ContentRecord[]> {
    return (await this.http.get(`/models/${encodeURIComponent(id)}/guides`)) ?? [];
  }

  async listCapabilities(): Promise<Array<{ id: string; label: string; description?: string }>> {
    return (await this.http.get('/capabilities')) ?? [];
  }

  async listCreators(): Promise<Array<{ id: string; name: string; [k: string]: unknown }>> {
    return (await this.http.get('/creators')) ?? [];
  }

  getCreator(id: string): Promise<ContentRecord | undefined> {
    return this.http.get(`/creators/${encodeURIComponent(id)}`);
  }

  async listCollections(category?: string): Promise<ContentRecord[]> {
    return (await this.http.get(`/collections${queryString({ category })}`)) ?? [];
  }

  getCollection(id: string): Promise<ContentRecord | undefined> {
    return this.http.get(`/collections/${encodeURIComponent(id)}`);
  }
}

function queryString(query: Record<string, string | undefined>): string {
  const defined = Object.entries(query).filter(
    (e): e is [string, string] => e[1] !== undefined && e[1] !== '',
  );
  return defined.length ? `?${new URLSearchParams(defined).toString()}` : '';
}
