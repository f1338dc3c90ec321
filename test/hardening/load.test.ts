import { readdirSync, readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentFetch } from '../support/agent-fetch.js';
import { type HostedServer, startHostedServerOn } from '../support/hosted-server.js';
import { type SimulatorProcess, spawnSimulator } from '../support/simulator-process.js';
import { obtainAccessToken } from '../support/token-proxy.js';

/**
 * Load: CLIENTS official SDK clients (Streamable HTTP, bearer tokens) against the real hosted server on SQLite
 * and the simulator, each looping mixed browse and run calls for HARDENING_LOAD_SECONDS. Asserts no errors,
 * bounded memory and no leaked descriptors; throughput is printed, never asserted.
 *
 * Tokens: one OAuth flow per user (real DCR + PKCE + API-key page + code exchange) for USERS distinct API
 * keys, each token shared by CLIENTS/USERS clients, as a team shares one connector. The API-key form allows
 * 10 attempts per IP per 10 minutes, so USERS stays below that; registration is unlimited here.
 */

const CLIENTS = 200;
const USERS = 8;
const SECONDS = Number(process.env.HARDENING_LOAD_SECONDS ?? 60);
const KEYS = Array.from({ length: USERS }, (_, i) => `rw-load-user-${i}-${'k'.repeat(12)}`);
const MiB = 1024 * 1024;
const IMAGE_MODEL = 'runware:101@1';

const AIRS = readdirSync('catalog/models').map(
  (f) => (JSON.parse(readFileSync(`catalog/models/${f}`, 'utf8')) as { air: string }).air,
);
const CATEGORIES = ['image', 'video', 'audio', 'text', '3d'];
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;

/** Resident memory (bytes) and open descriptors of a process, from /proc. */
function rssOf(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) * 1024;
}
/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat (Linux clock ticks: 100 per s). */
function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
const fdsOf = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type ToolResult = {
  isError?: boolean;
  content: Array<{ type: string; text?: string }>;
  structuredContent?: { taskUUID?: string; status?: string };
};

let sim: SimulatorProcess;
let server: HostedServer;

beforeAll(async () => {
  sim = await spawnSimulator({ keys: KEYS, balance: 1_000_000 });
  server = await startHostedServerOn('sqlite', {
    apiUrl: sim.apiUrl,
    args: ['--registration-limit', '0'],
    // Production's level: debug would log (and the test would buffer) every request.
    env: { LOG_LEVEL: 'info' },
  });
});
afterAll(async () => {
  await server?.stop();
  await sim?.stop();
});

