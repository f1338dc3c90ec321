// Added latency of `run` (sync image, simulator with zero delay) over calling the simulator directly with the
// same payload, in one run: first with saving and previews off (target <= 2 ms median added), then what saving
// every output and inline previews each add on top. Run: npm run bench:run.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from '@modelcontextprotocol/client';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { startSimulator } from '../simulator/server.js';
import { fmt, percentile } from './stats.js';

const KEY = 'rw-bench-key-0001';
const sim = await startSimulator({ keys: [KEY], balance: 1e9 });
const SMALL = { model: 'runware:101@1', positivePrompt: 'a lighthouse at dusk', width: 512, height: 512 };
// The simulator's largeImageCount makes this a full-size noise PNG of 4.4 MB, as heavy as a real photo.
const LARGE = { ...SMALL, width: 1216, height: 1216 };

async function direct(params: Record<string, unknown>): Promise<number> {
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

async function connect(env: Record<string, string>): Promise<Client> {
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
        RUNWARE_MCP_DATA_DIR: mkdtempSync(join(tmpdir(), 'runware-bench-')),
        LOG_LEVEL: 'warn',
        ...env,
      },
    }),
  );
  return client;
}

const viaMcp = async (client: Client, params: Record<string, unknown>): Promise<number> => {
  const t = performance.now();
  const result = await client.callTool({ name: 'run', arguments: params });
  if (result.isError) throw new Error(JSON.stringify(result.content));
  return performance.now() - t;
};
// A bare MCP round trip (no upstream call) separates protocol cost from run's own work.
const mcpFloor = async (client: Client): Promise<number> => {
  const t = performance.now();
  await client.callTool({ name: 'list_capabilities', arguments: { kind: 'form' } });
  return performance.now() - t;
};

const row = (label: string, s: number[]) =>
  console.log(
    `${label.padEnd(52)} p50 ${fmt(percentile(s, 50)).padStart(9)}  p95 ${fmt(percentile(s, 95)).padStart(9)}`,
  );

/** One configuration: the server with `env`, `rounds` runs interleaved with direct calls of the same request. */
async function measure(label: string, env: Record<string, string>, large: boolean, rounds: number) {
  const client = await connect(env);
  const params = large ? LARGE : SMALL;
  const d: number[] = [];
  const m: number[] = [];
  const f: number[] = [];
  for (let i = 0; i < rounds + 10; i++) {
    // Both sides get the same image: the large one costs the simulator rendering (cached) and serving it.
    if (large) sim.state.faults.largeImageCount = 2;
    const sample = [await direct(params), await viaMcp(client, params), await mcpFloor(client)];
    if (i < 10) continue; // warm-up
    d.push(sample[0]!);
    m.push(sample[1]!);
    f.push(sample[2]!);
  }
  await client.close();
  console.log(`\n${label}`);
  row('  simulator directly (fetch)', d);
  row('  run through the stdio MCP server', m);
  row('  MCP round trip floor (list_capabilities)', f);
  const added = percentile(m, 50) - percentile(d, 50);
  console.log(`  added by run: median ${fmt(added)}, p95 ${fmt(percentile(m, 95) - percentile(d, 95))}`);
  return added;
}

// RUNWARE_CONFIRM_ABOVE's dry run before every run is measured on its own (the last row), not in these.
const off = { RUNWARE_OUTPUT_DIR: 'off', RUNWARE_INLINE_IMAGE_MAX_BYTES: '0', RUNWARE_CONFIRM_ABOVE: '0' };
const saving = { ...off, RUNWARE_OUTPUT_DIR: mkdtempSync(join(tmpdir(), 'runware-bench-out-')) };
const previews = { ...off, RUNWARE_INLINE_IMAGE_MAX_BYTES: '262144' };
const base = await measure('saving and previews off (small image)', off, false, 300);
const saved = await measure('saving on (small image)', saving, false, 300);
const inline = await measure('previews on (small image: inlined as it is)', previews, false, 300);
const smallBytes = [...sim.state.media.values()].at(-1)?.body.length;
const largeBase = await measure('saving and previews off (4.4 MB image)', off, true, 40);
const largeSaved = await measure('saving on (4.4 MB image)', saving, true, 40);
const largePreview = await measure(
  'previews on (4.4 MB image: downscaled to WebP under 256 KiB)',
  previews,
  true,
  40,
);
const priced = await measure(
  'saving and previews off, RUNWARE_CONFIRM_ABOVE at its default (a dry run first)',
  { ...off, RUNWARE_CONFIRM_ABOVE: '2' },
  false,
  300,
);
console.log(`
run's added median latency, saving and previews off: ${fmt(base)} (target <= 2 ms)
saving on adds ${fmt(saved - base)} for a small image (${smallBytes} bytes), ${fmt(largeSaved - largeBase)} for a 4.4 MB one
previews on add ${fmt(inline - base)} for a small image, ${fmt(largePreview - largeBase)} for a 4.4 MB one (sharp)
the confirmation's dry run (RUNWARE_CONFIRM_ABOVE=2, the default) adds ${fmt(priced - base)}`);
await sim.close();
