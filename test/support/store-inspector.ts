import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import type { HostedServer } from './hosted-server.js';

export interface StoredRecord {
  ns: string;
  key: string;
  /** The stored JSON text, as a copy of the database would show it. */
  text: string;
  /** Seconds until it expires; undefined when it never does. */
  ttlSeconds: number | undefined;
}

/**
 * Reads (and for expiry tests, edits) a running server's store from outside, the way someone holding a copy of
 * the SQLite file or of Redis would: every record in clear, with its expiry. Knows both engines' layouts.
 */
export interface StoreInspector {
  records(ns?: string): Promise<StoredRecord[]>;
  /** Every stored byte as text (values, keys, index members, counters): what a stolen copy holds. */
  everything(): Promise<string>;
  setTtl(ns: string, key: string, seconds: number): Promise<void>;
  close(): Promise<void>;
}

export function inspectStore(server: HostedServer): StoreInspector {
  return server.redisUrl ? redisInspector(server.redisUrl) : sqliteInspector(server.dataDir);
}

function sqliteInspector(dataDir: string): StoreInspector {
  const db = new Database(join(dataDir, 'runware-mcp.db'));
  db.pragma('busy_timeout = 5000');
  const now = () => Math.floor(Date.now() / 1000);
  return {
    async records(ns) {
      const rows = db
        .prepare<[], { ns: string; key: string; value: string; expires_at: number | null }>(
          'SELECT ns, key, value, expires_at FROM kv',
        )
        .all()
        .filter((r) => (ns === undefined || r.ns === ns) && (r.expires_at === null || r.expires_at > now()));
      return rows.map((r) => ({
        ns: r.ns,
        key: r.key,
        text: r.value,
        ttlSeconds: r.expires_at === null ? undefined : r.expires_at - now(),
      }));
    },
    async everything() {
      const parts: string[] = [];
      for (const table of ['kv', 'idx', 'counters']) {
        for (const row of db.prepare(`SELECT * FROM ${table}`).all() as Record<string, unknown>[]) {
          parts.push(Object.values(row).join(' '));
        }
      }
      return parts.join('\n');
    },
    async setTtl(ns, key, seconds) {
      db.prepare('UPDATE kv SET expires_at = ? WHERE ns = ? AND key = ?').run(now() + seconds, ns, key);
    },
    async close() {
      db.close();
    },
  };
}

const PREFIX = 'rwmcp:kv:';

function redisInspector(url: string): StoreInspector {
  const redis = new Redis(url);
  return {
    async records(ns) {
      const keys = await redis.keys(ns === undefined ? `${PREFIX}*` : `${PREFIX}${ns}:*`);
      const out: StoredRecord[] = [];
      for (const full of keys) {
        const text = await redis.get(full);
        if (text === null) continue;
        const ttl = await redis.pttl(full);
        const rest = full.slice(PREFIX.length);
        // Namespaces may hold ':' themselves; with ns given the split is exact.
        const split = ns === undefined ? rest.lastIndexOf(':') : ns.length;
        out.push({
          ns: rest.slice(0, split),
          key: rest.slice(split + 1),
          text,
          ttlSeconds: ttl < 0 ? undefined : Math.floor(ttl / 1000),
        });
      }
      return out;
    },
    async everything() {
      const parts: string[] = [];
      for (const key of await redis.keys('*')) {
        const type = await redis.type(key);
        const value =
          type === 'string'
            ? await redis.get(key)
            : type === 'zset'
              ? (await redis.zrange(key, 0, -1)).join(' ')
              : type === 'hash'
                ? JSON.stringify(await redis.hgetall(key))
                : '';
        parts.push(`${key} ${value}`);
      }
      return parts.join('\n');
    },
    async setTtl(ns, key, seconds) {
      await redis.pexpire(`${PREFIX}${ns}:${key}`, seconds * 1000);
    },
    async close() {
      await redis.quit();
    },
  };
}
