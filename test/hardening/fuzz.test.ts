import { Agent, request } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostedServer, startHostedServerOn } from '../support/hosted-server.js';
import { type SimulatorProcess, spawnSimulator } from '../support/simulator-process.js';
import { obtainAccessToken } from '../support/token-proxy.js';
import { type FuzzMessage, generateMessages, headerVariant } from './fuzz-messages.js';
import {
  countUnhandled,
  type HttpAnswer,
  httpExchange,
  messagesOf,
  NODE_FLAGS,
  type Reply,
  StdioPeer,
} from './fuzz-peers.js';

/*
 * Fuzzing both transports with generated JSON-RPC messages and tool arguments (see fuzz-messages.ts): wrong
 * types, huge strings, 20,000-level nesting, Unicode (lone surrogates included), prototype-pollution keys,
 * broken envelopes and plain garbage. What must hold, message by message:
 *   - a valid request gets exactly one well-formed response carrying its id (a tool error is a result with
 *     isError: true); a notification gets none; anything else gets at most one response;
 *   - no reply leaks a stack trace, no tool answers with its "Unexpected error" catch-all, no 5xx; the process
 *     never dies, never logs an unhandled rejection or uncaught exception, and answers a ping at the end.
 * Over HTTP a request may also be refused 4xx with a JSON-RPC error for its id (the 2026 revision does that for
 * a malformed `_meta` envelope claim); a body over the 1 MB limit must be answered 413 with `connection: close`.
 * Known SDK gaps this test accepts rather than fights:
 *   - the SDK answers invalid params on its own methods (initialize, logging/setLevel, prompts/get arguments)
 *     with -32603 instead of -32602 (typescript-sdk#2284): -32603 is accepted only with the SDK's zod issue
 *     list as its message, so an internal error of ours still fails the test;
 *   - the stdio transport drops messages that are not valid JSON-RPC without a reply (typescript-sdk#563), so
 *     on stdio "maybe" messages usually get nothing. A ping after each batch shows the server is still alive
 *     and reading in order, and every request of the batch must be answered (once) before the next goes out.
 * Found and fixed by this test: a malformed %-escape in a schema resource URI was an internal error (-32603
 * "URI malformed"); tool arguments thousands of levels deep overflowed the stack inside `run`.
 * The seed is in the test names; FUZZ_SEED=<n> reproduces a run (FUZZ_STDIO / FUZZ_HTTP change the counts).
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20_260_731);
const STDIO_COUNT = Number(process.env.FUZZ_STDIO ?? 12_000);
const HTTP_COUNT = Number(process.env.FUZZ_HTTP ?? 6_000);
const KEY = 'rw-fuzz-key-7d41c0';
/** The MCP endpoint's body limit (src/http/mcp-endpoint.ts MAX_MCP_BODY). */
const MAX_MCP_BODY = 1024 * 1024;
const BATCH = 300;
const HTTP_CONCURRENCY = 4;
/** Tool calls never wait on a long task: async runs give up (status "processing") after this. */
const SERVER_ENV = { RUNWARE_RUN_DEADLINE_MS: '3000', LOG_LEVEL: 'info' };

const figures = { stdio: 0, http: 0, crashes: 0, unhandled: 0, fiveXx: 0 };
let sim: SimulatorProcess;

beforeAll(async () => {
  sim = await spawnSimulator({ keys: [KEY], balance: 1_000_000, asyncDelayMs: 20 });
});
afterAll(async () => {
  await sim?.stop();
  console.log(
    `fuzz: ${figures.stdio + figures.http} messages (stdio ${figures.stdio}, http ${figures.http}), crashes ${figures.crashes}, unhandled ${figures.unhandled}, 5xx ${figures.fiveXx}`,
  );
});

// ---------------------------------------------------------------------------------------------------------
// What a reply must look like

