import type { Transport } from '@modelcontextprotocol/client';
import { Client, type RequestOptions, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { type HostedServer, STORE_ENGINES, startHostedServer } from './hosted-server.js';
import { type RedisServer, startRedis } from './redis-server.js';
import { connectStdio } from './stdio-client.js';
import { obtainTokens } from './token-proxy.js';

/** Where a session runs: the stdio child, or the hosted server on one of its store engines. */
export type SessionKind = 'stdio' | (typeof STORE_ENGINES)[number];
export const SESSION_KINDS: readonly SessionKind[] = ['stdio', ...STORE_ENGINES];

export interface ToolResult {
  isError?: boolean;
  content: Array<{ type: string; text?: string; uri?: string; data?: string }>;
  structuredContent?: Record<string, unknown>;
}

/** All text blocks of a tool result, joined. */
export const resultText = (result: { content: Array<{ text?: string }> }) =>
  result.content.map((c) => c.text ?? '').join('\n');

export interface TimedCall {
  result: ToolResult;
  /** Wall-clock time of the call as the client saw it. */
  ms: number;
  /** All text blocks of the result (or the protocol error's message), joined. */
  text: string;
  /** True when the call failed at the protocol level (no tool result at all). */
  protocolError: boolean;
}

export interface ToolSession {
  kind: SessionKind;
  client: Client;
  call(name: string, args: Record<string, unknown>, options?: RequestOptions): Promise<TimedCall>;
  /** Every JSON-RPC message the client received and (hosted) every HTTP body it was sent, in order. */
  received: string[];
  /** The server's logs so far (stderr; hosted: stdout too). */
  logs(): string;
  dataDir: string;
  /** Hosted only: the server process and, on the Redis engine, its Redis. */
  server?: HostedServer;
  redis?: RedisServer;
  close(): Promise<void>;
}

export interface OpenSessionOptions {
  apiUrl: string;
  apiKey: string;
  /** Extra environment for the server (deadlines, timeouts, retries...). */
  env?: Record<string, string>;
}

/**
 * Opens an MCP client session the way a user would: stdio with the key in the environment, or hosted with a
 * fresh server (and Redis) whose key page the test fills in with the key, then an SDK client on the token.
 */
export async function openToolSession(kind: SessionKind, options: OpenSessionOptions): Promise<ToolSession> {
  const received: string[] = [];
  if (kind === 'stdio') {
    const stdio = await connectStdio({
      RUNWARE_API_KEY: options.apiKey,
      RUNWARE_API_URL: options.apiUrl,
      ...options.env,
    });
    return session(kind, stdio.client, received, {
      logs: stdio.stderr,
      dataDir: stdio.dataDir,
      close: () => stdio.close(),
    });
  }
  const redis = kind === 'redis' ? await startRedis() : undefined;
  const server = await startHostedServer({
    apiUrl: options.apiUrl,
    args: redis ? ['--store', redis.url] : [],
    env: options.env ?? {},
  });
  const client = await connectHosted(server, options.apiKey, received);
  return session(kind, client, received, {
    logs: server.logs,
    dataDir: server.dataDir,
    server,
    ...(redis ? { redis } : {}),
    close: async () => {
      await client.close().catch(() => undefined);
      await server.stop();
      await redis?.stop();
    },
  });
}

/** Signs in on a running hosted server (the test plays the browser and pastes the key) and connects a client. */
export async function connectHosted(
  server: HostedServer,
  apiKey: string,
  received: string[] = [],
): Promise<Client> {
  const tokens = await recordingGlobalFetch(received, () => obtainTokens(server.url, apiKey));
  const client = new Client({ name: 'tool-session', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(server.mcpUrl), {
    requestInit: { headers: { authorization: `Bearer ${tokens.access_token}` } },
    fetch: recordingFetch(received),
  });
  await client.connect(transport);
  recordMessages(transport, received);
  return client;
}

function session(
  kind: SessionKind,
  client: Client,
  received: string[],
  rest: Pick<ToolSession, 'logs' | 'dataDir' | 'close' | 'server' | 'redis'>,
): ToolSession {
  if (kind === 'stdio' && client.transport) recordMessages(client.transport, received);
  return {
    kind,
    client,
    received,
    ...rest,
    call: (name, args, options) => timedCall(client, received, name, args, options),
  };
}

/** One tools/call, timed; a protocol-level failure is returned (and recorded) rather than thrown. */
export async function timedCall(
  client: Client,
  received: string[],
  name: string,
  args: Record<string, unknown>,
  options?: RequestOptions,
): Promise<TimedCall> {
  const started = performance.now();
  try {
    const result = (await client.callTool({ name, arguments: args }, options)) as ToolResult;
    const text = resultText(result);
    return { result, ms: performance.now() - started, text, protocolError: false };
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    received.push(text);
    return {
      result: { isError: true, content: [{ type: 'text', text }] },
      ms: performance.now() - started,
      text,
      protocolError: true,
    };
  }
}

/** Wraps the transport's message handler (set by connect) so every incoming JSON-RPC message is kept. */
function recordMessages(transport: Transport, received: string[]): void {
  const original = transport.onmessage;
  if (!original) return;
  transport.onmessage = (message, extra) => {
    received.push(JSON.stringify(message));
    original.call(transport, message, extra);
  };
}

/** A fetch that keeps a copy of every response body (read in the background, so streams are not held up). */
function recordingFetch(received: string[]): typeof fetch {
  return async (input, init) => {
    const res = await fetch(input, init);
    if (res.body && !(res.headers.get('content-type') ?? '').includes('text/event-stream')) {
      res
        .clone()
        .text()
        .then((t) => received.push(t))
        .catch(() => undefined);
    }
    return res;
  };
}

/** Runs `work` with the global fetch recording every response body (the OAuth flow uses the global fetch). */
async function recordingGlobalFetch<T>(received: string[], work: () => Promise<T>): Promise<T> {
  const original = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const res = await original(input, init);
    received.push(await res.clone().text());
    return res;
  };
  try {
    return await work();
  } finally {
    globalThis.fetch = original;
  }
}
