import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimulatorProcess, spawnSimulator } from '../support/simulator-process.js';
import { obtainTokens } from '../support/token-proxy.js';
import { openToolSession, SESSION_KINDS, type TimedCall, type ToolSession } from '../support/tool-session.js';

// A canary API key: distinctive enough that any hit, in any encoding, is a leak.
const CANARY = 'rw-CANARY-q7Zx2Lm9Wk4Tp8Vd-secret';
const FORMS: Array<[string, Buffer]> = [
  ['raw', Buffer.from(CANARY)],
  ['url-encoded', Buffer.from(encodeURIComponent(CANARY))],
  ['base64', Buffer.from(Buffer.from(CANARY).toString('base64').replace(/=+$/, ''))],
  ['base64url', Buffer.from(Buffer.from(CANARY).toString('base64url'))],
];
const ENV = {
  RUNWARE_RUN_DEADLINE_MS: '5000',
  RUNWARE_UPSTREAM_TIMEOUT_MS: '2000',
  RUNWARE_UPSTREAM_MAX_RETRIES: '1',
  LOG_LEVEL: 'debug',
};
const IMAGE = { model: 'runware:101@1', positivePrompt: 'a canary in a coal mine', width: 512, height: 512 };
const VIDEO = {
  model: 'google:3@3',
  positivePrompt: 'a canary flying',
  width: 1280,
  height: 720,
  duration: 4,
};

let sim: SimulatorProcess;
/** Everything searched, by category: each entry is one place (a log, a response, a file, a Redis key). */
const places = { logs: 0, responses: 0, sqlite: 0, 'data files': 0, 'redis keys': 0 };
const hits: string[] = [];

function search(category: keyof typeof places, name: string, bytes: Buffer): void {
  places[category]++;
  for (const [form, needle] of FORMS) if (bytes.includes(needle)) hits.push(`${category} ${name} (${form})`);
}

/** Upstream traffic straight from the test (another client using the same key): not part of what is searched. */
async function upstream(tasks: unknown[]): Promise<{ status: number; text: string }> {
  const res = await fetch(sim.apiUrl, {
    method: 'POST',
    headers: { authorization: `Bearer ${CANARY}`, 'content-type': 'application/json' },
    body: JSON.stringify(tasks),
  });
  return { status: res.status, text: await res.text() };
}

const video = () => ({
  taskType: 'videoInference',
  taskUUID: randomUUID(),
  model: 'google:3@3',
  width: 1280,
  height: 720,
  positivePrompt: 'ran elsewhere',
  deliveryMethod: 'async',
  includeCost: true,
});
const uuidOf = (c: TimedCall) => String(c.result.structuredContent?.taskUUID ?? '');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

function searchDataDir(session: ToolSession, when: string): void {
  for (const path of filesUnder(session.dataDir)) {
    const name = `${session.kind}:${relative(session.dataDir, path)} (${when})`;
    search(/\.db(-wal|-shm|-journal)?$/.test(path) ? 'sqlite' : 'data files', name, readFileSync(path));
  }
}

async function searchRedis(session: ToolSession): Promise<number> {
  const redis = new Redis(session.redis!.url);
  let keys = 0;
  try {
    for await (const batch of redis.scanStream({ count: 200 }) as AsyncIterable<string[]>) {
      for (const key of batch) {
        const dump = await redis.dumpBuffer(key);
        if (!dump) continue;
        keys++;
        search('redis keys', key, Buffer.concat([Buffer.from(key), dump]));
      }
    }
  } finally {
    redis.disconnect();
  }
  return keys;
}

beforeAll(async () => {
  sim = await spawnSimulator({ keys: [CANARY], balance: 50, asyncDelayMs: 800 });
});
afterAll(async () => {
  await sim?.stop();
  const total = Object.values(places).reduce((a, b) => a + b, 0);
  console.log(
    `secrets: ${total} places searched (logs ${places.logs}, responses ${places.responses}, sqlite ${places.sqlite}, data files ${places['data files']}, redis keys ${places['redis keys']}), hits ${hits.length}`,
  );
});

