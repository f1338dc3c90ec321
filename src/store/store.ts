/**
 * One storage interface, two engines (SQLite embedded default, Redis for replicas).
 * Values are JSON. Everything the server must share between requests or replicas lives here:
 * OAuth records, task records, rate-limit counters, wrapped API keys.
 * The store knows nothing of tools, OAuth or tasks: callers pick namespaces.
 */
export interface Store {
  readonly engine: 'sqlite' | 'redis' | 'memory';
  /** The library behind the engine where there is a choice (SQLite: node:sqlite or better-sqlite3), for logs. */
  readonly driver?: string;
  /** The JSON value under ns/key, or undefined when absent or expired. */
  get<T = unknown>(ns: string, key: string): Promise<T | undefined>;
  /** Writes ns/key; ttlSeconds makes it expire. */
  set(ns: string, key: string, value: unknown, ttlSeconds?: number): Promise<void>;
  /** Writes only when ns/key is absent (or expired). True when this call wrote it: use it to claim work once. */
  setIfAbsent(ns: string, key: string, value: unknown, ttlSeconds?: number): Promise<boolean>;
  delete(ns: string, key: string): Promise<void>;
  /** Adds a member to a named index (a set), e.g. grant id -> token ids, owner -> task ids. */
  addToIndex(index: string, member: string, ttlSeconds?: number): Promise<void>;
  /** The members of an index, oldest first. */
  listIndex(index: string): Promise<string[]>;
  deleteIndex(index: string): Promise<void>;
  /** Atomic fixed-window counter: counts this hit and says how many there were in the window. */
  hit(key: string, windowSeconds: number): Promise<{ count: number; resetSeconds: number }>;
  /** Throws when the engine cannot be reached (readiness probe). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Raised when the engine is unreachable or fails; callers turn it into "try again" errors and 503s. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}
