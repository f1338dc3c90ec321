import { join } from 'node:path';
import type { Config } from '../config/config.js';
import { ConfigError } from '../config/config.js';
import { SqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';

/** The store the configuration names: the embedded SQLite file by default. */
export async function openStore(config: Pick<Config, 'store' | 'dataDir'>): Promise<Store> {
  if (config.store === 'sqlite') return new SqliteStore(join(config.dataDir, 'runware-mcp.db'));
  throw new ConfigError(
    'RUNWARE_MCP_STORE: the Redis engine is not available in this build yet; use "sqlite".',
  );
}