describe.each(SESSION_KINDS)('a canary API key over %s', (kind) => {
  let s: ToolSession;
  const calls: TimedCall[] = [];
  const call = async (name: string, args: Record<string, unknown>) => {
    const result = await s.call(name, args);
    calls.push(result);
    return result;
  };

  beforeAll(async () => {
    await sim.admin.reset();
    s = await openToolSession(kind, { apiUrl: sim.apiUrl, apiKey: CANARY, env: ENV });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('runs every tool successfully', async () => {
    const models = await call('list_models', { category: 'image', limit: 5 });
    expect(models.result.isError).toBeFalsy();
    for (const name of ['model_details', 'model_examples', 'model_pricing']) {
      expect((await call(name, { air: 'runware:101@1' })).result.isError, name).toBeFalsy();
    }
    expect((await call('list_capabilities', {})).result.isError).toBeFalsy();
    const schema = await call('model_schema', { model: 'runware:101@1' });
    expect(schema.result.isError).toBeFalsy();
    const uri = (schema.result.content.find((c) => c.type === 'resource') as { resource?: { uri: string } })
      ?.resource?.uri;
    if (uri) s.received.push(JSON.stringify(await s.client.readResource({ uri })));

    const image = await call('run', IMAGE);
    expect(image.result.structuredContent).toMatchObject({ status: 'success' });
    const clip = await call('run', VIDEO);
    expect(clip.result.structuredContent).toMatchObject({ status: 'success' });
    for (const done of [image, clip]) {
      const details = await call('get_task_details', { taskUUID: uuidOf(done) });
      expect(details.result.structuredContent).toMatchObject({ status: 'success' });
    }
    expect((await call('account', {})).result.isError).toBeFalsy();
    // The keyed tools beyond the eight: community search and media storage.
    expect((await call('model_search', { search: 'dream' })).result.isError).toBeFalsy();
    const png =
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
    expect(
      (await call('media_storage', { media: `data:image/png;base64,${png}` })).result.isError,
    ).toBeFalsy();
  });

  it('fails clearly on every error path, the upstream echoing the key into each error it sends', async () => {
    // Proof that the fault is live: the simulator itself does put the key into its error messages.
    await sim.admin.faults({ echoKeyCount: 1 });
    expect((await upstream([{ taskType: 'getResponse', taskUUID: randomUUID() }])).text).toContain(CANARY);
    await sim.admin.faults({ echoKeyCount: 100_000 });

    // Invalid arguments: refused before anything is sent.
    for (const [name, args] of [
      ['run', {}],
      ['run', { model: 'runware:101@1', positivePrompt: 'x', width: 'wide' }],
      ['get_task_details', { taskUUID: 'not-a-uuid' }],
      ['model_details', { air: 'nobody:0@0' }],
      ['model_schema', {}],
      ['list_models', { category: 'sculpture' }],
    ] as const) {
      const r = await call(name, args);
      expect(r.result.isError, `${name} ${JSON.stringify(args)}`).toBe(true);
    }
    // Upstream refuses a parameter (a model outside the catalog that upstream does not know).
    const refused = await call('run', {
      model: 'civitai:999999@1',
      taskType: 'imageInference',
      positivePrompt: 'x',
    });
    expect(refused.text).toMatch(/Runware rejected the request \(parameter model\)/);

    await sim.admin.faults({ insufficientCredits: true });
    expect((await call('run', IMAGE)).text).toMatch(/Insufficient Runware credits.*Top up/s);
    await sim.admin.faults({ insufficientCredits: false });

    // Transient failures outlasting the retries: the task stays "processing" and get_task_details explains it.
    const transient: TimedCall[] = [];
    for (const fault of ['status429Count', 'status503Count', 'malformedJsonCount']) {
      await sim.admin.faults({ [fault]: 10 });
      const r = await call('run', IMAGE);
      expect(r.result.isError, fault).toBe(true);
      expect(r.text, fault).toMatch(/retry|Retry|get_task_details/);
      transient.push(r);
      await sim.admin.faults({ [fault]: 0 });
    }
    for (const r of transient) {
      const taskUUID = /"taskUUID": "([0-9a-f-]{36})"/.exec(r.text)?.[1];
      if (!taskUUID) continue;
      const details = await call('get_task_details', { taskUUID });
      // Upstream never saw it (the faults answered before it ran): the record ends with upstream's own verdict.
      expect(details.text).toMatch(/taskFailedOrNotFound.*Run it again|no record of task .* Run it again/s);
    }

    // Generations that fail upstream, sync and async; then their records.
    await sim.admin.faults({ failTaskCount: 2 });
    for (const args of [IMAGE, VIDEO]) {
      const failed = await call('run', args);
      expect(failed.result.structuredContent).toMatchObject({ status: 'error' });
      expect(failed.text).toMatch(/failed: timeoutProvider.*Run it again/s);
      expect((await call('get_task_details', { taskUUID: uuidOf(failed) })).result.isError).toBe(true);
    }

    // Tasks another client ran with this key: get_task_details reads upstream's archive, failures included.
    const elsewhere = video();
    expect((await upstream([elsewhere])).status).toBe(200);
    await sim.admin.faults({ failTaskCount: 1 });
    const failedElsewhere = video();
    expect((await upstream([failedElsewhere])).status).toBe(200);
    await new Promise((r) => setTimeout(r, 900));
    const archived = await call('get_task_details', { taskUUID: elsewhere.taskUUID });
    expect(archived.result.structuredContent).toMatchObject({ status: 'success' });
    const archivedFailure = await call('get_task_details', { taskUUID: failedElsewhere.taskUUID });
    expect(archivedFailure.result.structuredContent).toMatchObject({ status: 'error' });
    expect(archivedFailure.text).toContain('[redacted]');
    expect((await call('get_task_details', { taskUUID: randomUUID() })).text).toMatch(/No task .* was found/);
    const gone = await call('media_storage', { operation: 'delete', media: randomUUID() });
    expect(gone.result.isError).toBe(true);

    // The key is revoked upstream: every keyed tool says to reconnect / set a new key.
    await sim.admin.revoke(CANARY);
    for (const [name, args] of [
      ['run', IMAGE],
      ['get_task_details', { taskUUID: randomUUID() }],
      ['account', {}],
    ] as const) {
      const r = await call(name, args);
      expect(r.result.isError, name).toBe(true);
      expect(r.text, name).toMatch(kind === 'stdio' ? /Set a new key in RUNWARE_API_KEY/ : /Reconnect/);
    }
    if (s.server) {
      // The key form's own error paths: the revoked key pasted again, then Runware down while it checks a key.
      expect(await signIn()).toMatch(/Runware rejected this API key/);
      await sim.admin.addKey(CANARY);
      await sim.admin.faults({ status503Count: 1000 });
      expect(await signIn()).toMatch(/could not be reached to check the key/);
      await sim.admin.faults({ status503Count: 0 });
    }
    await sim.admin.faults({ echoKeyCount: 0 });
  });

  /** A sign-in through the key form that is expected to fail; every body it sees is kept for the search. */
  async function signIn(): Promise<string> {
    const original = globalThis.fetch;
    const seen: string[] = [];
    globalThis.fetch = async (input, init) => {
      const res = await original(input, init);
      seen.push(await res.clone().text());
      return res;
    };
    try {
      await obtainTokens(s.server!.url, CANARY);
      return 'signed in';
    } catch (error) {
      return `${(error as Error).message}\n${seen.join('\n')}`;
    } finally {
      globalThis.fetch = original;
      s.received.push(...seen);
    }
  }

  it('leaves the canary nowhere: logs, every response, the data dir (SQLite and its WAL), every Redis key', async () => {
    expect(calls.length).toBeGreaterThan(30);
    for (const c of calls) expect(c.ms).toBeGreaterThan(0);
    searchDataDir(s, 'live');
    let redisKeys = 0;
    if (s.redis) redisKeys = await searchRedis(s);
    await s.close();
    searchDataDir(s, 'after shutdown');
    search('logs', `${kind} server log`, Buffer.from(s.logs()));
    s.received.forEach((body, i) => void search('responses', `${kind} #${i}`, Buffer.from(body)));
    calls.forEach((c, i) => void search('responses', `${kind} result #${i}`, Buffer.from(JSON.stringify(c))));

    expect(s.logs().length).toBeGreaterThan(1000); // debug logs were really written
    if (kind !== 'redis') expect(filesUnder(s.dataDir).some((f) => f.endsWith('.db'))).toBe(true);
    if (kind === 'redis') expect(redisKeys).toBeGreaterThan(10);
    expect(hits).toEqual([]);
  });
});
