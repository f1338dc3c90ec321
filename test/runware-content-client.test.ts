import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContentClient } from '../src/runware/content-client.js';
import { RunwareError } from '../src/runware/errors.js';
import { SchemaClient } from '../src/runware/schema-client.js';
import { type SimulatorProcess, spawnSimulator } from './support/simulator-process.js';

let sim: SimulatorProcess;

/** A clock the cache reads; tests move it past max-age instead of waiting. */
function manualClock() {
  let now = Date.now();
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

beforeAll(async () => {
  sim = await spawnSimulator({ keys: ['rw-content-test-key'] });
});
afterAll(() => sim?.stop());

describe('ContentClient against the simulated content service', () => {
  it('lists, filters and pages the curated models', async () => {
    const content = new ContentClient({ baseUrl: sim.contentUrl });
    const all = await content.listModels();
    expect(all.length).toBeGreaterThan(20);
    expect(all.map((m) => m.air)).toContain('runware:101@1');
    const videos = await content.listModels({ category: 'video' });
    expect(videos.length).toBeGreaterThan(0);
    expect(videos.length).toBeLessThan(all.length);
    const textToImage = await content.listModels({ capability: 'io:text-to-image' });
    expect(textToImage.every((m) => m.capabilities?.includes('io:text-to-image'))).toBe(true);
    const page = await content.listModelsPage({ limit: '5', offset: '5' });
    expect(page).toMatchObject({ total: all.length, limit: 5, offset: 5 });
    expect(page.items.map((m) => m.model)).toEqual(all.slice(5, 10).map((m) => m.model));
  });

  it('reads one model by slug or AIR, its examples, pricing, creators, capabilities and collections', async () => {
    const content = new ContentClient({ baseUrl: sim.contentUrl });
    const bySlug = await content.getModel('bfl-flux-1-dev');
    const byAir = await content.getModel('runware:101@1');
    expect(bySlug).toMatchObject({ air: 'runware:101@1', model: 'bfl-flux-1-dev' });
    expect(byAir).toEqual(bySlug);
    const examples = await content.getExamples('minimax-hailuo-2-3', 'io:text-to-video');
    expect(examples.length).toBeGreaterThan(0);
    expect(examples.every((e) => e.capability === 'io:text-to-video')).toBe(true);
    expect(await content.getExamples('minimax-hailuo-2-3', 'io:no-such-capability')).toEqual([]);
    const pricing = await content.getPricing('google:3@3');
    expect(pricing).toMatchObject({ air: 'google:3@3', category: ['video'] });
    expect(typeof pricing?.pricingOverview).toBe('string');
    // Prices are strings, as Runware publishes them (runware-typescript src/types/content.ts PricingExample).
    expect(
      (pricing!.pricingExamples as Array<{ price: unknown }>).every((p) => typeof p.price === 'string'),
    ).toBe(true);
    const capabilities = await content.listCapabilities();
    expect(capabilities.map((c) => c.id)).toContain('io:text-to-image');
    const creators = await content.listCreators();
    const creator = await content.getCreator(creators[0]!.id);
    expect(creator).toMatchObject({ id: creators[0]!.id, models: expect.any(Array) });
    const collections = await content.listCollections('video');
    // CollectionMetadata.category is a list (runware-typescript src/types/content.ts).
    expect(collections.map((c) => c.category)).toEqual([['video']]);
    expect(await content.getCollection(String(collections[0]!.id))).toMatchObject({ category: ['video'] });
  });

  it('answers undefined for what does not exist, and a typed error when the service is unreachable', async () => {
    const content = new ContentClient({ baseUrl: sim.contentUrl });
    expect(await content.getModel('no-such-model')).toBeUndefined();
    expect(await content.getPricing('no-such-model')).toBeUndefined();
    expect(await content.getCreator('nobody')).toBeUndefined();
    const closed = await closedPortUrl();
    const error = await new ContentClient({ baseUrl: closed }).listModels().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunwareError);
    expect(error).toMatchObject({ category: 'connection', retryable: true });
  });

  it('serves repeated reads from memory within max-age, then revalidates with If-None-Match (304)', async () => {
    const clock = manualClock();
    const content = new ContentClient({ baseUrl: sim.contentUrl, now: clock.now });
    const first = await content.listModels({ category: 'image' });
    const second = await content.listModels({ category: 'image' });
    expect(second).toBe(first);
    expect(content.stats).toEqual({ requests: 1, notModified: 0, hits: 1 });
    clock.advance(61_000); // the simulator says max-age=60
    const third = await content.listModels({ category: 'image' });
    expect(third).toBe(first); // 304: the cached body is reused, not re-downloaded
    expect(content.stats).toEqual({ requests: 2, notModified: 1, hits: 1 });
    await content.listModels({ category: 'image' });
    expect(content.stats.requests).toBe(2); // the 304 renewed freshness
  });

  it('shares one round trip between concurrent reads of the same resource', async () => {
    const content = new ContentClient({ baseUrl: sim.contentUrl });
    const answers = await Promise.all(Array.from({ length: 8 }, () => content.getModel('bfl-flux-1-dev')));
    expect(new Set(answers).size).toBe(1);
    expect(content.requests).toBe(1);
  });
});

