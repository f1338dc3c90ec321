import { Redis } from 'ioredis';
import { type Store, StoreUnavailableError } from './store.js';

/** INCR + first-hit expiry in one atomic step; answers [count, remaining ms]. */
const HIT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
return {count, ttl}`;

/**
 * Adds an index member with its own expiry; the index key only ever lives longer (never shorter) than its
 * longest-lived member, so a short-lived member can never take a long-lived one down with it.
 * KEYS: index, expiries. ARGV: score, member, expiresAtMs (0 = never), ttlMs.
 */
const ADD_TO_INDEX_SCRIPT = `
redis.call('ZADD', KEYS[1], 'NX', ARGV[1], ARGV[2])
if ARGV[3] == '0' then
  redis.call('HDEL', KEYS[2], ARGV[2])
  redis.call('PERSIST', KEYS[1])
  redis.call('PERSIST', KEYS[2])
  return 0
end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
local ttl = tonumber(ARGV[4])
local current = redis.call('PTTL', KEYS[1])
if redis.call('ZCARD', KEYS[1]) == 1 or (current >= 0 and current < ttl) then
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('PEXPIRE', KEYS[2], ttl)
end
return 0`;

/**
 * The shared engine for several replicas. Same contract as SqliteStore (pinned by one test suite): JSON values
 * with TTLs, SET NX claims, ordered indexes as sorted sets (with per-member expiry), atomic counters.
 * Calls never hang while Redis is down: the offline queue is off and every command has a timeout, so callers
 * get StoreUnavailableError at once, and the client reconnects by itself when Redis is back.
 */
export class RedisStore implements Store {
  readonly engine = 'redis' as const;
  private readonly redis: Redis;
  private seq = 0;

  private constructor(
    url: string,
    private readonly prefix: string,
  ) {
    this.redis = new Redis(url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      commandTimeout: 2000,
      retryStrategy: (times) => Math.min(200 * times, 2000),
      lazyConnect: true,
    });
    // Errors surface on the commands that hit them; the connection's own error events are expected while down.
    this.redis.on('error', () => undefined);
  }

  /** Connects first, so a wrong URL fails at start instead of on the first request. */
  static async open(url: string, prefix = 'rwmcp:'): Promise<RedisStore> {
    const store = new RedisStore(url, prefix);
    try {
      await store.redis.connect();
    } catch (error) {
      store.redis.disconnect();
      throw new StoreUnavailableError(
        `Redis at ${redactUrl(url)} is not reachable: ${(error as Error).message}`,
      );
    }
    return store;
  }

  private async run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw new StoreUnavailableError(`Redis store failed: ${(error as Error).message}`);
    }
  }

  private kv = (ns: string, key: string) => `${this.prefix}kv:${ns}:${key}`;
  private idx = (name: string) => `${this.prefix}idx:${name}`;
  private idxExpiry = (name: string) => `${this.prefix}idxexp:${name}`;

  get<T = unknown>(ns: string, key: string): Promise<T | undefined> {
    return this.run(async () => {
      const raw = await this.redis.get(this.kv(ns, key));
      return raw === null ? undefined : (JSON.parse(raw) as T);
    });
  }

  set(ns: string, key: string, value: unknown, ttlSeconds?: number): Promise<void> {
    return this.run(async () => {
      const data = JSON.stringify(value);
      if (ttlSeconds && ttlSeconds > 0)
        await this.redis.set(this.kv(ns, key), data, 'PX', Math.ceil(ttlSeconds * 1000));
      else await this.redis.set(this.kv(ns, key), data);
    });
  }

  setIfAbsent(ns: string, key: string, value: unknown, ttlSeconds?: number): Promise<boolean> {
    return this.run(async () => {
      const data = JSON.stringify(value);
      const reply =
        ttlSeconds && ttlSeconds > 0
          ? await this.redis.set(this.kv(ns, key), data, 'PX', Math.ceil(ttlSeconds * 1000), 'NX')
          : await this.redis.set(this.kv(ns, key), data, 'NX');
      return reply === 'OK';
    });
  }

  delete(ns: string, key: string): Promise<void> {
    return this.run(async () => {
      await this.redis.del(this.kv(ns, key));
    });
  }

  addToIndex(index: string, member: string, ttlSeconds?: number): Promise<void> {
    return this.run(async () => {
      // Insertion order across replicas: wall-clock microseconds, made strictly increasing in this process.
      this.seq = Math.max(this.seq + 1, Date.now() * 1000);
      const ttlMs = ttlSeconds && ttlSeconds > 0 ? Math.ceil(ttlSeconds * 1000) : 0;
      await this.redis.eval(
        ADD_TO_INDEX_SCRIPT,
        2,
        this.idx(index),
        this.idxExpiry(index),
        String(this.seq),
        member,
        String(ttlMs ? Date.now() + ttlMs : 0),
        String(ttlMs),
      );
    });
  }

  listIndex(index: string): Promise<string[]> {
    return this.run(async () => {
      const [members, expiries] = await Promise.all([
        this.redis.zrange(this.idx(index), 0, -1),
        this.redis.hgetall(this.idxExpiry(index)),
      ]);
      const now = Date.now();
      return members.filter((m) => !expiries[m] || Number(expiries[m]) > now);
    });
  }

  deleteIndex(index: string): Promise<void> {
    return this.run(async () => {
      await this.redis.del(this.idx(index), this.idxExpiry(index));
    });
  }

  hit(key: string, windowSeconds: number): Promise<{ count: number; resetSeconds: number }> {
    return this.run(async () => {
      const [count, ttlMs] = (await this.redis.eval(
        HIT_SCRIPT,
        1,
        `${this.prefix}hit:${key}`,
        String(windowSeconds * 1000),
      )) as [number, number];
      return { count, resetSeconds: Math.max(1, Math.ceil(ttlMs / 1000)) };
    });
  }

  ping(): Promise<void> {
    return this.run(async () => {
      await this.redis.ping();
    });
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/** Never print a Redis password. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
