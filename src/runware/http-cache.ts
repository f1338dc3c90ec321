import { RunwareError } from './errors.js';

/**
 * GET JSON with an in-memory cache that honours Cache-Control (max-age, no-cache, no-store) and revalidates with
 * ETag (If-None-Match -> 304 reuses the cached body). Shared by the content and schema clients.
 */
export interface CachedJsonClientOptions {
  baseUrl: string;
  /** Per request (default 10 s). */
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** The clock freshness is measured against (tests move it forward). */
  now?: () => number;
  /** Answers are reused at least this long, whatever their max-age (then revalidated with their ETag). */
  minFreshMs?: number;
}

export interface CacheStats {
  /** Network round trips. */
  requests: number;
  /** Round trips answered 304 Not Modified (the cached body was reused). */
  notModified: number;
  /** Answers served from memory without a round trip. */
  hits: number;
}

interface Entry {
  body: unknown;
  etag: string | undefined;
  freshUntil: number;
}

export class CachedJsonClient {
  private readonly cache = new Map<string, Entry>();
  /** Concurrent gets of one URL share one round trip. */
  private readonly inFlight = new Map<string, Promise<unknown>>();
  private readonly fetchImpl: typeof fetch;
  private readonly now: () => number;
  readonly stats: CacheStats = { requests: 0, notModified: 0, hits: 0 };

  constructor(private readonly options: CachedJsonClientOptions) {
    this.fetchImpl = options.fetch ?? fetch;
    this.now = options.now ?? Date.now;
  }

  /** The JSON at path, or undefined on 404. Throws a RunwareError on other failures. */
  async get<T>(path: string): Promise<T | undefined> {
    const url = `${this.options.baseUrl.replace(/\/$/, '')}${path}`;
    const cached = this.cache.get(url);
    if (cached && cached.freshUntil > this.now()) {
      this.stats.hits++;
      return cached.body as T;
    }
    const pending = this.inFlight.get(url);
    if (pending) return pending as Promise<T | undefined>;
    const request = this.fetchAndStore(url, cached).finally(() => this.inFlight.delete(url));
    this.inFlight.set(url, request);
    return request as Promise<T | undefined>;
  }

  get baseUrl(): string {
    return this.options.baseUrl.replace(/\/$/, '');
  }

  /** Forgets every cached answer (a `catalog refresh` wants the live state). */
  clear(): void {
    this.cache.clear();
  }

  private async fetchAndStore(url: string, cached: Entry | undefined): Promise<unknown> {
    this.stats.requests++;
    const res = await this.request(url, cached?.etag);
    const cacheControl = res.headers.get('cache-control');
    if (res.status === 304 && cached) {
      this.stats.notModified++;
      cached.freshUntil = this.now() + this.freshness(cacheControl);
      return cached.body;
    }
    if (res.status === 404) return undefined;
    if (!res.ok) throw httpFailure(url, res.status);
    const body = await readJson(res, url);
    if (/no-store/i.test(cacheControl ?? '')) {
      this.cache.delete(url);
    } else {
      const etag = res.headers.get('etag') ?? undefined;
      this.cache.set(url, { body, etag, freshUntil: this.now() + this.freshness(cacheControl) });
    }
    return body;
  }

  private freshness(cacheControl: string | null): number {
    return Math.max(freshnessMs(cacheControl), this.options.minFreshMs ?? 0);
  }

  private async request(url: string, etag: string | undefined): Promise<Response> {
    const timeoutMs = this.options.timeoutMs ?? 10_000;
    try {
      return await this.fetchImpl(url, {
        headers: { accept: 'application/json', ...(etag ? { 'if-none-match': etag } : {}) },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const timedOut = (error as Error | undefined)?.name === 'TimeoutError';
      return Promise.reject(
        new RunwareError({
          category: timedOut ? 'timeout' : 'connection',
          code: timedOut ? 'requestTimeout' : 'connectionFailed',
          message: timedOut
            ? `${new URL(url).host} did not answer within ${timeoutMs} ms.`
            : `Could not reach ${new URL(url).host}.`,
        }),
      );
    }
  }
}

/** How long an answer may be reused without asking: max-age, or 0 (revalidate every time) when absent. */
function freshnessMs(cacheControl: string | null): number {
  if (!cacheControl || /no-cache|no-store/i.test(cacheControl)) return 0;
  const match = /max-age=(\d+)/i.exec(cacheControl);
  return match ? Number(match[1]) * 1000 : 0;
}

async function readJson(res: Response, url: string): Promise<unknown> {
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new RunwareError({
      category: 'serverError',
      code: 'malformedResponse',
      message: `${new URL(url).host} returned a malformed response (HTTP ${res.status}, not JSON).`,
      status: res.status,
    });
  }
}

function httpFailure(url: string, status: number): RunwareError {
  return new RunwareError({
    category: status === 429 ? 'rateLimit' : status >= 500 ? 'serverError' : 'validation',
    code: `http${status}`,
    message: `GET ${new URL(url).pathname} answered HTTP ${status}.`,
    status,
  });
}

/** Base of the content and schema clients: one cached JSON client, its counters, and a way to drop the cache. */
export abstract class CachedService {
  protected readonly http: CachedJsonClient;

  constructor(options: CachedJsonClientOptions) {
    this.http = new CachedJsonClient(options);
  }

  get baseUrl(): string {
    return this.http.baseUrl;
  }

  /** Network round trips so far. */
  get requests(): number {
    return this.http.stats.requests;
  }

  get stats(): Readonly<CacheStats> {
    return this.http.stats;
  }

  /** Forgets cached answers (the next call asks the service again, revalidating nothing). */
  clearCache(): void {
    this.http.clear();
  }
}