/** Ids compare by JSON text: 1 and "1" differ, and an object id (a fuzzed one) has no safe String(). */
function idKey(id: unknown): string {
  try {
    return JSON.stringify(id) ?? 'undefined';
  } catch {
    return 'too deep to compare'; // a 20,000-level id from a broken envelope: never one of ours
  }
}
/** A stack frame (`    at fn (file:line:col)`) or a Node internal path in anything the server says. */
const STACK = /^\s*at .+:\d+:\d+\)?$|node:internal\//m;

function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) strings(v, out);
  return out;
}

/** Why this server message is not a well-formed JSON-RPC response (or notification), or undefined when it is. */
function malformed(message: unknown): string | undefined {
  if (!message || typeof message !== 'object' || Array.isArray(message)) return 'not an object';
  const m = message as Reply;
  if (m.jsonrpc !== '2.0') return 'jsonrpc is not "2.0"';
  if (strings(m).some((s) => STACK.test(s))) return 'leaks a stack trace';
  if ('method' in m) return 'id' in m ? 'the server sent a request' : undefined; // a notification (progress, log)
  if (!('id' in m)) return 'response without id';
  if ('result' in m === 'error' in m) return 'not exactly one of result and error';
  if ('error' in m) {
    const error = m.error as { code?: unknown; message?: unknown } | null;
    if (!error || !Number.isInteger(error.code) || typeof error.message !== 'string')
      return 'error without integer code and string message';
    return undefined;
  }
  if (!m.result || typeof m.result !== 'object' || Array.isArray(m.result)) return 'result is not an object';
  const result = m.result as { content?: unknown; isError?: unknown };
  if ('content' in result) {
    // a tool result: content blocks, and an error one explains itself in text
    if (!Array.isArray(result.content)) return 'tool result content is not an array';
    if (result.isError === true && typeof (result.content[0] as { text?: unknown })?.text !== 'string')
      return 'tool error without a text explanation';
  }
  return undefined;
}

/** Checks the responses attributed to one message against what it expects; returns the problems. */
function judge(message: FuzzMessage, responses: Reply[]): string[] {
  const problems: string[] = [];
  for (const r of responses) {
    const why = malformed(r);
    if (why) problems.push(`${why}: ${JSON.stringify(r).slice(0, 300)}`);
    if (message.neverResult && 'result' in r)
      problems.push('answered a method smuggled in through __proto__');
    if (message.expect !== 'reply' && 'result' in r && r.id === null) problems.push('result with null id');
    const error = r.error as { code?: unknown; message?: unknown } | undefined;
    // -32603 is only tolerated as the SDK's answer to invalid params of its own methods (a zod issue list).
    if (error?.code === -32603 && !String(error.message).startsWith('['))
      problems.push(`internal error: ${String(error.message).slice(0, 200)}`);
    const text = (r.result as { content?: Array<{ text?: unknown }> } | undefined)?.content?.[0]?.text;
    // The tools' catch-all for exceptions nobody anticipated: each one is a bug to fix.
    if (typeof text === 'string' && text.startsWith('Unexpected error')) problems.push(text.slice(0, 200));
  }
  const counts = new Map<string, number>();
  for (const r of responses) counts.set(idKey(r.id), (counts.get(idKey(r.id)) ?? 0) + 1);
  for (const [id, n] of counts) if (n > 1) problems.push(`${n} responses for id ${id}`);
  if (message.expect === 'reply') {
    for (const id of message.ids)
      if (!counts.has(idKey(id))) problems.push(`no response for id ${JSON.stringify(id).slice(0, 80)}`);
  }
  if (message.expect === 'none' && responses.length > 0) problems.push('a notification was answered');
  return problems;
}

/** The id field of a message's text, whatever its type (undefined when the text is not a JSON object). */
function rawId(text: string): unknown {
  try {
    return (JSON.parse(text) as { id?: unknown } | null)?.id;
  } catch {
    return undefined;
  }
}

const describeMessage = (m: FuzzMessage, i: number) =>
  `#${i} ${m.kind}/${m.expect} (${m.text.length} chars) ${m.text.slice(0, 160)}`;

// ---------------------------------------------------------------------------------------------------------

