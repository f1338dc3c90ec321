import { type ChildProcess, spawn } from 'node:child_process';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectStdio } from './support/stdio-client.js';
import { obtainAccessToken } from './support/token-proxy.js';

// The README's `npm run demo`: simulator + hosted server, then sign-in, browse and run as a newcomer would, with
// no key and no internet. Also the stdio line it prints.
let demo: ChildProcess;
let printed = '';
const sessions: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  demo = spawn(process.execPath, ['scripts/demo.mjs', '--port', '0', '--simulator-port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    demo.stdout!.on('data', (c: Buffer) => {
      printed += c.toString();
      if (/node dist\/cli\.js\n/.test(printed)) resolve();
    });
    demo.once('exit', (code) => reject(new Error(`demo exited with ${code}: ${printed}`)));
  });
});
afterAll(async () => {
  for (const session of sessions) await session.close().catch(() => undefined);
  const exited = new Promise((resolve) => demo.once('exit', resolve));
  demo.kill('SIGINT');
  await exited;
});

type Result = {
  isError?: boolean;
  structuredContent?: Record<string, unknown> & { outputs?: Array<{ url: string }> };
};
const RUN = { model: 'runware:101@1', positivePrompt: 'a paper boat', width: 512, height: 512 };

describe('npm run demo', () => {
  it('signs in with the printed key on the hosted endpoint, then browses and runs a model', async () => {
    const endpoint = /hosted MCP endpoint\s+(http:\/\/\S+)\/mcp/.exec(printed)![1]!;
    const key = /sign-in key\s+(\S+)/.exec(printed)![1]!;
    const token = await obtainAccessToken(endpoint, key);
    const client = new Client({ name: 'demo-test', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${endpoint}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    sessions.push(client);
    const browse = (await client.callTool({
      name: 'list_models',
      arguments: { category: 'image' },
    })) as Result;
    expect(browse.structuredContent?.total).toBeGreaterThan(0);
    const run = (await client.callTool({ name: 'run', arguments: RUN })) as Result;
    expect(run.isError, JSON.stringify(run)).toBeFalsy();
    const image = await fetch(run.structuredContent!.outputs![0]!.url);
    expect(image.headers.get('content-type')).toBe('image/png');
  });

  it('prints a stdio command line that runs models against the same simulator', async () => {
    const line = /^\s+(RUNWARE_API_KEY=.*) node dist\/cli\.js$/m.exec(printed)![1]!;
    const env = Object.fromEntries(
      line.split(' ').map((pair) => pair.split(/=(.*)/s, 2) as [string, string]),
    );
    const session = await connectStdio({ ...env, RUNWARE_OFFLINE: '0' });
    sessions.push(session);
    const run = (await session.client.callTool({ name: 'run', arguments: RUN })) as Result;
    expect(run.isError, JSON.stringify(run)).toBeFalsy();
    expect(run.structuredContent?.status).toBe('success');
  });
});
