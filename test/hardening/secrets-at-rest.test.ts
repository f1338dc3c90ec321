import { spawnSync } from 'node:child_process';
import { createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  callToolRaw,
  type HostedServer,
  postToolsList,
  STORE_ENGINES,
  startHostedServer,
} from '../support/hosted-server.js';
import { freePort, type RedisServer, startRedis } from '../support/redis-server.js';
import { authorizationRequest, refresh, registerClient, signIn } from '../support/sign-in.js';
import { type SimulatorProcess, spawnSimulator } from '../support/simulator-process.js';
import { inspectStore } from '../support/store-inspector.js';

/**
 * Issue 14, the audit's findings about what the server keeps: a copy of the store alone yields nothing usable
 * (1), data files are private (4), a dead grant's key leaves the vault (5), a key the KEK can no longer unwrap
 * sends the client back to sign-in (8), and the KEK can come from a file (10). Each on both store engines
 * where the store is involved.
 */

const KEY = 'rw-at-rest-key-7a8b9c0d';
const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const refused = new Set<string>();

let sim: SimulatorProcess;
beforeAll(async () => {
  sim = await spawnSimulator({ keys: [KEY] });
});
afterAll(async () => {
  await sim?.stop();
  console.log(`oauth abuse (secrets at rest): ${refused.size} cases refused`);
});

/**
 * A store that outlives one server process (a data dir, and for Redis a redis-server of its own), served on one
 * port each time: the issuer and the tokens' audience stay the same across restarts.
 */
async function openStoreFor(engine: (typeof STORE_ENGINES)[number]) {
  const dataDir = mkdtempSync(join(tmpdir(), 'runware-at-rest-'));
  const redis: RedisServer | undefined = engine === 'redis' ? await startRedis() : undefined;
  const port = String(await freePort());
  return {
    dataDir,
    start: async (extra: { args?: string[]; env?: Record<string, string> } = {}) => {
      const server = await startHostedServer({
        apiUrl: sim.apiUrl,
        dataDir,
        args: ['--port', port, ...(redis ? ['--store', redis.url] : []), ...(extra.args ?? [])],
        ...(extra.env ? { env: extra.env } : {}),
      });
      return { ...server, ...(redis ? { redisUrl: redis.url } : {}) } as HostedServer;
    },
    stop: async () => redis?.stop(),
  };
}

const base64Kek = () => randomBytes(32).toString('base64');

/** keygrip's signature of a cookie (what oidc-provider's cookie layer checks): HMAC-SHA1, base64url. */
const cookieSignature = (name: string, value: string, key: string) =>
  createHmac('sha1', key).update(`${name}=${value}`).digest('base64url');

/** Every JSON string leaf of a stored value. */
function stringsIn(text: string): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (typeof v === 'string') out.push(v);
    else if (v && typeof v === 'object') for (const x of Object.values(v)) walk(x);
  };
  try {
    walk(JSON.parse(text));
  } catch {
    out.push(text);
  }
  return out;
}

