import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRedis } from './redis-server.js';
import { SERVER_NODE } from './server-node.js';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

export interface HostedServer {
  /** Where this process listens. */
  url: string;
  mcpUrl: string;
  /** The issuer and resource base (differs from url only with --public-url). */
  publicUrl: string;
  dataDir: string;
  /** The server process's id (for /proc sampling in load tests). */
  pid: number;
  logs: () => string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts `runware-mcp serve --port 0` as a real child process and waits for its `listening` line. */
export async function startHostedServer(options: {
  apiUrl: string;
  dataDir?: string;
  env?: Record<string, string>;
  args?: string[];
  /** Flags for node itself (e.g. --cpu-prof when profiling a benchmark). */
  nodeArgs?: string[];
}): Promise<HostedServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'runware-hosted-'));
  const child = spawn(
    SERVER_NODE,
    [
      ...(options.nodeArgs ?? []),
      CLI,
      'serve',
      '--port',
      '0',
      '--data-dir',
      dataDir,
      ...(options.args ?? []),
    ],
    {
      env: {
        ...process.env,
        RUNWARE_API_URL: options.apiUrl,
        RUNWARE_OFFLINE: '1',
        LOG_LEVEL: 'debug',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let logs = '';
  child.stderr!.on('data', (c: Buffer) => {
    logs += c.toString();
  });
  const [url, publicUrl] = await new Promise<[string, string]>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${logs}`)), 20_000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      logs += c.toString();
      const match = /listening on (http:\/\/\S+) \(public URL (http:\/\/[^,]+),/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve([match[1]!, match[2]!]);
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${logs}`)));
  });
  return {
    url,
    publicUrl,
    mcpUrl: `${url}/mcp`,
    dataDir,
    pid: child.pid!,
    logs: () => logs,
    stop: (signal = 'SIGTERM') => stop(child, signal),
  };
}

function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  });
}

/** A raw 2025-era `tools/list` POST with a bearer token: for tests that check HTTP status and headers. */
export function postToolsList(mcpUrl: string, accessToken: string): Promise<Response> {
  return fetch(mcpUrl, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${accessToken}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-06-18',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
  });
}

export const STORE_ENGINES = ['sqlite', 'redis'] as const;

/** `startHostedServer` on the named store engine; a Redis engine gets its own redis-server, stopped with it. */
export async function startHostedServerOn(
  engine: (typeof STORE_ENGINES)[number],
  options: Parameters<typeof startHostedServer>[0],
): Promise<HostedServer> {
  const redis = engine === 'redis' ? await startRedis() : undefined;
  const server = await startHostedServer({
    ...options,
    args: [...(options.args ?? []), ...(redis ? ['--store', redis.url] : [])],
  });
  return {
    ...server,
    stop: async (signal) => {
      await server.stop(signal);
      await redis?.stop();
    },
  };
}
