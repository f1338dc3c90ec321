import type { Store } from './store.js';

const nowMs = () => Date.now();
const expiry = (ttlSeconds?: number) =>
  ttlSeconds && ttlSeconds > 0 ? nowMs() + ttlSeconds * 1000 : Infinity;

/**
 * stdio's fallback when no SQLite driver loads: the same contract, kept in this process only, so `run` and
 * `get_task_details` still work; tasks are forgotten when the server exits.
 */
export class MemoryStore implements Store {
  readonly engine = 'memory' as const;
  private readonly values = new Map<string, { json: string; expiresAt: number }>();
  /** Map keeps insertion order, which is the index order. */
  private readonly indexes = new Map<string, Map<string, number>>();
  private readonly counters = new Map<string, { count: number; windowEnd: number }>();

  async get<T = unknown>(ns: string, key: string): Promise<T | undefined> {
    const json = this.read(ns, key);
    return json === undefined ? undefined : (JSON.parse(json) as T);
  }

  /** Synchronous, so a claim cannot interleave with another between its check and its write. */
  private read(ns: string, key: string): string | undefined {
    const entry = this.values.get(`${ns}\0${key}`);
    return entry && entry.expiresAt > nowMs() ? entry.json : undefined;
  }

  async set(ns: string, key: string, value: unknown, ttlSeconds?: number): Promise<void> {
    this.values.set(`${ns}\0${key}`, { json: JSON.stringify(value), expiresAt: expiry(ttlSeconds) });
  }

  async setIfAbsent(ns: string, key: string, value: unknown, ttlSeconds?: number): Promise<boolean> {
    if (this.read(ns, key) !== undefined) return false;
    this.values.set(`${ns}\0${key}`, { json: JSON.stringify(value), expiresAt: expiry(ttlSeconds) });
    return true;
  }

  async delete(ns: string, key: string): Promise<void> {
    this.values.delete(`${ns}\0${key}`);
  }

  async addToIndex(index: string, member: string, ttlSeconds?: number): Promise<void> {
    const members = this.indexes.get(index) ?? new Map<string, number>();
    members.set(member, expiry(ttlSeconds));
    this.indexes.set(index, members);
  }

  async listIndex(index: string): Promise<string[]> {
    const now = nowMs();
    return [...(this.indexes.get(index) ?? [])].filter(([, at]) => at > now).map(([member]) => member);
  }

  async deleteIndex(index: string): Promise<void> {
    this.indexes.delete(index);
  }

  async hit(key: string, windowSeconds: number): Promise<{ count: number; resetSeconds: number }> {
    const now = nowMs();
    let counter = this.counters.get(key);
    if (!counter || counter.windowEnd <= now) {
      counter = { count: 0, windowEnd: now + windowSeconds * 1000 };
      this.counters.set(key, counter);
    }
    counter.count++;
    return { count: counter.count, resetSeconds: Math.max(1, Math.ceil((counter.windowEnd - now) / 1000)) };
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {}
}
