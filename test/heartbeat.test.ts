import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initialize2025, type RawStdio, spawnRawStdio } from './support/raw-rpc.js';
import { type SimulatorProcess, spawnSimulator } from './support/simulator-process.js';

/**
 * Heartbeats: while a call waits on Runware the client gets a progress notification at least every 15 s, with a
 * line a person can read ("Veo 3.1 Fast · 40% · 32 s"), so clients that reset an idle timer on progress (Claude
 * Code) keep the call alive and show where it stands. Judged on the seconds the server itself reports in each
 * line; the wall-clock gaps the test saw are printed.
 */

const KEY = 'rw-heartbeat-key-0c1d2e3f';
const LINE = /^(?<label>.+) · (?<state>queued|generating|finished|\d+%) · (?<seconds>\d+) s$/;
let sim: SimulatorProcess;
let rpc: RawStdio | undefined;
beforeAll(async () => {
  // A 40 s video: Runware answers "processing" for 40 s.
  sim = await spawnSimulator({ keys: [KEY], asyncDelayMs: 40_000 });
});
afterEach(() => rpc?.close());
afterAll(async () => {
  await sim?.stop();
});

/** Runs one tool call with a progress token and answers the progress lines sent before its result. */
async function progressDuring(args: Record<string, unknown>, env: Record<string, string> = {}) {
  rpc = spawnRawStdio({
    RUNWARE_API_KEY: KEY,
    RUNWARE_API_URL: sim.apiUrl,
    RUNWARE_MCP_DATA_DIR: mkdtempSync(join(tmpdir(), 'runware-heartbeat-')),
    RUNWARE_RUN_DEADLINE_MS: '90000',
    ...env,
  });
  await initialize2025(rpc);
  const reply = await rpc.request('tools/call', {
    name: 'run',
    arguments: args,
    _meta: { progressToken: 'beat' },
  });
  const beats = rpc.notifications.filter((n) => n.method === 'notifications/progress');
  return {
    reply,
    beats,
    lines: beats.map((b) => String(b.params?.message)),
    seconds: beats.map((b) => Number(LINE.exec(String(b.params?.message))?.groups?.seconds)),
  };
}

const largestGap = (values: number[]) => Math.max(...values.slice(1).map((v, i) => v - values[i]!));

describe('heartbeats while waiting on Runware', () => {
  it('a 40 s video: a readable line at least every 15 s, from submission to the result', async () => {
    const { reply, beats, lines, seconds } = await progressDuring({
      model: 'google:3@3',
      positivePrompt: 'forty seconds of sea',
      width: 1280,
      height: 720,
      duration: 4,
    });
    expect(reply.result!.structuredContent).toMatchObject({ status: 'success' });
    for (const line of lines) expect(line).toMatch(LINE);
    expect(lines.every((l) => l.startsWith('Veo 3.1 Fast · '))).toBe(true);
    expect(lines.some((l) => /· \d+% ·/.test(l))).toBe(true);
    expect(lines.at(-1)).toMatch(/· finished · \d+ s$/);
    expect(seconds.at(-1)).toBeGreaterThanOrEqual(40);
    expect(largestGap(seconds)).toBeLessThanOrEqual(15);
    console.log(
      `heartbeat, 40 s video: ${beats.length} notifications over ${seconds.at(-1)} s; largest gap ${largestGap(seconds)} s by the server's count, ${(largestGap(beats.map((b) => b.at)) / 1000).toFixed(1)} s by the test's clock`,
    );
  }, 120_000);

  it('a sync call with Runware silent for 25 s: heartbeats alone keep coming', async () => {
    await sim.admin.faults({ latencyMs: 25_000 });
    try {
      const { reply, beats, lines, seconds } = await progressDuring(
        { model: 'runware:101@1', positivePrompt: 'a slow cat', width: 512, height: 512 },
        // No dry run (it would wait 25 s too): nothing here needs an estimate.
        { RUNWARE_CONFIRM_ABOVE: '0' },
      );
      expect(reply.result!.structuredContent).toMatchObject({ status: 'success' });
      // No poll in a sync call: every line is the heartbeat's own (the model as the catalog names it).
      for (const line of lines) expect(line).toMatch(/^\S.* · generating · \d+ s$/);
      expect(beats.length).toBeGreaterThanOrEqual(2);
      expect(seconds[0]).toBeLessThanOrEqual(15);
      expect(largestGap(seconds)).toBeLessThanOrEqual(15);
      console.log(
        `heartbeat, silent sync call: ${beats.length} notifications, at ${seconds.join(', ')} s (interval ${(largestGap(beats.map((b) => b.at)) / 1000).toFixed(1)} s by the test's clock)`,
      );
    } finally {
      await sim.admin.reset();
    }
  }, 120_000);
});