describe('fuzz: stdio server', () => {
  let peer: StdioPeer;
  afterAll(async () => {
    await peer?.close();
  });

  it(`answers ${STDIO_COUNT} generated messages correctly and stays up (seed ${SEED})`, async () => {
    peer = StdioPeer.spawn({ RUNWARE_API_KEY: KEY, RUNWARE_API_URL: sim.apiUrl, ...SERVER_ENV });
    const byId = new Map<string, Reply[]>();
    const nullIds: Reply[] = [];
    const strays: string[] = [];
    let cursor = 0;
    const drain = () => {
      for (; cursor < peer.replies.length; cursor++) {
        const r = peer.replies[cursor]!;
        if (!('id' in r)) {
          const why = malformed(r);
          if (why) strays.push(`${why}: ${JSON.stringify(r).slice(0, 200)}`);
        } else if (r.id === null) nullIds.push(r);
        else byId.set(idKey(r.id), [...(byId.get(idKey(r.id)) ?? []), r]);
      }
    };
    const answered = (id: string | number) => () => {
      drain();
      return byId.has(idKey(id));
    };

    // The handshake a real client does first; the fuzz then runs inside an initialized session.
    await peer.writeLine(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 'init',
        method: 'initialize',
        params: {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 'fuzz', version: '1' },
        },
      }),
    );
    await peer.until(answered('init'), 20_000, 'initialize');
    await peer.writeLine(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));

    const messages = generateMessages(SEED, STDIO_COUNT);
    for (let start = 0; start < messages.length; start += BATCH) {
      const batch = messages.slice(start, start + BATCH);
      for (const m of batch) await peer.writeLine(m.text);
      // The barrier ping: the server is alive and still reading after this batch.
      const barrier = `barrier-${start}`;
      await peer.writeLine(JSON.stringify({ jsonrpc: '2.0', id: barrier, method: 'ping' }));
      await peer.until(
        answered(barrier),
        30_000,
        `${barrier} (after ${describeMessage(batch.at(-1)!, start + batch.length - 1)})`,
      );
      const wanted = batch.filter((m) => m.expect === 'reply').flatMap((m) => m.ids);
      await peer.until(() => wanted.every((id) => answered(id)()), 30_000, `the requests of batch ${start}`);
      figures.stdio += batch.length;
    }
    await peer.writeLine(JSON.stringify({ jsonrpc: '2.0', id: 'final', method: 'ping' }));
    await peer.until(answered('final'), 10_000, 'the final ping');
    drain();

    const problems: string[] = [];
    const known = new Set(['init', 'final', ...messages.flatMap((m) => m.ids)].map(idKey));
    for (let s = 0; s < messages.length; s += BATCH) known.add(idKey(`barrier-${s}`));
    messages.forEach((m, i) => {
      const responses = m.ids.flatMap((id) => byId.get(idKey(id)) ?? []);
      for (const p of judge(m, responses)) problems.push(`${describeMessage(m, i)}\n    ${p}`);
    });
    for (const key of byId.keys()) if (!known.has(key)) problems.push(`response to no request: ${key}`);
    for (const r of nullIds) {
      const why = malformed(r) ?? ('error' in r ? undefined : 'a result with a null id');
      if (why) problems.push(`null-id reply: ${why}`);
    }
    problems.push(...strays, ...peer.junk.map((line) => `non-JSON on stdout: ${line.slice(0, 200)}`));

    figures.crashes += peer.alive ? 0 : 1;
    figures.unhandled += countUnhandled(peer.stderr());
    expect(problems.slice(0, 15)).toEqual([]);
    expect(peer.alive).toBe(true);
    expect(countUnhandled(peer.stderr())).toBe(0);
  });
});

