import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SERVER_NODE } from './server-node.js';
import { runwareEnv } from './stdio-client.js';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

export interface RpcMessage {
  id?: number | string;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown> & { [k: string]: unknown };
  error?: { code: number; message: string; data?: unknown };
}

export interface RawStdio {
  /** Sends a request and resolves with its response (result or error), as written. */
  request(method: string, params?: Record<string, unknown>): Promise<RpcMessage>;
  notify(method: string, params?: Record<string, unknown>): void;
  /** Every message the server wrote that is not a response, in order, each with when it arrived. */
  notifications: Array<RpcMessage & { at: number }>;
  child: ChildProcessWithoutNullStreams;
  close(): void;
}

/**
 * The built server over stdio driven by plain JSON-RPC lines (no SDK client in between): what a client sends is
 * exactly what the test wrote, and every line the server writes is seen in order.
 */
export function spawnRawStdio(env: Record<string, string>): RawStdio {
  const child = spawn(SERVER_NODE, [CLI], {
    env: { ...process.env, LOG_LEVEL: 'silent', ...runwareEnv(env) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stderr.resume();
  const waiting = new Map<number | string, (message: RpcMessage) => void>();
  const notifications: RawStdio['notifications'] = [];
  let buffer = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop()!;
    for (const line of lines) {
      const message = JSON.parse(line) as RpcMessage;
      const resolve = message.id !== undefined && !message.method ? waiting.get(message.id) : undefined;
      if (resolve) {
        waiting.delete(message.id!);
        resolve(message);
      } else notifications.push({ ...message, at: Date.now() });
    }
  });
  let nextId = 0;
  const write = (message: object) => child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`);
  return {
    request: (method, params) =>
      new Promise((resolve) => {
        const id = ++nextId;
        waiting.set(id, resolve);
        write({ id, method, ...(params ? { params } : {}) });
      }),
    notify: (method, params) => write({ method, ...(params ? { params } : {}) }),
    notifications,
    child,
    close: () => child.kill(),
  };
}

/** A 2025-era handshake on a raw stdio server. */
export async function initialize2025(
  rpc: RawStdio,
  capabilities: Record<string, unknown> = {},
): Promise<RpcMessage> {
  const reply = await rpc.request('initialize', {
    protocolVersion: '2025-11-25',
    capabilities,
    clientInfo: { name: 'raw-tests', version: '1' },
  });
  rpc.notify('notifications/initialized');
  return reply;
}

export const TASKS_EXTENSION = 'io.modelcontextprotocol/tasks';

/** The response in a Streamable HTTP answer: a JSON body, or the SSE event carrying it. */
async function responseOf(res: Response, method: string): Promise<RpcMessage> {
  const text = await res.text();
  const json = res.headers.get('content-type')?.includes('text/event-stream')
    ? text
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => JSON.parse(l.slice(6)) as RpcMessage)
        .find((m) => m.id === 1)
    : (JSON.parse(text) as RpcMessage);
  if (!json) throw new Error(`no response to ${method}: HTTP ${res.status} ${text.slice(0, 200)}`);
  return json;
}

/** One 2025-11-25 request over Streamable HTTP (served statelessly) with a bearer token. */
export async function legacyRequest(
  mcpUrl: string,
  accessToken: string,
  method: string,
  params: Record<string, unknown> = {},
): Promise<RpcMessage> {
  const res = await fetch(mcpUrl, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${accessToken}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-11-25',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  return responseOf(res, method);
}

/**
 * One 2026-07-28 request over Streamable HTTP with a bearer token, shaped as the revision wants it: the
 * per-request `_meta` envelope with the client's capabilities, and the Mcp-Method / Mcp-Name headers.
 */
export async function modernRequest(
  mcpUrl: string,
  accessToken: string,
  method: string,
  params: Record<string, unknown> = {},
  capabilities: Record<string, unknown> = { extensions: { [TASKS_EXTENSION]: {} } },
): Promise<RpcMessage> {
  const name = method === 'tools/call' ? params.name : params.taskId;
  const res = await fetch(mcpUrl, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${accessToken}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': method,
      ...(typeof name === 'string' ? { 'mcp-name': name } : {}),
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method,
      params: {
        ...params,
        _meta: {
          'io.modelcontextprotocol/protocolVersion': '2026-07-28',
          'io.modelcontextprotocol/clientInfo': { name: 'raw-tests', version: '1' },
          'io.modelcontextprotocol/clientCapabilities': capabilities,
        },
      },
    }),
  });
  return responseOf(res, method);
}

/** Polls `get` until the task reaches a terminal status (or `until` says so). */
export async function pollTask(
  get: () => Promise<RpcMessage>,
  until: (result: Record<string, unknown>) => boolean = (r) =>
    ['completed', 'failed', 'cancelled'].includes(String(r.status)),
  attempts = 120,
): Promise<Record<string, unknown>> {
  for (let i = 0; ; i++) {
    const reply = await get();
    if (reply.error) throw new Error(`${reply.error.code}: ${reply.error.message}`);
    if (until(reply.result!) || i >= attempts) return reply.result!;
    await new Promise((r) => setTimeout(r, 500));
  }
}
