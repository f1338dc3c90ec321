import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHostedServer } from './support/hosted-server.js';
import { type RedisServer, startRedis } from './support/redis-server.js';
import { type SimulatorProcess, spawnSimulator } from './support/simulator-process.js';
import { connectStdio, type StdioSession } from './support/stdio-client.js';
import { connectHosted, resultText, type ToolResult, timedCall } from './support/tool-session.js';

// Item 6's budgets: RUNWARE_BUDGET_PER_DAY (hosted: per account) and RUNWARE_BUDGET_PER_SESSION refuse a run that
// would go past them, saying what was spent and what remains, and the day's spending survives restarts.
const KEY = 'rw-budget-key-55e0';
// One key per round of the replica race: each round starts with an empty day (4 rounds = 8 sign-ins, under the
// key page's 10 per address per 10 minutes).
const RACE_KEYS = Array.from({ length: 4 }, (_, i) => `rw-budget-race-${i}-7f3a`);
// The simulator bills FLUX.1 [dev] $0.0105 an image; Veo 3.1 Fast 8 s at 720p $0.80. Its dry run prices exactly.
const FLUX = { model: 'runware:101@1', positivePrompt: 'a coin', width: 512, height: 512 };
const VEO = { model: 'google:3@3', positivePrompt: 'a slow coin', width: 1280, height: 720, duration: 8 };

let sim: SimulatorProcess;
const closers: Array<() => Promise<unknown>> = [];

async function start(env: Record<string, string>, dataDir?: string): Promise<StdioSession> {
  const session = await connectStdio(
    { RUNWARE_API_KEY: KEY, RUNWARE_API_URL: sim.apiUrl, RUNWARE_OUTPUT_DIR: 'off', ...env },
    dataDir ? { dataDir } : {},
  );
  closers.push(() => session.close());
  return session;
}
const call = async (session: StdioSession, args: Record<string, unknown>, name = 'run') =>
  (await session.client.callTool({ name, arguments: args })) as ToolResult;
const submitted = async () =>
  (await sim.admin.requests())
    .filter((r) => !r.dryRun)
    .flatMap((r) => r.tasks as Array<{ taskType: string }>)
    .filter((t) => t.taskType === 'imageInference' || t.taskType === 'videoInference');

beforeAll(async () => {
  sim = await spawnSimulator({ keys: [KEY, ...RACE_KEYS], balance: 1000, asyncDelayMs: 2500 });
});
afterAll(async () => {
  for (const close of closers) await close().catch(() => undefined);
  await sim?.stop();
});
beforeEach(() => sim.admin.reset());

