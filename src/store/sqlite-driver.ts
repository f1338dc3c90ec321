import { createRequire } from 'node:module';

/**
 * The SQLite driver this Node can load: the built-in `node:sqlite` (Node 22.13+, 24) or `better-sqlite3` (Node 20,
 * when installed next to the package). Both speak the same small synchronous API the store uses.
 */
export interface SqliteDatabase {
  readonly driver: 'node:sqlite' | 'better-sqlite3';
  exec(sql: string): void;
  prepare<Params extends unknown[] = unknown[], Row = unknown>(sql: string): SqliteStatement<Params, Row>;
  /** Idempotent. */
  close(): void;
}

export interface SqliteStatement<Params extends unknown[], Row> {
  get(...params: Params): Row | undefined;
  all(...params: Params): Row[];
  run(...params: Params): { changes: number | bigint };
}

/** No driver loads here (Node 20 without better-sqlite3, or a better-sqlite3 built for another Node). */
export class SqliteDriverUnavailableError extends Error {
  override readonly name = 'SqliteDriverUnavailableError';
}

interface RawDatabase {
  exec(sql: string): void;
  prepare(sql: string): SqliteStatement<unknown[], unknown>;
  close(): void;
}

/**
 * The driver this Node can load, as an opener; throws SqliteDriverUnavailableError before any file is touched
 * (a caller that prepares the file first should not leave one behind when no driver loads).
 */
export function loadSqliteDriver(): (file: string) => SqliteDatabase {
  const builtin = loadNodeSqlite();
  if (builtin) return (file) => wrap('node:sqlite', new builtin.DatabaseSync(file));
  let BetterSqlite: new (file: string) => RawDatabase;
  try {
    BetterSqlite = createRequire(import.meta.url)('better-sqlite3');
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND'
        ? 'better-sqlite3 is not installed'
        : `better-sqlite3 does not load (${(error as Error).message.split('\n')[0]})`;
    throw new SqliteDriverUnavailableError(
      `No SQLite driver: Node ${process.versions.node} has no node:sqlite (Node 22.13+ has) and ${reason}`,
    );
  }
  return (file) => wrap('better-sqlite3', new BetterSqlite(file));
}

/** `node:sqlite` without its one-time ExperimentalWarning (stdio's stderr is the client's log). */
function loadNodeSqlite(): { DatabaseSync: new (file: string) => RawDatabase } | undefined {
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (String(warning).includes('SQLite is an experimental feature')) return;
    return (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    // getBuiltinModule answers undefined where the module is missing or behind a flag (Node 20, 22 before 22.13).
    return process.getBuiltinModule?.('node:sqlite') as ReturnType<typeof loadNodeSqlite>;
  } finally {
    process.emitWarning = emitWarning;
  }
}

function wrap(driver: SqliteDatabase['driver'], db: RawDatabase): SqliteDatabase {
  let open = true;
  return {
    driver,
    exec: (sql) => db.exec(sql),
    prepare: (sql) => db.prepare(sql) as never,
    close() {
      if (open) db.close();
      open = false;
    },
  };
}
