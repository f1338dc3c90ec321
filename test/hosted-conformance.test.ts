import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostedServer, STORE_ENGINES, startHostedServerOn } from './support/hosted-server.js';
import { approveInBrowserless } from './support/oauth-flow.js';
import { freePort } from './support/redis-server.js';
import { registerClient } from './support/sign-in.js';
import { type SimulatorProcess, spawnSimulator } from './support/simulator-process.js';
import { obtainAccessToken, startTokenProxy } from './support/token-proxy.js';

/**
 * @modelcontextprotocol/conformance 0.2.0-alpha.12 against the hosted server on both store engines: every server
 * scenario (`--suite all`), the frozen `--requirements 2026-07-28` set, and the authorization-server scenarios
 * (metadata, and an authorization-code grant that sends no `scope`, played through the real API-key page).
 * Only test/conformance/expected-failures.yml may fail, and a listed entry that passes fails the run.
 * The server is `serve` with the suite's task fixture tools added (test/conformance/task-fixtures.ts), because
 * the `tasks-*` scenarios judge the task layer through tools of their own.
 */

const KEY = 'rw-conformance-key-3c4d5e';
const SUITE = fileURLToPath(
  new URL('../node_modules/@modelcontextprotocol/conformance/dist/index.js', import.meta.url),
);
const BASELINE = fileURLToPath(new URL('./conformance/expected-failures.yml', import.meta.url));
/** The suite needs Node >= 22 (fs.globSync); the registry's node package brings one. */
const NODE_22 = ['-y', '-p', 'node@22.23.3', 'node'];
const FIXTURE_SERVER = [
  '--import',
  'tsx',
  fileURLToPath(new URL('./conformance/task-fixture-server.ts', import.meta.url)),
];

let sim: SimulatorProcess;
beforeAll(async () => {
  sim = await spawnSimulator({ keys: [KEY] });
});
afterAll(async () => {
  await sim?.stop();
});

/** Runs the suite with `args`; `onLine` sees each line of its output as it comes. */
function runSuite(
  args: string[],
  onLine: (line: string) => void = () => undefined,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('npx', [...NODE_22, SUITE, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const take = (chunk: Buffer) => {
      const text = chunk.toString();
      output += text;
      for (const line of text.split('\n')) onLine(line);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('exit', (code) => resolve({ code, output }));
  });
}

const total = (output: string) => /Total: (\d+) passed, (\d+) failed/.exec(output)?.[0] ?? 'no total line';

describe.each(STORE_ENGINES)('conformance suite against the hosted server (%s store)', (engine) => {
  let server: HostedServer;
  let proxy: Awaited<ReturnType<typeof startTokenProxy>>;
  beforeAll(async () => {
    server = await startHostedServerOn(engine, { apiUrl: sim.apiUrl, entry: FIXTURE_SERVER });
    // The suite's server client cannot do OAuth: a loopback proxy adds a token obtained by a real flow.
    proxy = await startTokenProxy(server.url, await obtainAccessToken(server.url, KEY));
  });
  afterAll(async () => {
    await proxy?.close();
    await server?.stop();
  });

  it('server --suite all: every scenario passes but the baseline', async () => {
    const { code, output } = await runSuite([
      'server',
      '--url',
      `${proxy.url}/mcp`,
      '--suite',
      'all',
      '--expected-failures',
      BASELINE,
    ]);
    console.log(`conformance server (all, ${engine}): ${total(output)}`);
    expect(output).toMatch(/Running all suite \(65 scenarios\)/);
    // The generic scenarios, which judge any server, by name.
    for (const scenario of [
      'server-initialize',
      'ping',
      'logging-set-level',
      'tools-list',
      'tools-call-error',
      'resources-list',
      'prompts-list',
      'resources-subscribe',
      'resources-unsubscribe',
      'server-sse-multiple-streams',
      'dns-rebinding-protection',
      'caching',
      'http-header-validation',
      'sep-2164-resource-not-found',
      'tasks-lifecycle',
      'tasks-capability-negotiation',
      'tasks-wire-fields',
      'tasks-request-state-removal',
      'tasks-mrtr-input',
      'tasks-request-headers',
      'tasks-dispatch-and-envelope',
      'tasks-required-task-error',
      'tasks-mrtr-composition',
    ]) {
      expect(output, scenario).toMatch(new RegExp(`✓ ${scenario}:`));
    }
    expect(code, output.slice(output.indexOf('=== SUMMARY ==='))).toBe(0);
  }, 300_000);

  it('server --requirements 2026-07-28: every required scenario passes but the baseline', async () => {
    const { code, output } = await runSuite([
      'server',
      '--url',
      `${proxy.url}/mcp`,
      '--requirements',
      '2026-07-28',
      '--expected-failures',
      BASELINE,
    ]);
    console.log(`conformance server (requirements 2026-07-28, ${engine}): ${total(output)}`);
    expect(output).toMatch(/Running requirements 2026-07-28 \(50 scenarios\)/);
    expect(code, output.slice(output.indexOf('=== SUMMARY ==='))).toBe(0);
  }, 300_000);

  it('a baseline entry that passes (a stale one) fails the run', async () => {
    const stale = join(mkdtempSync(join(tmpdir(), 'runware-baseline-')), 'stale.yml');
    writeFileSync(stale, 'server:\n  - ping\n');
    const { code, output } = await runSuite([
      'server',
      '--url',
      `${proxy.url}/mcp`,
      '--scenario',
      'ping',
      '--expected-failures',
      stale,
    ]);
    expect(output).toMatch(/Stale baseline entries[^\n]*\n\s*✓ ping/);
    expect(code).toBe(1);
  }, 120_000);

  it('authorization: metadata and an authorization-code grant without scope, through the API-key page', async () => {
    const port = await freePort();
    const callback = `http://127.0.0.1:${port}/callback`;
    const { client_id } = await registerClient(server.url, { redirect_uris: [callback] });
    let browsed: Promise<void> | undefined;
    const { code, output } = await runSuite(
      [
        'authorization',
        '--url',
        server.url,
        '--client-id',
        client_id,
        '--resource',
        server.mcpUrl,
        '-p',
        String(port),
      ],
      (line) => {
        if (browsed || !line.startsWith(`${server.url}/authorize?`)) return;
        // A person opens the printed URL, pastes the key, and the browser lands on the suite's callback.
        browsed = (async () => {
          const approval = await approveInBrowserless(line.trim(), KEY, {
            redirectPrefix: `http://127.0.0.1:${port}/`,
          });
          if (!approval.callback)
            throw new Error(`no callback: ${approval.status} ${approval.html.slice(0, 300)}`);
          await fetch(approval.callback);
        })();
      },
    );
    await browsed;
    console.log(`conformance authorization (${engine}): ${total(output)}`);
    expect(output).toMatch(/✓ authorization-server-metadata-endpoint/);
    expect(output).toMatch(/✓ authorization-code-grant/);
    expect(output).not.toMatch(/WARNING|FAILURE|✗/);
    expect(code, output).toBe(0);
  }, 300_000);
});