describe('budgets (stdio)', () => {
  it('refuses past RUNWARE_BUDGET_PER_DAY with what was spent and what remains, and still after a restart', async () => {
    const env = { RUNWARE_BUDGET_PER_DAY: '0.05' };
    const first = await start(env);
    const four = await call(first, { ...FLUX, numberResults: 4 });
    expect(four.isError, resultText(four)).toBeFalsy();
    expect(four.structuredContent!.cost).toBeCloseTo(0.042, 6);

    const refused = await call(first, FLUX);
    expect(refused.isError).toBe(true);
    expect(resultText(refused)).toMatch(
      /^Refused by today's budget \(RUNWARE_BUDGET_PER_DAY \$0\.05\): This run would cost about \$0\.011, and \$0\.008 of \$0\.05 remains \(\$0\.042 spent since 00:00 UTC\)\. It starts again at 00:00 UTC \(in \d+ h \d+ min\).* Nothing was sent or charged\.$/,
    );
    await first.close();

    const again = await start(env, first.dataDir);
    expect(resultText(await call(again, FLUX))).toMatch(
      /\$0\.008 of \$0\.05 remains \(\$0\.042 spent since 00:00 UTC\)/,
    );
    // A raised budget takes the same ledger: the day's spending is still counted.
    const raised = await start({ RUNWARE_BUDGET_PER_DAY: '0.06' }, first.dataDir);
    expect((await call(raised, FLUX)).isError).toBeFalsy();
    expect(resultText(await call(raised, FLUX))).toMatch(/\$0\.0075 of \$0\.06 remains \(\$0\.053 spent/);
    expect(await submitted()).toHaveLength(2);
    expect((await sim.admin.charges()).reduce((sum, c) => sum + c.cost, 0)).toBeCloseTo(0.0525, 6);
  });

  it('RUNWARE_BUDGET_PER_SESSION counts this process only: a restart starts a new session', async () => {
    const env = { RUNWARE_BUDGET_PER_SESSION: '0.03' };
    const first = await start(env);
    expect((await call(first, { ...FLUX, numberResults: 2 })).isError).toBeFalsy();
    const refused = await call(first, FLUX);
    expect(resultText(refused)).toMatch(
      /^Refused by this session's budget \(RUNWARE_BUDGET_PER_SESSION \$0\.03\): This run would cost about \$0\.011, and \$0\.009 of \$0\.03 remains \(\$0\.021 spent since this server started\)\. Restarting the MCP server starts a new session/,
    );
    await first.close();
    const next = await start(env, first.dataDir);
    expect((await call(next, FLUX)).isError).toBeFalsy();
  });

  it('a run waiting for confirmation holds nothing of the budget; a run the budget refuses is never put to the user', async () => {
    const session = await start({ RUNWARE_BUDGET_PER_DAY: '0.05', RUNWARE_CONFIRM_ABOVE: '0.01' });
    const asked = await call(session, { ...FLUX, numberResults: 4 });
    expect(asked.isError).toBe(true);
    expect(resultText(asked)).toMatch(/confirmCost/);
    // Confirmed: $0.042 of $0.05 fits (it would not if the unconfirmed call had taken $0.042 already).
    const confirmed = await call(session, { ...FLUX, numberResults: 4, confirmCost: 0.042 });
    expect(confirmed.isError, resultText(confirmed)).toBeFalsy();
    const over = await call(session, { ...FLUX, numberResults: 2 });
    expect(resultText(over)).toMatch(/^Refused by today's budget/);
    expect(resultText(over)).not.toMatch(/confirmCost/);
    expect(await submitted()).toHaveLength(1);
  });

  it('a task still running counts its estimate, a failed one nothing', async () => {
    const session = await start({ RUNWARE_BUDGET_PER_DAY: '1', RUNWARE_RUN_DEADLINE_MS: '800' });
    const running = await call(session, VEO);
    expect(running.structuredContent).toMatchObject({ status: 'processing' });
    expect(resultText(await call(session, VEO))).toMatch(
      /about \$0\.80, and \$0\.20 of \$1\.00 remains \(\$0\.80 spent/,
    );
    expect((await call(session, { ...FLUX, numberResults: 2 })).isError).toBeFalsy();
    // Failed generations are not charged by Runware, so they spend nothing of the budget.
    await sim.admin.faults({ failTaskCount: 1 });
    const failed = await call(session, FLUX);
    expect(failed.structuredContent).toMatchObject({ status: 'error' });
    expect(resultText(await call(session, { ...FLUX, numberResults: 20 }))).toMatch(
      /\$0\.18 of \$1\.00 remains \(\$0\.82 spent/,
    );
  });
});

describe('budgets (hosted): per account, across connections and a restart, on both engines', () => {
  for (const engine of ['sqlite', 'redis'] as const) {
    it(`${engine}: a second sign-in with the same key shares the day's budget after the server restarts`, async () => {
      const redis: RedisServer | undefined = engine === 'redis' ? await startRedis() : undefined;
      if (redis) closers.push(() => redis.stop());
      const args = redis ? ['--store', redis.url] : [];
      const env = { RUNWARE_BUDGET_PER_DAY: '0.05', RUNWARE_BUDGET_PER_SESSION: '0.025' };
      const server = await startHostedServer({ apiUrl: sim.apiUrl, args, env });
      closers.push(() => server.stop());
      const first = await connectHosted(server, KEY);
      const spent = await timedCall(first, [], 'run', { ...FLUX, numberResults: 2 });
      expect(spent.result.isError, spent.text).toBeFalsy();
      const sessionRefusal = await timedCall(first, [], 'run', FLUX);
      expect(sessionRefusal.text).toMatch(
        /this session's budget .* \(\$0\.021 spent through this connection\)\. A new connection/,
      );
      await first.close();
      await server.stop();

      const restarted = await startHostedServer({ apiUrl: sim.apiUrl, args, env, dataDir: server.dataDir });
      closers.push(() => restarted.stop());
      const second = await connectHosted(restarted, KEY);
      closers.push(() => second.close());
      // A new connection is a new session, but the account's day already holds the first connection's $0.021.
      const more = await timedCall(second, [], 'run', { ...FLUX, numberResults: 2 });
      expect(more.result.isError, more.text).toBeFalsy();
      const refused = await timedCall(second, [], 'run', FLUX);
      expect(refused.result.isError).toBe(true);
      expect(refused.text).toMatch(
        /^Refused by today's budget \(RUNWARE_BUDGET_PER_DAY \$0\.05 for this account\): This run would cost about \$0\.011, and \$0\.008 of \$0\.05 remains \(\$0\.042 spent since 00:00 UTC\)/,
      );
      expect(await submitted()).toHaveLength(2);
    });
  }
});

describe('budgets across replicas', () => {
  it('two replicas on one Redis cannot both take what remains of an account’s day', async () => {
    const redis = await startRedis();
    closers.push(() => redis.stop());
    const env = { RUNWARE_BUDGET_PER_DAY: '0.015', RUNWARE_MCP_KEK: randomBytes(32).toString('base64') };
    const replicas = await Promise.all(
      [0, 1].map(() => startHostedServer({ apiUrl: sim.apiUrl, args: ['--store', redis.url], env })),
    );
    for (const r of replicas) closers.push(() => r.stop());
    // Each round: a fresh account whose day holds one $0.0105 image, asked for on both replicas at once.
    for (const key of RACE_KEYS) {
      const clients = await Promise.all(replicas.map((r) => connectHosted(r, key)));
      for (const c of clients) closers.push(() => c.close());
      const before = (await submitted()).length;
      const raced = await Promise.all(clients.map((c) => timedCall(c, [], 'run', FLUX)));
      const passed = raced.filter((r) => !r.result.isError).length;
      expect(passed, raced.map((r) => r.text).join('\n')).toBeLessThanOrEqual(1);
      for (const r of raced.filter((r) => r.result.isError))
        expect(r.text).toMatch(/^Refused by today's budget .* Nothing was sent or charged\.$/);
      // Both may have been refused; a refused run holds nothing, so asking again passes exactly then.
      const again = await timedCall(clients[0]!, [], 'run', FLUX);
      expect(again.result.isError ?? false, again.text).toBe(passed === 1);
      expect((await submitted()).length - before).toBe(1);
    }
  });
});
