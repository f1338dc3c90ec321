import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectStdio, type StdioSession } from './support/stdio-client.js';

let s: StdioSession;
beforeAll(async () => {
  s = await connectStdio();
});
afterAll(() => s?.close());

describe('tools/list contract', () => {
  it('matches the pinned snapshot of every tool, input schema, output schema and annotations', async () => {
    const { tools } = await s.client.listTools();
    const pinned = Object.fromEntries(
      tools.map((t) => [
        t.name,
        { inputSchema: t.inputSchema, outputSchema: t.outputSchema, annotations: t.annotations },
      ]),
    );
    await expect(JSON.stringify(pinned, null, 2)).toMatchFileSnapshot('./__snapshots__/tool-schemas.json');
  });

  it('keeps the tools/list payload small enough not to bloat an agent context', async () => {
    const { tools } = await s.client.listTools();
    const bytes = Buffer.byteLength(JSON.stringify(tools));
    const approxTokens = Math.round(bytes / 4);
    // Measured 2026-11: ~3.4k tokens for 12 tools. The budget leaves room, not a blank cheque.
    expect(approxTokens).toBeLessThan(5000);
    for (const t of tools) expect(t.description!.length, t.name).toBeLessThan(500);
  });
});