describe.each(STORE_ENGINES)('secrets at rest on the %s store', (engine) => {
  let store: Awaited<ReturnType<typeof openStoreFor>>;
  let server: HostedServer;
  beforeAll(async () => {
    store = await openStoreFor(engine);
    server = await store.start();
  });
  afterAll(async () => {
    await server?.stop();
    await store?.stop();
  });

  describe('1. a copy of the store alone gives no working session, token or key', () => {
    it('holds no cookie, session, interaction, registration or token value in a usable form', async () => {
      const client = await registerClient(server.url);
      const confidential = await registerClient(server.url, {
        token_endpoint_auth_method: 'client_secret_post',
      });
      const victim = await signIn(server.url, client.client_id, KEY);
      expect(victim.tokens?.access_token).toBeTruthy();
      // An interaction still open in the victim's browser (the `_interaction`/`_resume` cookies name it).
      const pending = await fetch(
        authorizationRequest(server.url, client.client_id, { prompt: 'consent' }).url,
        {
          redirect: 'manual',
          headers: { cookie: victim.tab.jar.header() },
        },
      );
      const pendingCookies = pending.headers
        .getSetCookie()
        .map((line) => line.split(';')[0]!.split('=').slice(1).join('='))
        .filter(Boolean);
      expect(pendingCookies.length).toBeGreaterThan(0);

      const inspector = inspectStore(server);
      const copy = await inspector.everything();
      await inspector.close();
      const secrets: Array<[string, string]> = [
        ...[...victim.tab.jar.all()].map(([name, value]) => [`cookie ${name}`, value] as [string, string]),
        ...pendingCookies.map((value) => ['interaction cookie', value] as [string, string]),
        ['access token', victim.tokens!.access_token],
        ['refresh token', victim.tokens!.refresh_token],
        ['client secret', confidential.client_secret!],
        ['registration access token', confidential.registration_access_token!],
        ['API key', KEY],
      ];
      for (const [what, value] of secrets) {
        expect(value, what).toBeTruthy();
        expect(copy.includes(value), `${what} is in the store copy`).toBe(false);
      }
      refused.add(`${engine}: session, interaction, registration and token values in a store copy`);
    });

    it('forging a session cookie from the copy gives no authorization code', async () => {
      const client = await registerClient(server.url);
      const victim = await signIn(server.url, client.client_id, KEY);
      expect(victim.tokens).toBeDefined();
      // Control: the victim's own browser gets a new code without a page (same client, same session).
      const again = await signIn(server.url, client.client_id, 'unused', { tab: victim.tab });
      expect(again.silent).toBe(true);
      expect(again.callback?.searchParams.get('code')).toBeTruthy();

      const inspector = inspectStore(server);
      const sessionIds = (await inspector.records('oidc:Session')).map((r) => r.key);
      const keyCandidates = (await inspector.records('server')).flatMap((r) => stringsIn(r.text));
      await inspector.close();
      expect(sessionIds.length).toBeGreaterThan(0);
      let attempts = 0;
      for (const sessionId of sessionIds) {
        for (const cookieKey of keyCandidates) {
          const { url } = authorizationRequest(server.url, client.client_id);
          const res = await fetch(url, {
            redirect: 'manual',
            headers: {
              cookie: `_session=${sessionId}; _session.sig=${cookieSignature('_session', sessionId, cookieKey)}`,
            },
          });
          attempts++;
          const location = res.headers.get('location') ?? '';
          expect(location, `forged session ${sessionId.slice(0, 6)}…`).not.toMatch(/[?&]code=/);
        }
      }
      expect(attempts).toBeGreaterThan(0);
      refused.add(`${engine}: /authorize with a session cookie forged from a store copy`);
    });

    it('no string in the copy unwraps a stored API key', async () => {
      const inspector = inspectStore(server);
      const wrapped = await inspector.records('api-key');
      const candidates = new Set((await inspector.records()).flatMap((r) => [r.key, ...stringsIn(r.text)]));
      await inspector.close();
      expect(wrapped.length).toBeGreaterThan(0);
      for (const record of wrapped) {
        const { iv, tag, data } = JSON.parse(record.text) as { iv: string; tag: string; data: string };
        for (const candidate of candidates) {
          for (const key of [Buffer.from(candidate, 'base64'), Buffer.from(candidate, 'base64url')]) {
            if (key.length !== 32) continue;
            const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
            decipher.setAAD(Buffer.from(record.key));
            decipher.setAuthTag(Buffer.from(tag, 'base64'));
            expect(() =>
              Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]),
            ).toThrow();
          }
        }
      }
      refused.add(`${engine}: unwrapping a stored API key with anything in the store`);
    });
  });

  describe('5. a dead grant takes its wrapped key with it', () => {
    /** Signs in and answers the grant id of the one wrapped key the sign-in added. */
    async function signInWithGrant() {
      const client = await registerClient(server.url);
      const inspector = inspectStore(server);
      const before = new Set((await inspector.records('api-key')).map((r) => r.key));
      const session = await signIn(server.url, client.client_id, KEY);
      const added = (await inspector.records('api-key')).filter((r) => !before.has(r.key));
      await inspector.close();
      expect(added).toHaveLength(1);
      return { clientId: client.client_id, tokens: session.tokens!, grantId: added[0]!.key };
    }

    const vaultHas = async (grantId: string) => {
      const inspector = inspectStore(server);
      const found = (await inspector.records('api-key')).some((r) => r.key === grantId);
      await inspector.close();
      return found;
    };

    it('revoking the refresh token deletes the wrapped key', async () => {
      const { clientId, tokens, grantId } = await signInWithGrant();
      const res = await fetch(`${server.url}/revoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: tokens.refresh_token, client_id: clientId }),
      });
      expect(res.status).toBe(200);
      expect(await vaultHas(grantId)).toBe(false);
      refused.add(`${engine}: wrapped key kept after revocation`);
    });

    it('a reused refresh token revokes the grant and deletes the wrapped key', async () => {
      const { clientId, tokens, grantId } = await signInWithGrant();
      expect((await refresh(server.url, clientId, tokens.refresh_token)).status).toBe(200);
      expect(await vaultHas(grantId)).toBe(true);
      const reuse = await refresh(server.url, clientId, tokens.refresh_token);
      expect(reuse.status).toBe(400);
      expect(((await reuse.json()) as { error: string }).error).toBe('invalid_grant');
      expect(await vaultHas(grantId)).toBe(false);
      refused.add(`${engine}: wrapped key kept after refresh-token reuse`);
    });

    it('the wrapped key expires no later than the refresh token', async () => {
      const { grantId } = await signInWithGrant();
      const inspector = inspectStore(server);
      const key = (await inspector.records('api-key')).find((r) => r.key === grantId)!;
      const refreshTokens = (await inspector.records('oidc:RefreshToken')).filter((r) =>
        r.text.includes(`"grantId":"${grantId}"`),
      );
      await inspector.close();
      expect(refreshTokens).toHaveLength(1);
      expect(key.ttlSeconds).toBeDefined();
      expect(key.ttlSeconds!).toBeLessThanOrEqual(refreshTokens[0]!.ttlSeconds!);
      refused.add(`${engine}: wrapped key outliving its refresh token`);
    });
  });

  describe('8. a token whose key the KEK can no longer unwrap is refused', () => {
    it('answers 401 invalid_token after the KEK changed, so the client signs in again', async () => {
      const store = await openStoreFor(engine);
      try {
        const first = await store.start({ args: ['--kek', base64Kek()] });
        const client = await registerClient(first.url);
        const { tokens } = await signIn(first.url, client.client_id, KEY);
        expect((await postToolsList(first.mcpUrl, tokens!.access_token)).status).toBe(200);
        await first.stop();

        const second = await store.start({ args: ['--kek', base64Kek()] });
        try {
          const res = await callToolRaw(second.mcpUrl, tokens!.access_token, 'account');
          expect(res.status).toBe(401);
          expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
          expect((await postToolsList(second.mcpUrl, tokens!.access_token)).status).toBe(401);
          // Signing in again works on the new KEK.
          const again = await signIn(second.url, client.client_id, KEY);
          const account = await callToolRaw(second.mcpUrl, again.tokens!.access_token, 'account');
          expect(account.result?.structuredContent?.balance).toBeTypeOf('number');
        } finally {
          await second.stop();
        }
      } finally {
        await store.stop();
      }
      refused.add(`${engine}: token whose wrapped key no longer unwraps`);
    });
  });
});

describe('4. data files are private whatever the data dir mode', () => {
  it('creates the database, its -wal and -shm and the generated KEK 0600 in a 0755 directory', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'runware-modes-')), 'data');
    // What the Dockerfile's `mkdir -p /data` leaves: a directory others can read.
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    const server = await startHostedServer({ apiUrl: sim.apiUrl, dataDir });
    try {
      const client = await registerClient(server.url);
      expect((await signIn(server.url, client.client_id, KEY)).tokens).toBeDefined();
      for (const file of ['runware-mcp.db', 'runware-mcp.db-wal', 'runware-mcp.db-shm', 'kek']) {
        const mode = statSync(join(dataDir, file)).mode & 0o777;
        expect(mode.toString(8), file).toBe('600');
      }
    } finally {
      await server.stop();
    }
    refused.add('data files readable by other users');
  });
});

describe('10. the KEK from a file', () => {
  const kek = base64Kek();
  const kekFile = join(mkdtempSync(join(tmpdir(), 'runware-kek-')), 'kek.txt');
  writeFileSync(kekFile, `${kek}\n`, { mode: 0o600 });

  it('--kek-file and RUNWARE_MCP_KEK_FILE supply the KEK that wraps the keys', async () => {
    const store = await openStoreFor('sqlite');
    const first = await store.start({ args: ['--kek-file', kekFile] });
    let token: string;
    try {
      const client = await registerClient(first.url);
      token = (await signIn(first.url, client.client_id, KEY)).tokens!.access_token;
    } finally {
      await first.stop();
    }
    // The same KEK given another way unwraps what the file's KEK wrapped.
    const ways: Record<string, string>[] = [{ RUNWARE_MCP_KEK_FILE: kekFile }, { RUNWARE_MCP_KEK: kek }];
    for (const how of ways) {
      const server = await store.start({ env: how });
      try {
        const res = await callToolRaw(server.mcpUrl, token, 'account');
        expect(res.status, JSON.stringify(how)).toBe(200);
        expect(res.result?.structuredContent?.balance, JSON.stringify(res.result)).toBeTypeOf('number');
      } finally {
        await server.stop();
      }
    }
  });

  it('a missing or malformed KEK file, or both --kek and --kek-file, stop the server with a clear error', () => {
    const bad = join(tmpdir(), `runware-kek-bad-${process.pid}`);
    writeFileSync(bad, 'not base64 of 32 bytes');
    const run = (args: string[]) =>
      spawnSync(
        process.execPath,
        [CLI, 'serve', '--port', '0', '--data-dir', mkdtempSync(join(tmpdir(), 'k-')), ...args],
        {
          encoding: 'utf8',
          timeout: 20_000,
        },
      );
    const missing = run(['--kek-file', '/nonexistent/kek']);
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toMatch(/KEK file \/nonexistent\/kek/);
    const malformed = run(['--kek-file', bad]);
    expect(malformed.status).not.toBe(0);
    expect(malformed.stderr).toMatch(/must hold base64 of exactly 32 bytes/);
    expect(malformed.stderr).not.toContain('not base64 of 32 bytes');
    const both = run(['--kek', kek, '--kek-file', kekFile]);
    expect(both.status).not.toBe(0);
    expect(both.stderr).toMatch(/either --kek .* or --kek-file/);
    refused.add('malformed or conflicting KEK configuration');
  });

  it('--help offers --kek-file and warns that --kek shows in process lists', () => {
    const help = spawnSync(process.execPath, [CLI, 'serve', '--help'], { encoding: 'utf8' }).stdout;
    expect(help).toMatch(/--kek-file\s+RUNWARE_MCP_KEK_FILE/);
    const kekLine = help.slice(help.indexOf('  --kek '), help.indexOf('  --kek-file'));
    expect(kekLine).toMatch(/process lists/);
  });
});
