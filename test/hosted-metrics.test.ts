import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostedServer, STORE_ENGINES, startHostedServerOn } from './support/hosted-server.js';
import { approveInBrowserless, TestOAuthClient } from './support/oauth-flow.js';
import { type SimulatorProcess, spawnSimulator } from './support/simulator-process.js';

const KEY = 'rw-metrics-key-11aa22bb';
const METRICS_TOKEN = 'metrics-scrape-token-0123';
let sim: SimulatorProcess;
let server: HostedServer;

/** Parses the Prometheus text exposition format into series -> value (labels kept in the series name). */
function parsePrometheus(text: string): Map<string, number> {
  const series = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (-?[0-9.eE+-]+|NaN|[+-]Inf)$/.exec(line);
    if (!match) throw new Error(`not Prometheus text: ${line}`);
    series.set(match[1]!, Number(match[2]));
  }
  return series;
}

beforeAll(async () => {
  sim = await spawnSimulator({ keys: [KEY] });
});
afterAll(async () => {
  await sim?.stop();
});

describe.each(STORE_ENGINES)('/metrics (%s store)', (engine) => {
  beforeAll(async () => {
    server = await startHostedServerOn(engine, {
      apiUrl: sim.apiUrl,
      env: { RUNWARE_MCP_METRICS_TOKEN: METRICS_TOKEN },
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('is protected by its bearer token and counts tool calls, spend, upstream latency and grants', async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    const oauth = new TestOAuthClient();
    const first = new StreamableHTTPClientTransport(new URL(server.mcpUrl), { authProvider: oauth });
    await expect(new Client({ name: 'm', version: '1' }).connect(first)).rejects.toThrow();
    await first.finishAuth((await approveInBrowserless(oauth.authorizationUrl!, KEY)).callback!.searchParams);
    const client = new Client({ name: 'm', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(server.mcpUrl), { authProvider: oauth }));
    await client.callTool({ name: 'list_models', arguments: { category: 'audio' } });
    await client.callTool({ name: 'list_models', arguments: { category: 'sculpture' } });
    const run = await client.callTool({
      name: 'run',
      arguments: { model: 'runware:101@1', positivePrompt: 'metered', width: 512, height: 512 },
    });
    const cost = (run.structuredContent as { cost: number }).cost;
    await client.close();

    const res = await fetch(`${server.url}/metrics`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const series = parsePrometheus(await res.text());
    expect(series.get('runware_mcp_tool_calls_total{tool="list_models",outcome="ok"}')).toBe(1);
    expect(series.get('runware_mcp_tool_calls_total{tool="list_models",outcome="error"}')).toBe(1);
    expect(series.get('runware_mcp_tool_calls_total{tool="run",outcome="ok"}')).toBe(1);
    expect(series.get('runware_mcp_spend_usd_total{model="runware:101@1"}')).toBeCloseTo(cost, 6);
    // The dry run that priced the run (RUNWARE_CONFIRM_ABOVE needs the estimate), then the run itself.
    expect(
      series.get(
        'runware_mcp_upstream_request_duration_seconds_count{task_type="imageInference",outcome="ok"}',
      ),
    ).toBe(2);
    expect(series.get('runware_mcp_oauth_grants_total{event="issued"}')).toBeGreaterThanOrEqual(1);
    expect(series.get('runware_mcp_async_tasks_in_flight')).toBe(0);
  });
});
