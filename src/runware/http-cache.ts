/**
 * GET JSON with an in-memory cache that honours Cache-Control max-age and revalidates with ETag
 * (If-None-Match -> 304 reuses the cached body). Shared by the content and schema clients.
 */
export interface CachedJsonClientOptions {
  baseUrl: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

interface Entry {
  body: unknown;
  etag: string | undefined;
  freshUntil: number;
}

export class CachedJsonClient {
  private readonly cache = new Map<string, Entry>();
  private readonly fetchImpl: typeof fetch;
  /** Counts network round trips (tests and metrics read it). */
  requests = 0;

  constructor(private readonly options: CachedJsonClientOptions) {
    this.fetchImpl = options.fetch ?? fetch;
  }

  /** The JSON at path, or undefined on 404. Throws on other failures. */
  async get<T>(path: string): Promise<T | undefined> {
    const url = `${this.options.baseUrl.replace(/\/$/, '')}${path}`;
    const cached = this.cache.get(url);
    if (cached && cached.freshUntil > Date.now()) return cached.body as T;
    this.requests++;
    const res = await this.fetchImpl(url, {
      headers: { accept: 'application/json', ...(cached?.etag ? { 'if-none-match': cached.etag } : {}) },
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
    });
    if (res.status === 304 && cached) {
      cached.freshUntil = Date.now() + maxAgeMs(res.headers.get('cache-control'));
      return cached.body as T;
    }
    if (res.status === 404) return undefined;
    if (!res.ok) throw new Error(`GET ${url} answered HTTP ${res.status}`);
    const body = (await res.json()) as T;
    const cacheControl = res.headers.get('cache-control');
    if (!/no-store/.test(cacheControl ?? '')) {
      this.cache.set(url, {
        body,
        etag: res.headers.get('etag') ?? undefined,
        freshUntil: Date.now() + maxAgeMs(cacheControl),
      });
    }
    return body;
  }
}

function maxAgeMs(cacheControl: string | null): number {
  if (!cacheControl || /no-cache/.test(cacheControl)) return 0;
  const match = /max-age=(\d+)/.exec(cacheControl);
  return match ? Number(match[1]) * 1000 : 0;
}
