import { join } from 'node:path';
import { type Config, ConfigError } from '../config/config.js';
import type { Logger } from '../config/logger.js';
import { SqliteDriverUnavailableError } from './sqlite-driver.js';
import type { Store } from './store.js';

/** What to do about a missing driver, for the command that needs it. */
const driverHint = (command: string) =>
  `run on Node 22.13+ or 24 (built-in node:sqlite), or add better-sqlite3 next to this package: npx -y -p runware-mcp-server -p better-sqlite3@12 runware-mcp-server${command}`;

/** The store the configuration names: the embedded SQLite file by default, Redis for several replicas. */
export async function openStore(config: Pick<Config, 'store' | 'dataDir'>): Promise<Store> {
  if (config.store === 'sqlite') {
    try {
      return await openSqliteFile(config.dataDir);
    } catch (error) {
      if (!(error instanceof SqliteDriverUnavailableError)) throw error;
      throw new ConfigError(
        `${error.message}. For serve, ${driverHint(' serve')}; or use --store redis://...`,
      );
    }
  }
  const { RedisStore } = await import('./redis-store.js');
  return RedisStore.open(config.store);
}

/** stdio's store: the SQLite file, or tasks in memory (with a warning) when no SQLite driver loads here. */
export async function openLocalStore(config: Pick<Config, 'dataDir'>, logger: Logger): Promise<Store> {
  try {
    const store = await openSqliteFile(config.dataDir);
    logger.debug({ store: store.engine, driver: store.driver }, 'task store opened');
    return store;
  } catch (error) {
    if (!(error instanceof SqliteDriverUnavailableError)) throw error;
    logger.warn(
      `${error.message}: tasks are kept in memory until this server exits. To keep them, ${driverHint('')}`,
    );
    const { MemoryStore } = await import('./memory-store.js');
    return new MemoryStore();
  }
}

async function openSqliteFile(dataDir: string): Promise<Store> {
  const { SqliteStore } = await import('./sqlite-store.js');
  return new SqliteStore(join(dataDir, 'runware-mcp.db'));
}
