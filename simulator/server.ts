import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { contentService } from './content-service.js';
import { loadFixtures } from './fixtures.js';
import { handleTasks } from './inference.js';
import { schemaService } from './schema-service.js';
import { type Faults, keyIdOf, SimState } from './state.js';

export interface SimulatorOptions {
  port?: number;
  host?: string;
  keys: string[];
  balance?: number;
  asyncDelayMs?: number;
  /** Another fixtures folder (default simulator/fixtures). */
  fixturesDir?: string;
}

export interface RunningSimulator {
  url: string;
  port: number;
  state: SimState;
  close(): Promise<void>;
}

const MAX_BODY = 20 * 1024 * 1024;

/** Starts the simulator: inference API, content service, schema service, media and an admin API on one port. */
export async function startSimulator(options: SimulatorOptions): Promise<RunningSimulator> {
  const data = loadFixtures(options.fixturesDir);
  const state = new SimState(options.keys, options.balance ?? 100);
  const hanging = new Set<ServerResponse>();
  let baseUrl = '';

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      if (!res.headersSent)
        sendJson(res, 500, { errors: [{ code: 'internalServerError', message: String(error) }] });
    });
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', baseUrl);
    const path = url.pathname;
    if (path === '/v1' || path === '/v1/') {
      if (req.method !== 'POST')
        return sendJson(res, 405, { errors: [{ code: 'methodNotAllowed', message: 'Use POST.' }] });
      return inference(req, res);
    }
    if (req.method === 'GET' && path.startsWith('/content/')) {
      const reply = contentService(data, path.slice('/content'.length), url.searchParams);
      return sendCacheable(req, res, reply.status, reply.body);
    }
    if (req.method === 'GET' && path.startsWith('/schemas/')) {
      const reply = schemaService(data, path.slice('/schemas'.length));
      return sendCacheable(req, res, reply.status, reply.body);
    }
    const media = /^\/media\/([0-9a-f-]{36})\.\w+$/.exec(path);
    if (req.method === 'GET' && media) {
      if (state.faults.mediaErrorCount > 0) {
        state.faults.mediaErrorCount--;
        return sendJson(res, 503, { error: 'service_unavailable' });
      }
      const file = state.media.get(media[1]!);
      if (!file) return sendJson(res, 404, { error: 'not_found' });
      res.writeHead(200, { 'content-type': file.mime, 'content-length': file.body.length });
      return void res.end(file.body);
    }
    if (path.startsWith('/__admin/'))
      return admin(req, res, path.slice('/__admin/'.length), url.searchParams);
    sendJson(res, 404, { error: 'not_found' });
  }

  async function inference(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    let tasks: unknown;
    try {
      tasks = JSON.parse(raw.toString('utf8'));
    } catch {
      return sendJson(res, 400, {
        errors: [{ code: 'invalidJson', message: 'The request body is not valid JSON.' }],
      });
    }
    if (!Array.isArray(tasks) || tasks.some((t) => typeof t !== 'object' || t === null || Array.isArray(t))) {
      return sendJson(res, 400, {
        errors: [
          { code: 'invalidRequestBody', message: 'The request body must be a JSON array of task objects.' },
        ],
      });
    }
    const { apiKey, rest } = authenticate(req, tasks as Record<string, unknown>[]);
    const dryRun = req.headers['x-runware-dry-run'] === '1';
    state.requests.push({
      keyId: apiKey ? keyIdOf(apiKey) : null,
      at: new Date().toISOString(),
      dryRun,
      tasks: redact(rest),
    });

    const faults = state.faults;
    /** Every /v1 answer goes through here, so echoKeyCount can make any error echo the key. */
    const reply = (status: number, body: { data?: unknown[]; errors?: Array<Record<string, unknown>> }) => {
      if (faults.echoKeyCount > 0 && apiKey && body.errors?.length) {
        faults.echoKeyCount--;
        body = {
          ...body,
          errors: body.errors.map((e) => ({ ...e, message: `${String(e.message)} (API key ${apiKey})` })),
        };
      }
      sendJson(res, status, body);
    };
    if (faults.latencyMs > 0) await new Promise((r) => setTimeout(r, faults.latencyMs));
    if (faults.dropConnectionCount > 0) {
      faults.dropConnectionCount--;
      return void req.socket.destroy(); // no status line, no body: the client sees a reset connection
    }
    if (faults.hangCount > 0) {
      faults.hangCount--;
      hanging.add(res); // never answered: the client's timeout must fire
      res.on('close', () => hanging.delete(res));
      return;
    }
    if (faults.status429Count > 0) {
      faults.status429Count--;
      res.setHeader('retry-after', '0');
      return reply(429, {
        errors: [{ code: 'rateLimitExceeded', message: 'Too many requests. Retry later.' }],
      });
    }
    if (faults.status503Count > 0) {
      faults.status503Count--;
      return reply(503, {
        errors: [{ code: 'serviceUnavailable', message: 'The service is temporarily unavailable.' }],
      });
    }
    if (faults.malformedJsonCount > 0) {
      faults.malformedJsonCount--;
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end('{"data":[{"taskType":');
    }

    if (!apiKey) {
      return reply(401, {
        errors: [
          {
            code: 'missingApiKey',
            message: 'Missing API key. Send it as a Bearer token or in an authentication task.',
            parameter: 'apiKey',
            taskType: 'authentication',
          },
        ],
      });
    }
    const account = state.accounts.get(apiKey);
    if (!account || account.revoked) {
      return reply(401, {
        errors: [
          {
            code: 'invalidApiKey',
            message: 'Invalid API key. Get one at https://my.runware.ai/signup',
            parameter: 'apiKey',
            taskType: 'authentication',
          },
        ],
      });
    }
    if (rest.length === 0) {
      return reply(200, {
        data: [{ taskType: 'authentication', connectionSessionUUID: crypto.randomUUID() }],
      });
    }
    const answer = handleTasks(
      { state, data, baseUrl, asyncDelayMs: options.asyncDelayMs ?? 1500 },
      rest,
      apiKey,
      dryRun,
    );
    if (faults.lostReplyCount > 0) {
      faults.lostReplyCount--;
      return void req.socket.destroy(); // processed (and charged) upstream, but the answer never arrives
    }
    reply(answer.status, answer.body);
  }

  async function admin(
    req: IncomingMessage,
    res: ServerResponse,
    action: string,
    query: URLSearchParams,
  ): Promise<void> {
    const body =
      req.method === 'POST'
        ? (JSON.parse((await readBody(req)).toString('utf8') || '{}') as Record<string, unknown>)
        : {};
    switch (action) {
      case 'faults':
        if (req.method === 'POST') state.faults = { ...state.faults, ...(body as Partial<Faults>) };
        return sendJson(res, 200, state.faults);
      case 'keys':
        state.addKey(String(body.key), typeof body.balance === 'number' ? body.balance : undefined);
        return sendJson(res, 200, { keyId: keyIdOf(String(body.key)) });
      case 'revoke': {
        const account = state.accounts.get(String(body.key));
        if (account) account.revoked = true;
        return sendJson(res, 200, { revoked: Boolean(account) });
      }
      case 'balance': {
        const keyId = query.get('keyId') ?? (query.get('key') ? keyIdOf(query.get('key')!) : undefined);
        const account = [...state.accounts.values()].find((a) => a.keyId === keyId);
        return account
          ? sendJson(res, 200, { keyId, balance: account.balance })
          : sendJson(res, 404, { error: 'unknown key' });
      }
      case 'prices':
        // Runware changing a model's price: {air, price: PriceLine[]} (billing.ts)
        state.priceOverrides.set(String(body.air), body.price as unknown[]);
        return sendJson(res, 200, { air: body.air });
      case 'requests':
        return sendJson(res, 200, state.requests);
      case 'charges':
        return sendJson(res, 200, state.charges);
      case 'reset':
        state.reset();
        return sendJson(res, 200, { reset: true });
      default:
        return sendJson(res, 404, { error: 'unknown admin action' });
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;
  baseUrl = `http://${options.host ?? '127.0.0.1'}:${port}`;
  return {
    url: baseUrl,
    port,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Bearer header, or an authentication task as the first element (removed from the task list). */
function authenticate(req: IncomingMessage, tasks: Record<string, unknown>[]) {
  const header = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
  const first = tasks[0];
  if (first?.taskType === 'authentication') {
    return { apiKey: typeof first.apiKey === 'string' ? first.apiKey : header?.[1], rest: tasks.slice(1) };
  }
  return { apiKey: header?.[1], rest: tasks };
}

/** The request log never holds keys: tests read it. */
function redact(tasks: Record<string, unknown>[]): unknown[] {
  return tasks.map((t) => ('apiKey' in t ? { ...t, apiKey: '[redacted]' } : t));
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Content and schema services are cacheable: max-age plus a strong ETag, 304 on a matching If-None-Match. */
function sendCacheable(req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  const etag = `"${createHash('sha1').update(text).digest('base64url')}"`;
  if (status === 200 && req.headers['if-none-match'] === etag) {
    res.writeHead(304, { etag, 'cache-control': 'public, max-age=60' });
    return void res.end();
  }
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...(status === 200 ? { etag, 'cache-control': 'public, max-age=60' } : {}),
  });
  res.end(text);
}
