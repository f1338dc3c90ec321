import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadSqliteDriver, type SqliteDatabase } from './sqlite-driver.js';
import { type Store, StoreUnavailableError } from './store.js';

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** The embedded default: one SQLite file in WAL mode, synchronous under a promise interface. */
export class SqliteStore implements Store {
  readonly engine = 'sqlite' as const;
  get driver() {
    return this.db.driver;
  }
  private readonly db: SqliteDatabase;
  private readonly stmts;
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(readonly file: string) {
    const open = loadSqliteDriver();
    if (file !== ':memory:') {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      // Private whatever the directory's mode; SQLite gives the -wal and -shm files the database file's mode.
      closeSync(openSync(file, 'a', 0o600));
      chmodSync(file, 0o600);
    }
    this.db = open(file);
    this.db.exec(`
      PRAGMA journal_mode = WAL;
      PRAGMA synchronous = NORMAL;
      PRAGMA busy_timeout = 5000;
      CREATE TABLE IF NOT EXISTS kv (ns TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, expires_at INTEGER,
        PRIMARY KEY (ns, key)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS idx (name TEXT NOT NULL, member TEXT NOT NULL, seq INTEGER NOT NULL, expires_at INTEGER,
        PRIMARY KEY (name, member)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, count INTEGER NOT NULL, window_end INTEGER NOT NULL) WITHOUT ROWID;
    `);
    this.stmts = {
      get: this.db.prepare<[string, string, number], { value: string }>(
        'SELECT value FROM kv WHERE ns = ? AND key = ? AND (expires_at IS NULL OR expires_at > ?)',
      ),
      set: this.db.prepare(
        'INSERT INTO kv (ns, key, value, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at',
      ),
      setIfAbsent: this.db.prepare(
        'INSERT INTO kv (ns, key, value, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at WHERE kv.expires_at IS NOT NULL AND kv.expires_at <= ?',
      ),
      delete: this.db.prepare('DELETE FROM kv WHERE ns = ? AND key = ?'),
      addToIndex: this.db.prepare(
        'INSERT INTO idx (name, member, seq, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT (name, member) DO UPDATE SET expires_at = excluded.expires_at',
      ),
      listIndex: this.db.prepare<[string, number], { member: string }>(
        'SELECT member FROM idx WHERE name = ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY seq',
      ),
      deleteIndex: this.db.prepare('DELETE FROM idx WHERE name = ?'),
      hit: this.db.prepare<
        [{ key: string; now: number; window: number }],
        { count: number; window_end: number }
      >(
        `INSERT INTO counters (key, count, window_end) VALUES (@key, 1, @now + @window)
         ON CONFLICT (key) DO UPDATE SET
           count = CASE WHEN counters.window_end <= @now THEN 1 ELSE counters.count + 1 END,
           window_end = CASE WHEN counters.window_end <= @now THEN @now + @window ELSE counters.window_end END
         RETURNING count, window_end`,
      ),
      sweepKv: this.db.prepare('DELETE FROM kv WHERE expires_at IS NOT NULL AND expires_at <= ?'),
      sweepIdx: this.db.prepare('DELETE FROM idx WHERE expires_at IS NOT NULL AND expires_at <= ?'),
      sweepCounters: this.db.prepare('DELETE FROM counters WHERE window_end <= ?'),
    };
    // Expired rows are invisible to reads already; the sweep only reclaims space.
    this.sweepTimer = setInterval(() => this.sweep(), 60_000);
    this.sweepTimer.unref();
  }

  private run<T>(fn: () => T): Promise<T> {
    try {
      return Promise.resolve(fn());
    } catch (error) {
      return Promise.reject(new StoreUnavailableError(`SQLite store failed: ${(error as Error).message}`));
    }
  }

  get<T = unknown>(ns: string, key: string): Promise<T | undefined> {
    return this.run(() => {
      const row = this.stmts.get.get(ns, key, nowSeconds());
      return row ? (JSON.parse(row.value) as T) : undefined;
    });
  }

  set(ns: string, key: string, value: unknown, ttlSeconds?: number): Promise<void> {
    return this.run(() => {
      this.stmts.set.run(ns, key, JSON.stringify(value), expiry(ttlSeconds));
    });
  }

  setIfAbsent(ns: string, key: string, value: unknown, ttlSeconds?: number): Promise<boolean> {
    return this.run(
      () =>
        this.stmts.setIfAbsent.run(ns, key, JSON.stringify(value), expiry(ttlSeconds), nowSeconds()).changes >
        0,
    );
  }

  delete(ns: string, key: string): Promise<void> {
    return this.run(() => {
      this.stmts.delete.run(ns, key);
    });
  }

  private seq = 0;
  addToIndex(index: string, member: string, ttlSeconds?: number): Promise<void> {
    return this.run(() => {
      // Monotonic per process and increasing across restarts: keeps "oldest first" without a rowid.
      this.seq = Math.max(this.seq + 1, Date.now() * 1000);
      this.stmts.addToIndex.run(index, member, this.seq, expiry(ttlSeconds));
    });
  }

  listIndex(index: string): Promise<string[]> {
    return this.run(() => this.stmts.listIndex.all(index, nowSeconds()).map((r) => r.member));
  }

  deleteIndex(index: string): Promise<void> {
    return this.run(() => {
      this.stmts.deleteIndex.run(index);
    });
  }

  hit(key: string, windowSeconds: number): Promise<{ count: number; resetSeconds: number }> {
    return this.run(() => {
      const now = nowSeconds();
      const row = this.stmts.hit.get({ key, now, window: windowSeconds })!;
      return { count: row.count, resetSeconds: Math.max(1, row.window_end - now) };
    });
  }

  ping(): Promise<void> {
    return this.run(() => {
      this.db.prepare('SELECT 1').get();
    });
  }

  private sweep(): void {
    try {
      const now = nowSeconds();
      this.stmts.sweepKv.run(now);
      this.stmts.sweepIdx.run(now);
      this.stmts.sweepCounters.run(now);
    } catch {
      // a failed sweep is retried next minute; reads already ignore expired rows
    }
  }

  close(): Promise<void> {
    clearInterval(this.sweepTimer);
    this.db.close();
    return Promise.resolve();
  }
}

function expiry(ttlSeconds: number | undefined): number | null {
  return ttlSeconds && ttlSeconds > 0 ? nowSeconds() + Math.ceil(ttlSeconds) : null;
}
