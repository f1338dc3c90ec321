import type { Store } from '../store/store.js';
import { StoreUnavailableError } from '../store/store.js';

/** Fixed window of the per-address limits: the figures operators configure are "N per 10 minutes per IP". */
export const REGISTRATION_WINDOW_SECONDS = 600;
export const DEFAULT_REGISTRATION_LIMIT = 30;
export const DEFAULT_AUTHORIZE_LIMIT = 60;

export interface RegistrationLimitOptions {
  store: Store;
  /** Hits per client IP per window; 0 disables the limit. */
  limit: number;
  windowSeconds?: number;
}

export interface RegistrationVerdict {
  status: number;
  headers: Record<string, string>;
  body: { error: string; error_description: string };
}

/**
 * One hit of a per-address fixed window kept in the shared store (the same atomic counter as the API-key form's
 * limit), so the budget holds across replicas: undefined while within the limit, the seconds until the window
 * resets once over it, 'unavailable' when the store cannot count.
 */
async function countHit(
  store: Store,
  key: string,
  limit: number,
  windowSeconds: number,
): Promise<number | 'unavailable' | undefined> {
  if (limit <= 0) return undefined;
  try {
    const hit = await store.hit(key, windowSeconds);
    return hit.count <= limit ? undefined : hit.resetSeconds;
  } catch (error) {
    if (error instanceof StoreUnavailableError) return 'unavailable';
    throw error;
  }
}

/**
 * Dynamic client registration is open (MCP clients register themselves), so it is the one OAuth endpoint an
 * anonymous caller can make the server write to at will. Every POST /register counts against a per-IP window.
 * Over the limit: 429 with Retry-After and an OAuth-style JSON error; the store down: 503.
 */
export function createRegistrationLimit(options: RegistrationLimitOptions) {
  const windowSeconds = options.windowSeconds ?? REGISTRATION_WINDOW_SECONDS;
  return {
    limit: options.limit,
    windowSeconds,
    /** Counts one registration attempt from `ip`; undefined when it may proceed, else the answer to send. */
    async check(ip: string): Promise<RegistrationVerdict | undefined> {
      const over = await countHit(options.store, `registration:${ip}`, options.limit, windowSeconds);
      if (over === undefined) return undefined;
      if (over === 'unavailable') {
        return {
          status: 503,
          headers: { 'retry-after': '1', 'cache-control': 'no-store' },
          body: {
            error: 'temporarily_unavailable',
            error_description: 'The server cannot register clients right now. Try again in a moment.',
          },
        };
      }
      return {
        status: 429,
        headers: { 'retry-after': String(over), 'cache-control': 'no-store' },
        body: {
          error: 'too_many_requests',
          error_description: `Too many client registrations from your network (at most ${options.limit} per ${windowSeconds} s). Retry after ${over} s.`,
        },
      };
    },
  };
}

/**
 * Every authorization request (GET /authorize) that reaches the authorization server writes an interaction
 * record, and anyone may send them: they count against a per-IP window too. The answer is a page (a person's
 * browser is at the other end): the caller renders it from the status and the seconds to wait.
 */
export function createAuthorizeLimit(options: RegistrationLimitOptions) {
  const windowSeconds = options.windowSeconds ?? REGISTRATION_WINDOW_SECONDS;
  return {
    async check(ip: string): Promise<{ status: 429 | 503; retryAfter: number } | undefined> {
      const over = await countHit(options.store, `authorize:${ip}`, options.limit, windowSeconds);
      if (over === undefined) return undefined;
      return over === 'unavailable' ? { status: 503, retryAfter: 1 } : { status: 429, retryAfter: over };
    },
  };
}
