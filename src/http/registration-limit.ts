import type { Store } from '../store/store.js';
import { StoreUnavailableError } from '../store/store.js';

/** Fixed window of the registration limit: the figure operators configure is "N per 10 minutes per IP". */
export const REGISTRATION_WINDOW_SECONDS = 600;
export const DEFAULT_REGISTRATION_LIMIT = 30;

export interface RegistrationLimitOptions {
  store: Store;
  /** Registrations per client IP per window; 0 disables the limit. */
  limit: number;
  windowSeconds?: number;
}

export interface RegistrationVerdict {
  status: number;
  headers: Record<string, string>;
  body: { error: string; error_description: string };
}

/**
 * Dynamic client registration is open (MCP clients register themselves), so it is the one OAuth endpoint an
 * anonymous caller can make the server write to at will. Every POST /register counts against a per-IP fixed
 * window kept in the shared store (the same atomic counter as the API-key form's limit), so the budget holds
 * across replicas. Over the limit: 429 with Retry-After and an OAuth-style JSON error; the store down: 503.
 */
export function createRegistrationLimit(options: RegistrationLimitOptions) {
  const windowSeconds = options.windowSeconds ?? REGISTRATION_WINDOW_SECONDS;
  return {
    limit: options.limit,
    windowSeconds,
    /** Counts one registration attempt from `ip`; undefined when it may proceed, else the answer to send. */
    async check(ip: string): Promise<RegistrationVerdict | undefined> {
      if (options.limit <= 0) return undefined;
      let hit: { count: number; resetSeconds: number };
      try {
        hit = await options.store.hit(`registration:${ip}`, windowSeconds);
      } catch (error) {
        if (!(error instanceof StoreUnavailableError)) throw error;
        return {
          status: 503,
          headers: { 'retry-after': '1', 'cache-control': 'no-store' },
          body: {
            error: 'temporarily_unavailable',
            error_description: 'The server cannot register clients right now. Try again in a moment.',
          },
        };
      }
      if (hit.count <= options.limit) return undefined;
      return {
        status: 429,
        headers: { 'retry-after': String(hit.resetSeconds), 'cache-control': 'no-store' },
        body: {
          error: 'too_many_requests',
          error_description: `Too many client registrations from your network (at most ${options.limit} per ${windowSeconds} s). Retry after ${hit.resetSeconds} s.`,
        },
      };
    },
  };
}