describe('fuzz: hosted HTTP server', () => {
  let server: HostedServer;
  let token: string;
  beforeAll(async () => {
    server = await startHostedServerOn('sqlite', {
      apiUrl: sim.apiUrl,
      nodeArgs: NODE_FLAGS,
      env: SERVER_ENV,
    });
    token = await obtainAccessToken(server.url, KEY);
  });
  afterAll(async () => {
    await server?.stop();
  });

  const post = (body: string | Buffer, headers: Record<string, string>, agent?: Agent, chunked = false) =>
    httpExchange(server.mcpUrl, {
      body,
      headers: { authorization: `Bearer ${token}`, ...headers },
      ...(agent ? { agent } : {}),
      chunked,
    });
  const ping = (id: string | number) =>
    post(JSON.stringify({ jsonrpc: '2.0', id, method: 'ping' }), {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-06-18',
    });

  it(`answers ${HTTP_COUNT} generated messages without a 5xx and stays up (seed ${SEED})`, async () => {
    const messages = generateMessages(SEED + 1, HTTP_COUNT);
    const variants = fc.sample(headerVariant, { seed: SEED + 2, numRuns: HTTP_COUNT });
    const agent = new Agent({ keepAlive: true, maxSockets: HTTP_CONCURRENCY });
    const problems: string[] = [];

    const check = (m: FuzzMessage, mode: string, answer: HttpAnswer): string[] => {
      if (answer.status >= 500) {
        figures.fiveXx++;
        return [`HTTP ${answer.status}: ${answer.body.slice(0, 200)}`];
      }
      if (Buffer.byteLength(m.text) > MAX_MCP_BODY && mode !== 'odd') {
        return answer.status === 413 && answer.headers.connection === 'close'
          ? []
          : [`oversized body answered ${answer.status} (connection: ${answer.headers.connection})`];
      }
      let replies: unknown[];
      try {
        replies = messagesOf(answer);
      } catch {
        return answer.status >= 400
          ? []
          : [`unparseable ${answer.status} body: ${answer.body.slice(0, 200)}`];
      }
      // Server notifications (progress) travel in the same SSE stream: well-formed, never counted as answers.
      const isRpc = (r: unknown): r is Reply => !!r && typeof r === 'object' && 'jsonrpc' in r;
      const notes = replies.filter((r) => isRpc(r) && 'method' in r).map((r) => malformed(r));
      const responses = replies.filter((r): r is Reply => isRpc(r) && !('method' in r));
      // An invalid id (1.5, an object) may be echoed in the error that refuses it.
      const ours = new Set([...m.ids, rawId(m.text)].map(idKey));
      const foreign = responses
        .filter((r) => r.id !== null && !ours.has(idKey(r.id)))
        .map((r) => `response with a foreign id ${idKey(r.id)}`);
      const base = [...notes.filter((n): n is string => n !== undefined), ...foreign];
      // Broken headers or message: any 2xx/4xx, and whatever JSON-RPC comes back is well-formed and ours.
      if (mode === 'odd' || m.expect === 'maybe')
        return [...base, ...judge({ ...m, expect: 'maybe' }, responses)];
      if (m.expect === 'none')
        return answer.status === 202 && replies.length === 0
          ? base
          : [`notification answered ${answer.status}`];
      if (replies.length !== responses.length + notes.length) base.push('non-JSON-RPC body for a request');
      // A request is answered 200, or 4xx with a JSON-RPC error for its id (the 2026 revision's HTTP errors,
      // e.g. a malformed `_meta` envelope claim).
      const refused = answer.status >= 400 && responses.every((r) => 'error' in r);
      if (answer.status !== 200 && !refused) base.push(`request answered ${answer.status}`);
      return [...base, ...judge(m, responses)];
    };

    let next = 0;
    const worker = async () => {
      for (let i = next++; i < messages.length; i = next++) {
        const m = messages[i]!;
        const variant = variants[i]!;
        const answer = await post(m.text, variant.headers, agent).catch(
          (error: Error): HttpAnswer => ({ status: -1, headers: {}, body: error.message }),
        );
        if (answer.status === -1)
          problems.push(`${describeMessage(m, i)}\n    transport error: ${answer.body}`);
        else
          for (const p of check(m, variant.mode, answer))
            problems.push(`${describeMessage(m, i)} [${variant.mode}]\n    ${p}`);
        figures.http++;
      }
    };
    await Promise.all(Array.from({ length: HTTP_CONCURRENCY }, worker));
    agent.destroy();

    const alive = await ping('final');
    figures.crashes += alive.status === 200 ? 0 : 1;
    figures.unhandled += countUnhandled(server.logs());
    expect(problems.slice(0, 15)).toEqual([]);
    expect(alive.status).toBe(200);
    expect(JSON.parse(alive.body)).toEqual({ jsonrpc: '2.0', id: 'final', result: {} });
    expect(countUnhandled(server.logs())).toBe(0);
  });

  /** The two ways into the endpoint: its own direct path (2025 protocol header) and the SDK transport. */
  const ENTRY_HEADERS = {
    direct: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-06-18',
    },
    sdk: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
  };

  it('answers an oversized body 413, closes the connection, and serves the next request', async () => {
    const big = Buffer.alloc(MAX_MCP_BODY + 1, 0x20);
    for (const [entry, headers] of Object.entries(ENTRY_HEADERS)) {
      for (const chunked of [false, true]) {
        const label = `${entry}, ${chunked ? 'chunked' : 'content-length'}`;
        // Keep-alive with one socket: before the fix the SDK path left the unread body on an open connection
        // and the next request on it hung.
        const agent = new Agent({ keepAlive: true, maxSockets: 1 });
        const refused = await post(big, headers, agent, chunked);
        expect(refused.status, label).toBe(413);
        expect(refused.headers.connection, label).toBe('close');
        const again = await post(JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'ping' }), headers, agent);
        expect(again.status, label).toBe(200);
        agent.destroy();
      }
    }
    expect((await ping('after-413')).status).toBe(200); // and on a fresh connection
  });

  it('closes the connection when the SDK refuses a large body without reading it (415)', async () => {
    // Found by the fuzz (seed 1): the refused body stayed on the kept-alive connection and the client's next
    // request on it was reset.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const refused = await post(
      Buffer.alloc(900 * 1024, 0x20),
      { ...ENTRY_HEADERS.sdk, 'content-type': 'text/plain' },
      agent,
    );
    expect(refused.status).toBe(415);
    expect(refused.headers.connection).toBe('close');
    const again = await post(
      JSON.stringify({ jsonrpc: '2.0', id: 8, method: 'ping' }),
      ENTRY_HEADERS.sdk,
      agent,
    );
    expect(again.status).toBe(200);
    agent.destroy();
  });

  it('refuses a declared oversized body before reading it', async () => {
    for (const [entry, headers] of Object.entries(ENTRY_HEADERS)) {
      // 8 MB declared, 64 KB sent: the 413 must come back while the client still holds the rest.
      const answer = await new Promise<{ status: number; connection: string | undefined }>(
        (resolve, reject) => {
          const url = new URL(server.mcpUrl);
          const req = request(
            {
              host: url.hostname,
              port: url.port,
              path: url.pathname,
              method: 'POST',
              headers: {
                authorization: `Bearer ${token}`,
                ...headers,
                'content-length': String(8 * MAX_MCP_BODY),
              },
            },
            (res) => {
              res.resume();
              resolve({ status: res.statusCode ?? 0, connection: res.headers.connection });
              req.destroy();
            },
          );
          req.once('error', reject);
          req.write(Buffer.alloc(64 * 1024, 0x20));
        },
      );
      expect(answer, entry).toEqual({ status: 413, connection: 'close' });
    }
  });

  it('closes the connection after a 413 on the API-key form (Hono body limit) too', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const refused = await httpExchange(`${server.url}/interaction/unknown`, {
      body: 'apiKey='.padEnd(17 * 1024, 'x'),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      agent,
    });
    expect(refused.status).toBe(413);
    expect(refused.headers.connection).toBe('close');
    expect((await httpExchange(`${server.url}/healthz`, { method: 'GET', agent })).status).toBe(200);
    agent.destroy();
  });
});
