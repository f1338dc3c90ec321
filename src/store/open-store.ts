import { join } from 'node:path';
import type { Config } from '../config/config.js';
import type { Store } from './store.js';

/** The store the configuration names: the embedded SQLite file by default, Redis for several replicas. */
export async function openStore(config: Pick<Config, 'store' | 'dataDir'>): Promise<Store> {
  if (config.store === 'sqlite') {
    const { SqliteStore } = await import('./sqlite-store.js');
    return new SqliteStore(join(config.dataDir, 'runware-mcp.db'));
  }
  const { RedisStore } = await import('./redis-store.js');
  return RedisStore.open(config.store);
}