describe('load', () => {
  it(
    `${CLIENTS} concurrent SDK clients for ${SECONDS} s: no errors, bounded memory, descriptors released`,
    async () => {
      const tokens: string[] = [];
      for (const key of KEYS) tokens.push(await obtainAccessToken(server.url, key));
      await sleep(1000);
      const fdsBefore = fdsOf(server.pid);
      const rssBefore = rssOf(server.pid);
      let fdsPeak = fdsBefore;
      let rssPeak = rssBefore;
      const sampler = setInterval(() => {
        try {
          fdsPeak = Math.max(fdsPeak, fdsOf(server.pid));
          rssPeak = Math.max(rssPeak, rssOf(server.pid));
        } catch {
          // the process is gone: the assertions below fail on their own
        }
      }, 500);

      // The load generator's own event-loop delay: on this shared 2-core machine it reaches seconds, which is
      // why the clients use agent-fetch.ts (see there) instead of the global fetch's keep-alive pool.
      const lag = monitorEventLoopDelay({ resolution: 20 });
      lag.enable();
      const http = createAgentFetch({ idleMs: 1000 });
      const errors: string[] = [];
      const counts = { calls: 0, runs: 0, taskDetails: 0, browse: 0 };
      const clients: Client[] = [];
      let cpuStart = 0;
      let cpuLoad = 0;
      let selfCpu = process.cpuUsage();
      let selfCpuSeconds = 0;
      try {
        await Promise.all(
          Array.from({ length: CLIENTS }, async (_, i) => {
            const client = new Client({ name: `load-${i}`, version: '1.0.0' });
            const transport = new StreamableHTTPClientTransport(new URL(server.mcpUrl), {
              requestInit: { headers: { authorization: `Bearer ${tokens[i % USERS]}` } },
              fetch: http.fetch,
            });
            await client.connect(transport);
            clients.push(client);
          }),
        );
        const deadline = Date.now() + SECONDS * 1000;
        cpuStart = cpuSecondsOf(server.pid);
        selfCpu = process.cpuUsage();
        await Promise.all(
          clients.map(async (client, i) => {
            let lastTask: string | undefined;
            while (Date.now() < deadline) {
              const roll = Math.random();
              let name: string;
              let args: Record<string, unknown>;
              if (roll < 0.15) {
                name = 'run';
                args = {
                  model: IMAGE_MODEL,
                  positivePrompt: `load test ${i} ${counts.calls}`,
                  width: 512,
                  height: 512,
                };
              } else if (roll < 0.25 && lastTask) {
                name = 'get_task_details';
                args = { taskUUID: lastTask };
              } else {
                [name, args] = pick<[string, Record<string, unknown>]>([
                  ['list_models', { category: pick(CATEGORIES), limit: 10 }],
                  ['list_models', { search: pick(['flux', 'video upscale', 'music', 'qwen']) }],
                  ['model_details', { air: pick(AIRS) }],
                  ['model_pricing', { air: pick(AIRS) }],
                  ['list_capabilities', {}],
                  ['model_schema', { model: pick(AIRS) }],
                ]);
              }
              try {
                const result = (await client.callTool({ name, arguments: args })) as ToolResult;
                if (result.isError) {
                  errors.push(
                    `${name}: ${result.content
                      .map((c) => c.text ?? '')
                      .join(' ')
                      .slice(0, 300)}`,
                  );
                } else if (name === 'run') {
                  lastTask = result.structuredContent?.taskUUID;
                  if (result.structuredContent?.status !== 'success')
                    errors.push(`run: status ${result.structuredContent?.status}`);
                }
              } catch (error) {
                const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
                errors.push(
                  `${name}: ${(error as Error).message.slice(0, 300)}${cause ? ` (${cause.code ?? ''} ${cause.message ?? ''})` : ''} at +${Math.round((Date.now() - deadline) / 1000 + SECONDS)} s`,
                );
              }
              counts.calls++;
              if (name === 'run') counts.runs++;
              else if (name === 'get_task_details') counts.taskDetails++;
              else counts.browse++;
            }
          }),
        );
        cpuLoad = cpuSecondsOf(server.pid) - cpuStart;
        const used = process.cpuUsage(selfCpu);
        selfCpuSeconds = (used.user + used.system) / 1e6;
      } finally {
        await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
      }

      // The clients' idle keep-alive sockets close after 1 s (their agent), the server's after 5 s: wait, bounded.
      let fdsAfter = fdsOf(server.pid);
      for (let waited = 0; waited < 20_000 && fdsAfter > fdsBefore + 10; waited += 500) {
        await sleep(500);
        fdsAfter = fdsOf(server.pid);
      }
      clearInterval(sampler);
      lag.disable();
      http.agent.destroy();
      const rssAfter = rssOf(server.pid);
      const charges = await sim.admin.charges();

      console.log(
        `load: ${CLIENTS} clients x ${SECONDS}s, calls ${counts.calls} (runs ${counts.runs}), errors ${errors.length}, peak RSS ${Math.round(rssPeak / MiB)} MiB (before ${Math.round(rssBefore / MiB)}), fds before/peak/after ${fdsBefore}/${fdsPeak}/${fdsAfter}`,
      );
      console.log(
        `load detail: browse ${counts.browse}, run ${counts.runs}, get_task_details ${counts.taskDetails}, ${(counts.calls / SECONDS).toFixed(0)} calls/s, server CPU ${((cpuLoad / SECONDS) * 100).toFixed(0)}% of one core, load generator CPU ${((selfCpuSeconds / SECONDS) * 100).toFixed(0)}% and event-loop delay p99 ${(lag.percentile(99) / 1e6).toFixed(0)} ms, upstream charges ${charges.length}, RSS after ${Math.round(rssAfter / MiB)} MiB`,
      );

      expect(errors.slice(0, 5)).toEqual([]);
      expect(errors).toHaveLength(0);
      expect(clients).toHaveLength(CLIENTS);
      expect(counts.runs).toBeGreaterThan(0);
      // Every run charged exactly once upstream; get_task_details never charges.
      expect(charges).toHaveLength(counts.runs);
      expect(rssPeak).toBeLessThan(1024 * MiB);
      expect(fdsPeak).toBeGreaterThanOrEqual(fdsBefore);
      expect(fdsAfter).toBeLessThanOrEqual(fdsBefore + 10);
    },
    (SECONDS + 150) * 1000,
  );
});
