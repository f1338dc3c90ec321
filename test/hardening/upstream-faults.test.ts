import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimulatorProcess, spawnSimulator } from '../support/simulator-process.js';
import { openToolSession, type TimedCall, type ToolSession } from '../support/tool-session.js';

const KEY = 'rw-faults-key-5c1e8b7a9d';
const BALANCE = 50;
/** The client-facing deadline of run / get_task_details, and the upstream request timeout under it. */
const DEADLINE_MS = 3000;
const UPSTREAM_TIMEOUT_MS = 1000;
/**
 * What a call may take beyond the deadline: the last poll's own 500 ms budget plus process and IPC overhead on
 * this shared 2-core machine. A correctness bound (no call hangs), not a performance figure.
 */
const MARGIN_MS = 1500;
const ENV = {
  RUNWARE_RUN_DEADLINE_MS: String(DEADLINE_MS),
  RUNWARE_UPSTREAM_TIMEOUT_MS: String(UPSTREAM_TIMEOUT_MS),
  RUNWARE_UPSTREAM_MAX_RETRIES: '4',
  RUNWARE_INLINE_IMAGE_MAX_BYTES: '0',
  // High enough never to refuse; it makes run price off-catalog models with a dry run first.
  RUNWARE_MAX_COST_PER_CALL: '100',
};
/** Every error must say what to do next. */
const ACTIONABLE = /try again|retry|get_task_details|run it again|new key|reconnect|top up/i;
const IMAGE = { model: 'runware:101@1', positivePrompt: 'a lighthouse in a gale', width: 512, height: 512 };
const VIDEO = {
  model: 'google:3@3',
  positivePrompt: 'waves on a breakwater',
  width: 1280,
  height: 720,
  duration: 4,
};

let sim: SimulatorProcess;
const kinds = new Set<string>();
let totalCalls = 0;
let doubleCharges = 0;
let slowest = { ms: 0, label: '' };

beforeAll(async () => {
  // Async tasks take longer than the deadline: run answers "processing" and get_task_details finishes them.
  sim = await spawnSimulator({ keys: [KEY], balance: BALANCE, asyncDelayMs: 4000 });
});
afterAll(async () => {
  await sim?.stop();
  console.log(
    `upstream faults: ${kinds.size} fault kinds (${[...kinds].join(', ')}), ${totalCalls} calls, double charges ${doubleCharges}`,
  );
  console.log(
    `upstream faults: slowest call ${Math.round(slowest.ms)} ms (${slowest.label}); deadline ${DEADLINE_MS} ms + margin ${MARGIN_MS} ms`,
  );
});

