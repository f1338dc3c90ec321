// Authenticated `tools/call list_models` req/s and p99 against `runware-mcp serve` (SQLite store), beside a
// bare node:http JSON hello-world as the ceiling, in one run. Run: npm run bench:http. Target: >= 0.25x.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import { startSimulator } from '../simulator/server.js';
import { startHostedServer } from '../test/support/hosted-server.js';
import { startRedis } from '../test/support/redis-server.js';
import { obtainAccessToken } from '../test/support/token-proxy.js';

const KEY = 'rw-bench-http-key-01';
const DURATION = Number(process.env.BENCH_SECONDS ?? 10);

async function load(url: string, headers: Record<string, string>, body: string) {
  const result = await autocannon({
    url,
    method: 'POST',
    headers,
    body,
    connections: 50,
    duration: DURATION,
  });
  return { rps: result.requests.average, p99: result.latency.p99, errors: result.errors + result.non2xx };
}

const hello = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{"hello":"world"}');
});
await new Promise<void>((r) => hello.listen(0, '127.0.0.1', r));
const ceiling = await load(`http://127.0.0.1:${(hello.address() as AddressInfo).port}/`, {}, '');
hello.close();

const sim = await startSimulator({ keys: [KEY] });
const call = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/call',
  params: { name: 'list_models', arguments: { category: 'image', limit: 5 } },
});

/** One engine: a fresh server, a real OAuth token, then load on the MCP endpoint. */
async function hosted(args: string[]) {
  const server = await startHostedServer({ apiUrl: `${sim.url}/v1`, args, env: { LOG_LEVEL: 'warn' } });
  const token = await obtainAccessToken(server.url, KEY);
  const result = await load(
    server.mcpUrl,
    {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-06-18',
    },
    call,
  );
  await server.stop();
  return result;
}

const sqlite = await hosted([]);
const redis = await startRedis();
const onRedis = await hosted(['--store', redis.url]);
await redis.stop();
await sim.close();

const row = (label: string, r: { rps: number; p99: number; errors: number }) =>
  console.log(
    `${label.padEnd(48)} ${r.rps.toFixed(0).padStart(7)} req/s  p99 ${String(r.p99).padStart(4)} ms  errors ${r.errors}`,
  );
row('node:http hello world (ceiling)', ceiling);
row('runware-mcp serve, tools/call list_models (SQLite)', sqlite);
row('runware-mcp serve, tools/call list_models (Redis)', onRedis);
console.log(
  `ratio to the ceiling: SQLite ${(sqlite.rps / ceiling.rps).toFixed(3)}x, Redis ${(onRedis.rps / ceiling.rps).toFixed(3)}x (target >= 0.25x on SQLite)`,
);
