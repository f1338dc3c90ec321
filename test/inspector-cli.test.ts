import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostedServer, STORE_ENGINES, startHostedServerOn } from './support/hosted-server.js';
import { type SimulatorProcess, spawnSimulator } from './support/simulator-process.js';
import { obtainAccessToken } from './support/token-proxy.js';

// The MCP Inspector's CLI mode as a real client of both transports, run exactly as the README's recipe says
// (Inspector 2.12.0 under `npx -p node@22`; its stdio child runs on that Node too). Only the key, the URL, the token
// and the not-yet-published `npx -y runware-mcp-server` (this checkout's dist/cli.js) are filled in.
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

/** The README's Inspector recipe: one argv per command (continuation lines joined, quoted words kept whole). */
function readmeRecipe(): string[][] {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const block = /Inspect a server with the MCP Inspector[^\n]*\n\n```sh\n([\s\S]*?)```/.exec(readme)![1]!;
  return block
    .replace(/\\\n\s*/g, ' ')
    .trim()
    .split('\n')
    .map((line) => line.match(/"[^"]*"|\S+/g)!.map((word) => word.replace(/^"(.*)"$/, '$1')));
}
const [STDIO_RECIPE, HTTP_RECIPE] = readmeRecipe() as [string[], string[]];
/** `npx -y -p node@22 -p @modelcontextprotocol/inspector@2.12.0 mcp-inspector --cli`, as the README has it. */
const PREFIX = STDIO_RECIPE.slice(1, STDIO_RECIPE.indexOf('--cli') + 1);
const replaceWords = (argv: string[], from: string[], to: string[]) => {
  const at = argv.findIndex((_, i) => from.every((w, j) => argv[i + j] === w));
  expect(at, `${from.join(' ')} in ${argv.join(' ')}`).toBeGreaterThanOrEqual(0);
  return [...argv.slice(0, at), ...to, ...argv.slice(at + from.length)];
};

it('the README pins Inspector 2.12.0 under Node 22 for both recipes', () => {
  expect(PREFIX).toEqual([
    '-y',
    '-p',
    'node@22',
    '-p',
    '@modelcontextprotocol/inspector@2.12.0',
    'mcp-inspector',
    '--cli',
  ]);
  expect(HTTP_RECIPE.slice(1, PREFIX.length + 1)).toEqual(PREFIX);
});

/** Runs `npx <prefix> <args>` and parses the JSON the Inspector prints. */
function inspector(args: string[]): Promise<{ code: number | null; json: unknown; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('npx', args[0] === '-y' ? args : [...PREFIX, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
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

  it("lists the tools with the README's stdio recipe", async () => {
    let argv = replaceWords(
      STDIO_RECIPE.slice(1),
      ['-e', 'RUNWARE_API_KEY=...'],
      ['-e', `RUNWARE_API_KEY=${KEY}`],
    );
    argv = replaceWords(argv, ['npx', '-y', 'runware-mcp-server'], server);
    expectToolList(await inspector(argv));
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

  it("lists the tools, and calls list_models with the README's HTTP recipe", async () => {
    expectToolList(await inspector([...remote(), '--method', 'tools/list']));
    let argv = replaceWords(HTTP_RECIPE.slice(1), ['https://mcp.example.com/mcp'], [hosted.mcpUrl]);
    argv = replaceWords(argv, ['Authorization: Bearer <access token>'], [`Authorization: Bearer ${token}`]);
    expectVideoModels(await inspector([...argv, '--tool-arg', 'limit=2']));
  });

  it('is refused without a token', async () => {
    const result = await inspector([hosted.mcpUrl, '--transport', 'http', '--method', 'tools/list']);
    expect(result.code).not.toBe(0);
    expect(`${JSON.stringify(result.json)} ${result.stderr}`).toMatch(/401|unauthori[sz]ed|auth/i);
  });
});
