import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../src/store/memory-store.js';
import { RedisStore } from '../src/store/redis-store.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { type Store, StoreUnavailableError } from '../src/store/store.js';
import { type RedisServer, startRedis } from './support/redis-server.js';

let redis: RedisServer;
const stores: Store[] = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const s of stores) await s.close();
  await redis?.stop();
});

const engines: Array<[string, () => Promise<Store>]> = [
  ['sqlite', async () => new SqliteStore(join(mkdtempSync(join(tmpdir(), 'store-')), 'test.db'))],
  ['redis', async () => RedisStore.open(redis.url, `t${Math.random().toString(36).slice(2)}:`)],
  ['memory (stdio without a SQLite driver)', async () => new MemoryStore()],
];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(engines)('Store contract: %s', (_name, open) => {
  let store: Store;
  beforeAll(async () => {
    store = await open();
    stores.push(store);
  });

  it('round-trips JSON values and deletes them', async () => {
    const value = { text: 'héllo ✓ 🎨', nested: { list: [1, 2.5, null, true], empty: {} } };
    await store.set('ns', 'k1', value);
    expect(await store.get('ns', 'k1')).toEqual(value);
    expect(await store.get('other-ns', 'k1')).toBeUndefined();
    await store.set('ns', 'k1', 'replaced');
    expect(await store.get('ns', 'k1')).toBe('replaced');
    await store.delete('ns', 'k1');
    expect(await store.get('ns', 'k1')).toBeUndefined();
  });

  it('expires values after their TTL', async () => {
    await store.set('ttl', 'short', 1, 1);
    await store.set('ttl', 'long', 2, 60);
    expect(await store.get('ttl', 'short')).toBe(1);
    await sleep(2100);
    expect(await store.get('ttl', 'short')).toBeUndefined();
    expect(await store.get('ttl', 'long')).toBe(2);
  });

  it('lets exactly one of many concurrent claims win, and a claim can be retaken after it expires', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => store.setIfAbsent('claim', 'task-1', { by: i }, 1)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = results.indexOf(true);
    expect(await store.get('claim', 'task-1')).toEqual({ by: winner });
    await sleep(2100);
    expect(await store.setIfAbsent('claim', 'task-1', { by: 'later' })).toBe(true);
  });

  it('keeps index members in insertion order, expires members and deletes indexes', async () => {
    for (const m of ['a', 'b', 'c']) await store.addToIndex('owner:1', m, 60);
    await store.addToIndex('owner:1', 'a', 60); // re-adding keeps the original position
    await store.addToIndex('owner:1', 'short', 1);
    expect(await store.listIndex('owner:1')).toEqual(['a', 'b', 'c', 'short']);
    await sleep(2100);
    expect(await store.listIndex('owner:1')).toEqual(['a', 'b', 'c']);
    await store.deleteIndex('owner:1');
    expect(await store.listIndex('owner:1')).toEqual([]);
  });

  it('counts concurrent hits atomically within a window', async () => {
    const hits = await Promise.all(Array.from({ length: 200 }, () => store.hit('rate:ip', 60)));
    expect(hits.map((h) => h.count).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 200 }, (_, i) => i + 1),
    );
    expect(hits.every((h) => h.resetSeconds > 0 && h.resetSeconds <= 60)).toBe(true);
    const short = await store.hit('rate:window', 1);
    expect(short.count).toBe(1);
    await sleep(2100);
    expect((await store.hit('rate:window', 1)).count).toBe(1);
  });

  it('answers ping', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
  });
});

describe('Redis outage', () => {
  it('fails fast with StoreUnavailableError while Redis is down and recovers by itself', async () => {
    const store = await RedisStore.open(redis.url, 'outage:');
    stores.push(store);
    await store.set('ns', 'k', 'before');
    await redis.stop();
    await expect(store.get('ns', 'k')).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
    await redis.restart();
    let recovered = false;
    for (let i = 0; i < 50 && !recovered; i++) {
      recovered = await store.ping().then(
        () => true,
        () => false,
      );
      if (!recovered) await sleep(100);
    }
    expect(recovered).toBe(true);
    await store.set('ns', 'k', 'after');
    expect(await store.get('ns', 'k')).toBe('after');
  });
});
