import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostedServer, STORE_ENGINES, startHostedServerOn } from './support/hosted-server.js';
import { type SimulatorProcess, spawnSimulator } from './support/simulator-process.js';
import { obtainAccessToken, startTokenProxy } from './support/token-proxy.js';

const KEY = 'rw-conformance-key-3c4d5e';
const SUITE = fileURLToPath(
  new URL('../node_modules/@modelcontextprotocol/conformance/dist/index.js', import.meta.url),
);
const BASELINE = fileURLToPath(new URL('./conformance/expected-failures.yml', import.meta.url));
let sim: SimulatorProcess;
let server: HostedServer;
let proxy: Awaited<ReturnType<typeof startTokenProxy>>;

beforeAll(async () => {
  sim = await spawnSimulator({ keys: [KEY] });
});
afterAll(async () => {
  await sim?.stop();
});

/** The suite needs Node >= 22; npx brings one from the npm registry (the product itself stays on Node 20). */
function runSuite(): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      'npx',
      [
        '-y',
        '-p',
        'node@22',
        'node',
        SUITE,
        'server',
        '--url',
        `${proxy.url}/mcp`,
        '--expected-failures',
        BASELINE,
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe.each(STORE_ENGINES)(
  '@modelcontextprotocol/conformance server scenarios against the hosted server (%s store)',
  (engine) => {
    beforeAll(async () => {
      server = await startHostedServerOn(engine, { apiUrl: sim.apiUrl });
      // The suite's client cannot do OAuth: a loopback proxy adds a token obtained by a real flow.
      proxy = await startTokenProxy(server.url, await obtainAccessToken(server.url, KEY));
    });
    afterAll(async () => {
      await proxy?.close();
      await server?.stop();
    });

    it('passes every generic scenario; only the fixture-only baseline fails', async () => {
      const { code, output } = await runSuite();
      const total = /Total: (\d+) passed, (\d+) failed/.exec(output);
      console.log(`conformance: ${total?.[0] ?? 'no total line'}`);
      const verdict = output.slice(output.indexOf('Expected failures'));
      const generic = [
        'server-initialize',
        'ping',
        'logging-set-level',
        'tools-list',
        'tools-call-error',
        'resources-list',
        'prompts-list',
        'resources-subscribe',
        'resources-unsubscribe',
        'dns-rebinding-protection',
      ];
      for (const scenario of generic) {
        expect(output, scenario).toMatch(new RegExp(`✓ ${scenario}:`));
      }
      expect(code, verdict).toBe(0);
    }, 240_000);
  },
);
