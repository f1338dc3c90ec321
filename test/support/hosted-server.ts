import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRedis } from './redis-server.js';
import { SERVER_NODE } from './server-node.js';
import { runwareEnv } from './stdio-client.js';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

export interface HostedServer {
  /** Where this process listens. */
  url: string;
  mcpUrl: string;
  /** The issuer and resource base (differs from url only with --public-url). */
  publicUrl: string;
  dataDir: string;
  /** The Redis URL of the store, when the server runs on Redis (else the SQLite file in dataDir). */
  redisUrl?: string;
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
  /** What node runs instead of `dist/cli.js serve` (e.g. the conformance fixture server, with tsx). */
  entry?: string[];
}): Promise<HostedServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'runware-hosted-'));
  const child = spawn(
    SERVER_NODE,
    [
      ...(options.nodeArgs ?? []),
      ...(options.entry ?? [CLI, 'serve']),
      '--port',
      '0',
      '--data-dir',
      dataDir,
      ...(options.args ?? []),
    ],
    {
      env: {
        ...process.env,
        LOG_LEVEL: 'debug',
        ...runwareEnv({ RUNWARE_API_URL: options.apiUrl, ...options.env }),
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

/** One raw 2025-era (stateless) JSON-RPC request with a bearer token. */
function postRequest(
  mcpUrl: string,
  accessToken: string,
  method: string,
  params?: unknown,
): Promise<Response> {
  return fetch(mcpUrl, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${accessToken}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-06-18',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, ...(params ? { params } : {}) }),
  });
}

/** A raw `tools/list` POST with a bearer token: for tests that check HTTP status and headers. */
export function postToolsList(mcpUrl: string, accessToken: string): Promise<Response> {
  return postRequest(mcpUrl, accessToken, 'tools/list');
}

/** A 2025-era stateless `tools/call` with a bearer token; answers the HTTP status and the tool result (if any). */
export async function callToolRaw(
  mcpUrl: string,
  accessToken: string,
  name: string,
  args: Record<string, unknown> = {},
): Promise<{
  status: number;
  headers: Headers;
  result?: {
    isError?: boolean;
    content: Array<{ text?: string }>;
    structuredContent?: Record<string, unknown>;
  };
}> {
  const res = await postRequest(mcpUrl, accessToken, 'tools/call', { name, arguments: args });
  const text = await res.text();
  // JSON, or an SSE stream whose data line carries the response.
  const json = res.headers.get('content-type')?.includes('text/event-stream')
    ? /^data: (.*)$/m.exec(text)?.[1]
    : text;
  const message = json ? (JSON.parse(json) as { result?: never }) : undefined;
  return { status: res.status, headers: res.headers, ...(message?.result ? { result: message.result } : {}) };
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
    ...(redis ? { redisUrl: redis.url } : {}),
    stop: async (signal) => {
      await server.stop(signal);
      await redis?.stop();
    },
  };
}
