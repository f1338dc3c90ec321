// Added latency of `run` (sync image, simulator with zero delay) over calling the simulator directly with the
// same payload, in one run. Run: npm run bench:run. Target: <= 2 ms median added.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Client } from '@modelcontextprotocol/client';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { startSimulator } from '../simulator/server.js';
import { fmt, percentile } from './stats.js';

const KEY = 'rw-bench-key-0001';
const ROUNDS = 300;
const sim = await startSimulator({ keys: [KEY], balance: 1e9 });
const params = { model: 'runware:101@1', positivePrompt: 'a lighthouse at dusk', width: 512, height: 512 };

async function direct(): Promise<number> {
  const t = performance.now();
  const res = await fetch(`${sim.url}/v1`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify([
      { taskType: 'imageInference', taskUUID: randomUUID(), includeCost: true, ...params },
    ]),
  });
  await res.json();
  return performance.now() - t;
}

const client = new Client({ name: 'bench', version: '1' });
await client.connect(
  new StdioClientTransport({
    command: process.execPath,
    args: ['dist/cli.js'],
    env: {
      ...getDefaultEnvironment(),
      RUNWARE_API_KEY: KEY,
      RUNWARE_API_URL: `${sim.url}/v1`,
      RUNWARE_OFFLINE: '1',
      RUNWARE_INLINE_IMAGE_MAX_BYTES: '0',
      RUNWARE_MCP_DATA_DIR: `/tmp/runware-bench-${process.pid}`,
      LOG_LEVEL: 'warn',
    },
  }),
);
async function viaMcp(): Promise<number> {
  const t = performance.now();
  const result = await client.callTool({ name: 'run', arguments: params });
  if (result.isError) throw new Error(JSON.stringify(result.content));
  return performance.now() - t;
}
// A bare MCP round trip (no upstream call) separates protocol cost from run's own work.
async function mcpFloor(): Promise<number> {
  const t = performance.now();
  await client.callTool({ name: 'list_capabilities', arguments: { kind: 'form' } });
  return performance.now() - t;
}

for (let i = 0; i < 30; i++) await Promise.all([direct(), viaMcp(), mcpFloor()]); // warm-up
const d: number[] = [];
const m: number[] = [];
const f: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  d.push(await direct());
  m.push(await viaMcp());
  f.push(await mcpFloor());
}
const row = (label: string, s: number[]) =>
  console.log(
    `${label.padEnd(44)} p50 ${fmt(percentile(s, 50)).padStart(9)}  p95 ${fmt(percentile(s, 95)).padStart(9)}`,
  );
row('simulator directly (fetch)', d);
row('run through the stdio MCP server', m);
row('MCP round trip floor (list_capabilities)', f);
console.log(
  `added by run: median ${fmt(percentile(m, 50) - percentile(d, 50))}, p95 ${fmt(percentile(m, 95) - percentile(d, 95))} (target <= 2 ms median)`,
);
await client.close();
await sim.close();