describe.each(['stdio', 'sqlite'] as const)('upstream faults over %s', (kind) => {
  let s: ToolSession;
  const calls: Array<TimedCall & { label: string }> = [];
  /** Every task the server told the agent about, with what it said last. */
  const tasks = new Map<string, { status: string; cost?: number }>();

  async function call(label: string, name: string, args: Record<string, unknown>): Promise<TimedCall> {
    const c = await s.call(name, args);
    calls.push({ ...c, label });
    totalCalls++;
    if (c.ms > slowest.ms) slowest = { ms: c.ms, label: `${kind} ${label}` };
    if (process.env.FAULTS_VERBOSE) console.log(kind, label, Math.round(c.ms), c.text.slice(0, 160));
    // Every call ends within its deadline, with a result or an error that says what to do.
    expect(c.ms, `${label}: ${Math.round(c.ms)} ms`).toBeLessThan(DEADLINE_MS + MARGIN_MS);
    expect(c.protocolError, `${label}: ${c.text}`).toBe(false);
    const structured = c.result.structuredContent as { taskUUID?: string; status?: string; cost?: number };
    if (structured?.taskUUID) {
      tasks.set(structured.taskUUID, {
        status: String(structured.status),
        ...(structured.cost === undefined ? {} : { cost: structured.cost }),
      });
    }
    if (c.result.isError || structured?.status === 'processing') expect(c.text, label).toMatch(ACTIONABLE);
    const mentioned = /"taskUUID": "([0-9a-f-]{36})"/.exec(c.text)?.[1];
    if (mentioned && !tasks.has(mentioned)) tasks.set(mentioned, { status: 'unknown' });
    return c;
  }

  /** get_task_details until the task is final (each call keeps its own deadline). */
  async function settle(label: string, taskUUID: string): Promise<TimedCall> {
    let last = await call(`${label}: details`, 'get_task_details', { taskUUID });
    for (let i = 0; i < 5 && last.result.structuredContent?.status === 'processing'; i++) {
      last = await call(`${label}: details again`, 'get_task_details', { taskUUID });
    }
    return last;
  }

  const uuidOf = (c: TimedCall) =>
    String(c.result.structuredContent?.taskUUID ?? /"taskUUID": "([0-9a-f-]{36})"/.exec(c.text)?.[1] ?? '');

  async function withFault(fault: Record<string, unknown>, work: () => Promise<void>): Promise<void> {
    kinds.add(Object.keys(fault)[0]!.replace(/Count$|Ms$/, ''));
    await sim.admin.faults(fault);
    try {
      await work();
    } finally {
      await sim.admin.faults(Object.fromEntries(Object.keys(fault).map((k) => [k, 0])));
    }
  }

  beforeAll(async () => {
    await sim.admin.reset();
    s = await openToolSession(kind, { apiUrl: sim.apiUrl, apiKey: KEY, env: ENV });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('rides out short bursts: latency, 429, 503, dropped connections, lost replies, malformed JSON, a hang', async () => {
    const bursts: Array<Record<string, number>> = [
      { latencyMs: 600 },
      { status429Count: 2 },
      { status503Count: 2 },
      { dropConnectionCount: 2 },
      { lostReplyCount: 1 },
      { malformedJsonCount: 2 },
      { hangCount: 1 },
    ];
    const warm = await call('no fault', 'run', IMAGE);
    expect(warm.result.structuredContent).toMatchObject({ status: 'success' });
    for (const burst of bursts) {
      await withFault(burst, async () => {
        const label = JSON.stringify(burst);
        const image = await call(`${label} image`, 'run', IMAGE);
        expect(image.result.structuredContent, `${label}: ${image.text}`).toMatchObject({
          status: 'success',
        });
      });
    }
  });

  it('answers "processing" or a clear error when faults outlast the retries, and get_task_details settles each task', async () => {
    const long: Array<Record<string, number>> = [
      { latencyMs: 2500 },
      { status429Count: 20 },
      { status503Count: 20 },
      { dropConnectionCount: 20 },
      { malformedJsonCount: 20 },
      { hangCount: 20 },
    ];
    const pending: Array<[string, string]> = [];
    for (const fault of long) {
      await withFault(fault, async () => {
        const label = JSON.stringify(fault);
        const image = await call(`${label} image`, 'run', IMAGE);
        const status = image.result.structuredContent?.status;
        expect(image.result.isError || status === 'processing', `${label}: ${image.text}`).toBe(true);
        pending.push([label, uuidOf(image)]);
        if ('hangCount' in fault || 'latencyMs' in fault) {
          // The other keyed tools keep the same deadline (upstream archive, account, community search).
          for (const [name, args] of [
            ['get_task_details', { taskUUID: '00000000-0000-4000-8000-000000000000' }],
            ['account', {}],
            ['model_search', { search: 'dream' }],
            // Outside the catalog under a spend cap: the price comes from a dry run, which gets half the deadline.
            [
              'run',
              { model: 'civitai:4384@128713', taskType: 'imageInference', positivePrompt: 'a dry run' },
            ],
          ] as const) {
            const r = await call(`${label} ${name}`, name, args);
            const answered = r.result.isError || r.result.structuredContent?.status === 'processing';
            expect(answered, `${label} ${name}: ${r.text}`).toBe(true);
          }
        }
      });
    }
    // Faults cleared: every task ends in a result (it reached upstream) or a clear "run it again" (it never did).
    for (const [label, taskUUID] of pending) {
      expect(taskUUID, label).toMatch(/^[0-9a-f-]{36}$/);
      const settled = await settle(label, taskUUID);
      expect(['success', 'error'], `${label}: ${settled.text}`).toContain(
        settled.result.structuredContent?.status ?? (settled.result.isError ? 'error' : 'unknown'),
      );
    }
  });

  it('keeps polling an async task through faults, and reports a generation that failed', async () => {
    const video = await call('video', 'run', VIDEO);
    expect(video.result.structuredContent).toMatchObject({ status: 'processing' });
    await withFault(
      { status503Count: 2, dropConnectionCount: 2, malformedJsonCount: 1, status429Count: 2 },
      () =>
        settle('video under faults', uuidOf(video)).then((done) =>
          expect(done.result.structuredContent, done.text).toMatchObject({ status: 'success' }),
        ),
    );
    await withFault({ failTaskCount: 1 }, async () => {
      const doomed = await call('failing video', 'run', VIDEO);
      const done = await settle('failing video', uuidOf(doomed));
      expect(done.result.structuredContent).toMatchObject({ status: 'error' });
      expect(done.text).toMatch(/failed: timeoutProvider.*Run it again/s);
    });
  });

  it('charges no task twice: one charge per taskUUID, the balance agrees, failures cost nothing', async () => {
    const charges = await sim.admin.charges();
    const perTask = new Map<string, number>();
    for (const c of charges) perTask.set(c.taskUUID, (perTask.get(c.taskUUID) ?? 0) + 1);
    const twice = [...perTask].filter(([, n]) => n > 1);
    doubleCharges += twice.length;
    expect(twice).toEqual([]);
    const spent = charges.reduce((sum, c) => sum + c.cost, 0);
    expect(await sim.admin.balance(KEY)).toBeCloseTo(BALANCE - spent, 6);
    for (const [taskUUID, seen] of tasks) {
      const charged = perTask.get(taskUUID) ?? 0;
      if (seen.status === 'success') expect(charged, taskUUID).toBe(1);
      else if (seen.status === 'error') expect(charged, taskUUID).toBe(0);
      // A success reports exactly what was billed.
      if (seen.status === 'success' && seen.cost !== undefined) {
        expect(seen.cost).toBeCloseTo(charges.find((c) => c.taskUUID === taskUUID)!.cost, 6);
      }
    }
    // Nothing was charged that the agent was not told about.
    for (const taskUUID of perTask.keys()) expect(tasks.has(taskUUID), taskUUID).toBe(true);
  });

  it('tells the agent to fix the key when it is revoked mid-session, also for a task in flight', async () => {
    kinds.add('revokedKey');
    const video = await call('video before revocation', 'run', VIDEO);
    expect(video.result.structuredContent).toMatchObject({ status: 'processing' });
    const before = (await sim.admin.charges()).length;
    await sim.admin.revoke(KEY);
    const fix = kind === 'stdio' ? /Set a new key in RUNWARE_API_KEY/ : /Reconnect this MCP server/;
    for (const [label, name, args] of [
      ['in-flight task', 'get_task_details', { taskUUID: uuidOf(video) }],
      ['new run', 'run', IMAGE],
      ['account', 'account', {}],
    ] as const) {
      const r = await call(`revoked: ${label}`, name, args);
      expect(r.result.isError, label).toBe(true);
      expect(r.text, label).toMatch(fix);
    }
    expect((await sim.admin.charges()).length).toBe(before);
  });
});