describe('SchemaClient against the simulated schema service', () => {
  it('reads the registry and resolves a model schema, cached', async () => {
    const schemas = new SchemaClient({ baseUrl: sim.schemasUrl });
    const registry = await schemas.registry();
    expect(registry.models['google:3@3']).toEqual({ taskType: 'videoInference', id: 'google-veo-3-1-fast' });
    expect(registry.models['runware:101@1']?.taskType).toBe('imageInference');
    expect(registry.version).toMatch(/^\d+$/);
    expect(registry.architectureTaskTypes['flux-1-dev']).toBe('imageInference');
    const resolved = await schemas.resolve('runware:101@1');
    expect(resolved?.requestSchema?.required).toContain('positivePrompt');
    expect(resolved?.requestSchema?.properties).toHaveProperty('width');
    expect(resolved?.documentation).toBe('https://runware.ai/docs/models/bfl-flux-1-dev');
    expect(await schemas.resolve('nobody:0@0')).toBeUndefined();
    await schemas.registry();
    await schemas.resolve('runware:101@1');
    expect(schemas.stats).toMatchObject({ requests: 3, hits: 2 });
  });
});

describe('cache semantics against a loopback origin with changing answers', () => {
  let origin: Server;
  let base: string;
  let version = 1;
  let cacheControl = 'max-age=0';
  const seen: Array<string | undefined> = [];

  beforeAll(async () => {
    origin = createServer((req, res) => {
      seen.push(req.headers['if-none-match']);
      const etag = `"v${version}"`;
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, { etag, 'cache-control': cacheControl });
        return void res.end();
      }
      if (req.url?.startsWith('/broken/')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end('{"items": [');
      }
      res.writeHead(200, { 'content-type': 'application/json', etag, 'cache-control': cacheControl });
      res.end(JSON.stringify([{ id: 'io:text-to-image', label: `v${version}` }]));
    });
    await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => origin.close(() => resolve())));

  it('revalidates every time at max-age=0 and picks up a changed ETag', async () => {
    const content = new ContentClient({ baseUrl: base });
    seen.length = 0;
    expect((await content.listCapabilities())[0]!.label).toBe('v1');
    expect((await content.listCapabilities())[0]!.label).toBe('v1');
    version = 2;
    expect((await content.listCapabilities())[0]!.label).toBe('v2');
    expect(seen).toEqual([undefined, '"v1"', '"v1"']);
    expect(content.stats).toMatchObject({ requests: 3, notModified: 1 });
  });

  it('keeps nothing under no-store', async () => {
    cacheControl = 'no-store';
    const content = new ContentClient({ baseUrl: base });
    seen.length = 0;
    await content.listCapabilities();
    await content.listCapabilities();
    expect(seen).toEqual([undefined, undefined]);
    cacheControl = 'max-age=0';
  });

  it('turns malformed JSON into a clear serverError', async () => {
    const error = await new ContentClient({ baseUrl: `${base}/broken` })
      .listModels()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ category: 'serverError', code: 'malformedResponse' });
    expect(String((error as Error).message)).toContain('malformed');
  });
});

async function closedPortUrl(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
