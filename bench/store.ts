import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisStore } from '../src/store/redis-store.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import type { Store } from '../src/store/store.js';
import { startRedis } from '../test/support/redis-server.js';

/** Ops/s of get, set and hit on both engines, with a fixed number of calls in flight (as under HTTP load). */
const OPS = 20_000;
const IN_FLIGHT = 32;

async function measure(label: string, op: (i: number) => Promise<unknown>): Promise<string> {
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < OPS) await op(next++);
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const seconds = (performance.now() - started) / 1000;
  return `${label.padEnd(4)} ${Math.round(OPS / seconds).toLocaleString('en-US')} ops/s`;
}

async function benchEngine(store: Store): Promise<void> {
  const value = {
    id: 'task-1',
    status: 'pending',
    owner: 'user-1',
    params: { prompt: 'a lighthouse at dusk' },
  };
  const lines = [
    await measure('set', (i) => store.set('bench', `k${i % 1000}`, value, 60)),
    await measure('get', (i) => store.get('bench', `k${i % 1000}`)),
    await measure('hit', (i) => store.hit(`bench:${i % 100}`, 60)),
  ];
  console.log(`${store.engine}: ${lines.join(' | ')}`);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'store-bench-'));
  const redis = await startRedis();
  try {
    const sqlite = new SqliteStore(join(dir, 'bench.db'));
    await benchEngine(sqlite);
    await sqlite.close();
    const redisStore = await RedisStore.open(redis.url, 'bench:');
    await benchEngine(redisStore);
    await redisStore.close();
  } finally {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
