import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { startStdioFront } from '../src/stdio/stdio-front.js';
import { serveLocal } from '../src/stdio/stdio-server.js';

// The stdio front answers the handshake before the SDK is loaded. Every conversation here runs twice, once
// through the front and once straight into the SDK, and the replies must be identical.
const config = loadConfig([], {
  RUNWARE_OFFLINE: '1',
  LOG_LEVEL: 'silent',
  RUNWARE_MCP_DATA_DIR: mkdtempSync(join(tmpdir(), 'runware-front-')),
});

type Reply = { id?: unknown; method?: string; result?: unknown; error?: unknown };

function pipeline(withFront: boolean) {
  const input = new PassThrough();
  const replies: Reply[] = [];
  const output = new Writable({
    write(chunk: Buffer, _e, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) replies.push(JSON.parse(line));
      done();
    },
  });
  const state = { sdkLoads: 0, ended: false };
  if (withFront) {
    startStdioFront({
      input,
      output,
      startSdk: async (inbound, outbound) => {
        state.sdkLoads++;
        serveLocal(config, inbound, outbound);
      },
      onEnd: () => {
        state.ended = true;
      },
    });
  } else {
    serveLocal(config, input, output);
  }
  return { input, replies, state };
}

const request = (id: number, method: string, params?: unknown) => ({
  jsonrpc: '2.0',
  id,
  method,
  ...(params === undefined ? {} : { params }),
});
const initialize = (protocolVersion: string, id = 1) =>
  request(id, 'initialize', {
    protocolVersion,
    capabilities: {},
    clientInfo: { name: 'test', version: '1' },
  });
const initialized = { jsonrpc: '2.0', method: 'notifications/initialized' };

async function waitFor(check: () => boolean) {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
}

/** Sends each line (string or message) and waits for the reply to every request id sent so far. */
async function converse(withFront: boolean, lines: Array<object | string>) {
  const p = pipeline(withFront);
  const ids = new Set<unknown>();
  for (const line of lines) {
    p.input.write(`${typeof line === 'string' ? line : JSON.stringify(line)}\n`);
    const id = typeof line === 'object' ? (line as { id?: unknown }).id : undefined;
    if (id !== undefined) ids.add(id);
    await waitFor(() => [...ids].every((i) => p.replies.some((r) => r.id === i)));
  }
  return p;
}

async function bothWays(lines: Array<object | string>) {
  const front = await converse(true, lines);
  const sdk = await converse(false, lines);
  const byId = (replies: Reply[]) => [...replies].sort((a, b) => String(a.id).localeCompare(String(b.id)));
  expect(byId(front.replies)).toEqual(byId(sdk.replies));
  return front;
}

describe('stdio front', () => {
  for (const version of ['2025-03-26', '2025-06-18', '2025-11-25']) {
    it(`answers a ${version} handshake exactly as the SDK does, without loading it`, async () => {
      const front = await bothWays([
        initialize(version),
        initialized,
        request(2, 'ping'),
        request(3, 'tools/list'),
        request(4, 'prompts/list', {}),
        request(5, 'resources/templates/list'),
      ]);
      // tools/list schedules the load in the background; nothing before it did.
      expect(front.replies.map((r) => r.id)).toEqual([1, 2, 3, 4, 5]);
      expect(front.state.sdkLoads).toBe(1);
    });
  }

  it('lists the app-only tool to a client that declared MCP Apps, as the SDK does', async () => {
    const apps = request(1, 'initialize', {
      protocolVersion: '2025-11-25',
      capabilities: {
        extensions: { 'io.modelcontextprotocol/ui': { mimeTypes: ['text/html;profile=mcp-app'] } },
      },
      clientInfo: { name: 'test', version: '1' },
    });
    const front = await bothWays([apps, initialized, request(2, 'tools/list'), request(3, 'resources/list')]);
    const names = (replies: Reply[]) =>
      (replies.find((r) => r.id === 2)!.result as { tools: Array<{ name: string }> }).tools.map(
        (t) => t.name,
      );
    expect(names(front.replies)).toContain('studio_task_status');
    const plain = await converse(true, [initialize('2025-11-25'), initialized, request(2, 'tools/list')]);
    expect(names(plain.replies)).not.toContain('studio_task_status');
  });

  it('hands a tool call to the SDK after replaying initialize, whose reply is never written', async () => {
    const front = await bothWays([
      initialize('2025-06-18'),
      initialized,
      request(2, 'tools/call', { name: 'list_models', arguments: { category: 'video', limit: 2 } }),
      request(3, 'tools/list', { cursor: 'abc' }),
      request(4, 'resources/list'),
      request(5, 'ping'),
    ]);
    expect(front.state.sdkLoads).toBe(1);
    expect(front.replies.map((r) => r.id)).toEqual([1, 2, 3, 4, 5]);
    expect(JSON.stringify(front.replies)).not.toContain('runware-mcp-front');
  });

  it('leaves unusual openings to the SDK: older and unknown revisions, bad params, garbage first', async () => {
    for (const opening of [
      [initialize('2024-11-05')],
      [initialize('1999-01-01')],
      [request(1, 'initialize', { protocolVersion: '2025-06-18' })],
      [request(1, 'tools/list'), initialize('2025-06-18', 2)],
      ['{not json', initialize('2025-06-18', 2)],
      [request(1, 'initialize', { ...initialize('2025-06-18').params, _meta: { x: 1 } })],
    ]) {
      const front = await bothWays([...opening, request(9, 'ping')]);
      expect(front.state.sdkLoads).toBe(1);
    }
  });

  it('keeps a second initialize and requests split across chunks in order', async () => {
    const front = pipeline(true);
    const text = `${JSON.stringify(initialize('2025-06-18'))}\n${JSON.stringify(request(2, 'ping'))}\n`;
    for (const piece of [text.slice(0, 17), text.slice(17, 120), text.slice(120)]) front.input.write(piece);
    await waitFor(() => front.replies.length === 2);
    expect(front.state.sdkLoads).toBe(0);
    front.input.write(`${JSON.stringify(initialize('2025-06-18', 3))}\n`);
    await waitFor(() => front.replies.length === 3);
    expect(front.state.sdkLoads).toBe(1);
    front.input.end();
    await waitFor(() => front.state.ended);
  });
});
