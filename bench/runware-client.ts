// Cost of the upstream client in hosted mode, where a RunwareClient is built per request per key: connection
// reuse (TCP connections opened) and per-call latency, one shared client vs a fresh client per call, against a
// loopback origin answering a fixed envelope. Run: npx tsx bench/runware-client.ts
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { RunwareClient } from '../src/runware/client.js';
import { fmt, percentile } from './stats.js';

const ROUNDS = 2000;
const CONCURRENCY = 20;
let connections = 0;
const origin = createServer((req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => {
    body += c.toString();
  });
  req.on('end', () => {
    const [task] = JSON.parse(body) as Array<{ taskType: string; taskUUID: string }>;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ data: [{ taskType: task!.taskType, taskUUID: task!.taskUUID, cost: 0.001 }] }));
  });
});
origin.on('connection', () => connections++);
await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
const apiUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}/v1`;
const shared = new RunwareClient({ apiUrl, apiKey: 'rw-bench-key' });
const clientFor = (fresh: boolean, i: number) =>
  fresh ? new RunwareClient({ apiUrl, apiKey: `rw-bench-key-${i % 100}` }) : shared;

async function measure(label: string, fresh: boolean): Promise<void> {
  connections = 0;
  const samples: number[] = [];
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < ROUNDS) {
        const i = next++;
        const t = performance.now();
        await clientFor(fresh, i).runTask({ taskType: 'imageInference', taskUUID: randomUUID() });
        samples.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `${label}: ${ROUNDS} calls x${CONCURRENCY}, ${Math.round(ROUNDS / seconds)} calls/s, ` +
      `p50 ${fmt(percentile(samples, 50))}, p95 ${fmt(percentile(samples, 95))}, ${connections} TCP connections`,
  );
}

await measure('warm-up', false);
await measure('one shared client', false);
await measure('a fresh client per call', true);
const t = performance.now();
for (let i = 0; i < 100_000; i++) new RunwareClient({ apiUrl, apiKey: 'k' });
console.log(`constructing a client: ${(((performance.now() - t) / 100_000) * 1000).toFixed(2)} us`);
origin.closeAllConnections();
origin.close();
