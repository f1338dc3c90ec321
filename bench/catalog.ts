// list_models latency over the real snapshot and a synthetic 10,000-model catalog (combined filters + text).
// Run: npm run bench:catalog. Target: p95 <= 2 ms at 10k.
import { performance } from 'node:perf_hooks';
import { Catalog } from '../src/catalog/catalog.js';
import type { ModelFile } from '../src/catalog/model-record.js';
import { loadSnapshot } from '../src/catalog/snapshot.js';
import { fmt, percentile } from './stats.js';

const real = loadSnapshot();
const WORDS = [
  'flux',
  'turbo',
  'pro',
  'ultra',
  'lite',
  'vision',
  'dream',
  'motion',
  'studio',
  'max',
  'mini',
  'wave',
  'spark',
  'nova',
  'prime',
];

function synthetic(n: number): ModelFile[] {
  const out: ModelFile[] = [];
  for (let i = 0; i < n; i++) {
    const base = real.models[i % real.models.length]!;
    const word = WORDS[i % WORDS.length]!;
    out.push({
      ...base,
      model: `${base.model}-${i}`,
      air: `${base.air.split(':')[0]}:${word}-${i}@${i % 7}`,
      name: `${base.name} ${word} ${i}`,
      weight: (i * 37) % 100,
      releasedAt: `20${20 + (i % 7)}-0${1 + (i % 9)}-1${i % 10}`,
    });
  }
  return out;
}

const QUERIES = [
  { category: 'image', search: 'flux pro' },
  { capability: 'io:text-to-video', search: 'kling' },
  { category: 'audio', capability: 'io:text-to-speech' },
  { search: 'nano banan' },
  { creator: 'google', category: 'video', sort: 'newest' as const },
  { search: 'sedance 2' },
  { category: 'image', capability: 'op:edit', search: 'context', limit: 50 },
];

function measure(label: string, catalog: Catalog, rounds: number): void {
  for (let i = 0; i < 200; i++) catalog.list(QUERIES[i % QUERIES.length]!); // warm-up (JIT)
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const q = QUERIES[i % QUERIES.length]!;
    const t = performance.now();
    catalog.list(q);
    samples.push(performance.now() - t);
  }
  console.log(
    `${label.padEnd(34)} p50 ${fmt(percentile(samples, 50)).padStart(10)}  p95 ${fmt(percentile(samples, 95)).padStart(10)}  p99 ${fmt(percentile(samples, 99)).padStart(10)}`,
  );
}

const t0 = performance.now();
const small = new Catalog({ snapshot: real });
console.log(`index build, ${real.models.length} models: ${fmt(performance.now() - t0)}`);
measure(`list_models, ${real.models.length} models`, small, 5000);
const big = synthetic(10_000);
const t1 = performance.now();
const large = new Catalog({ snapshot: { ...real, models: big } });
console.log(`index build, 10,000 models: ${fmt(performance.now() - t1)}`);
measure('list_models, 10,000 models', large, 3000);
