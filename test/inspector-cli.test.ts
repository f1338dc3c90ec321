import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostedServer, STORE_ENGINES, startHostedServerOn } from './support/hosted-server.js';
import { type SimulatorProcess, spawnSimulator } from './support/simulator-process.js';
import { obtainAccessToken } from './support/token-proxy.js';

// The MCP Inspector's CLI mode as a real client of both transports. Inspector 2.x needs Node >= 22: npx brings
// one from the npm registry for the Inspector alone (the product and the rest of the suite stay on Node 20).
const KEY = 'rw-inspector-key-9d8c7b';
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const CONTRACT_TOOLS = [
  'run',
  'list_models',
  'model_details',
  'model_examples',
  'model_pricing',
  'list_capabilities',
  'model_schema',
  'get_task_details',
];
let sim: SimulatorProcess;

beforeAll(async () => {
  sim = await spawnSimulator({ keys: [KEY] });
});
afterAll(async () => {
  await sim?.stop();
});

/** Runs `mcp-inspector --cli <args>` and parses the JSON it prints. */
function inspector(args: string[]): Promise<{ code: number | null; json: unknown; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      'npx',
      [
        '-y',
        '-p',
        'node@22.23.3',
        '-p',
        '@modelcontextprotocol/inspector@2.12.0',
        'mcp-inspector',
        '--cli',
        ...args,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('exit', (code) => {
      let json: unknown;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = undefined;
      }
      resolve({ code, json, stderr });
    });
  });
}

const LIST_VIDEO = ['--method', 'tools/call', '--tool-name', 'list_models', '--tool-arg', 'category=video'];

function expectToolList(result: { code: number | null; json: unknown; stderr: string }) {
  expect(result.code, result.stderr).toBe(0);
  const names = (result.json as { tools: Array<{ name: string }> }).tools.map((t) => t.name);
  expect(names).toEqual(expect.arrayContaining(CONTRACT_TOOLS));
}

function expectVideoModels(result: { code: number | null; json: unknown; stderr: string }) {
  expect(result.code, result.stderr).toBe(0);
  const content = (
    result.json as { structuredContent: { models: Array<{ category: string }>; total: number } }
  ).structuredContent;
  expect(content.models.length).toBe(2);
  expect(content.total).toBeGreaterThan(2);
  expect(content.models.every((m) => m.category === 'video')).toBe(true);
}

describe('MCP Inspector CLI against the stdio server', () => {
  const server = ['-e', 'RUNWARE_OFFLINE=1', '-e', `RUNWARE_API_URL=${'http://127.0.0.1:9/v1'}`, 'node', CLI];

  it('lists the tools', async () => {
    expectToolList(await inspector([...server, '--method', 'tools/list']));
  });

  it('calls list_models with string arguments coerced by the schema', async () => {
    expectVideoModels(await inspector([...server, ...LIST_VIDEO, '--tool-arg', 'limit=2']));
  });
});

describe.each(STORE_ENGINES)('MCP Inspector CLI against the hosted server (%s store)', (engine) => {
  let hosted: HostedServer;
  let token: string;
  beforeAll(async () => {
    hosted = await startHostedServerOn(engine, { apiUrl: sim.apiUrl });
    token = await obtainAccessToken(hosted.url, KEY);
  });
  afterAll(async () => {
    await hosted?.stop();
  });
  const remote = () => [hosted.mcpUrl, '--transport', 'http', '--header', `Authorization: Bearer ${token}`];

  it('lists the tools and calls list_models with a bearer token', async () => {
    expectToolList(await inspector([...remote(), '--method', 'tools/list']));
    expectVideoModels(await inspector([...remote(), ...LIST_VIDEO, '--tool-arg', 'limit=2']));
  });

  it('is refused without a token', async () => {
    const result = await inspector([hosted.mcpUrl, '--transport', 'http', '--method', 'tools/list']);
    expect(result.code).not.toBe(0);
    expect(`${JSON.stringify(result.json)} ${result.stderr}`).toMatch(/401|unauthori[sz]ed|auth/i);
  });
});
