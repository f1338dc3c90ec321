import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/client';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostedServer, STORE_ENGINES, startHostedServerOn } from './support/hosted-server.js';
import { type SimulatorProcess, spawnSimulator } from './support/simulator-process.js';

const require = createRequire(import.meta.url);
const PROXY = join(require.resolve('mcp-remote/package.json'), '..', 'dist', 'proxy.js');
const BROWSER = fileURLToPath(new URL('./support/fake-browser.mjs', import.meta.url));
const KEY = 'rw-mcp-remote-key-5e6f7a';
let sim: SimulatorProcess;
let server: HostedServer;

beforeAll(async () => {
  sim = await spawnSimulator({ keys: [KEY] });
});
afterAll(async () => {
  await sim?.stop();
});

describe.each(STORE_ENGINES)('mcp-remote as a real stdio-to-HTTP bridge (%s store)', (engine) => {
  beforeAll(async () => {
    server = await startHostedServerOn(engine, { apiUrl: sim.apiUrl });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('authorizes headlessly through the API-key page, then lists tools and runs a model', async () => {
    const configDir = mkdtempSync(join(tmpdir(), 'mcp-remote-'));
    const browserLog = join(configDir, 'browser.log');
    const callbackPort = String(30000 + Math.floor(Math.random() * 20000));
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [PROXY, server.mcpUrl, callbackPort, '--allow-http'],
      env: {
        ...getDefaultEnvironment(),
        MCP_REMOTE_CONFIG_DIR: configDir,
        BROWSER,
        FAKE_BROWSER_API_KEY: KEY,
        FAKE_BROWSER_LOG: browserLog,
      },
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const client = new Client({ name: 'via-mcp-remote', version: '1' });
    try {
      await client.connect(transport);
    } catch (error) {
      throw new Error(`mcp-remote failed: ${(error as Error).message}\n${stderr}\n${readSafe(browserLog)}`);
    }
    expect(stderr).toMatch(/Please authorize this client by visiting/);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain('run');
    const run = await client.callTool({
      name: 'run',
      arguments: { model: 'runware:101@1', positivePrompt: 'through mcp-remote', width: 512, height: 512 },
    });
    expect(run.structuredContent).toMatchObject({ status: 'success' });
    await client.close();
    // mcp-remote keeps only OAuth tokens; the Runware key never reaches the client side.
    const stored = readdirSync(configDir, { recursive: true }) as string[];
    for (const file of stored) {
      const path = join(configDir, file);
      if (file.endsWith('.json')) expect(readFileSync(path, 'utf8')).not.toContain(KEY);
    }
  });
});

function readSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
