import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SERVER_NODE } from './support/server-node.js';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

/** Speaks raw JSON-RPC lines to the built CLI, the way a 2025-era client does (initialize first). */
function converse(
  messages: object[],
  expectIds: number[],
): Promise<{ replies: Map<number, Record<string, unknown>>; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(SERVER_NODE, [CLI], {
      env: { ...process.env, RUNWARE_OFFLINE: '1', LOG_LEVEL: 'silent' },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    const replies = new Map<number, Record<string, unknown>>();
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`no reply: ${stdout}`)), 15_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      for (const line of stdout.split('\n').filter(Boolean)) {
        const msg = JSON.parse(line) as { id?: number };
        if (typeof msg.id === 'number') replies.set(msg.id, msg as Record<string, unknown>);
      }
      if (expectIds.every((id) => replies.has(id))) {
        clearTimeout(timer);
        child.stdin.end();
        resolve({ replies, stdout });
      }
    });
    for (const m of messages) child.stdin.write(`${JSON.stringify(m)}\n`);
  });
}

describe('stdio handshakes', () => {
  it('serves a 2025-era client: initialize, initialized, tools/list; stdout carries only JSON-RPC', async () => {
    const { replies, stdout } = await converse(
      [
        {
          jsonrpc: '2.0',
          id: 1,
          method: 'initialize',
          params: {
            protocolVersion: '2025-06-18',
            capabilities: {},
            clientInfo: { name: 'old', version: '1' },
          },
        },
        { jsonrpc: '2.0', method: 'notifications/initialized' },
        { jsonrpc: '2.0', id: 2, method: 'tools/list' },
      ],
      [1, 2],
    );
    expect(replies.get(1)).toMatchObject({
      result: { protocolVersion: '2025-06-18', serverInfo: { name: 'runware' } },
    });
    expect((replies.get(2)!.result as { tools: unknown[] }).tools.length).toBe(12);
    for (const line of stdout.split('\n').filter(Boolean))
      expect(JSON.parse(line)).toMatchObject({ jsonrpc: '2.0' });
  });
});
