import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import {
  type AuthInfo,
  createMcpHandler,
  validateHostHeader,
  validateOriginHeader,
} from '@modelcontextprotocol/server';
import { MCP_SCOPE } from '../auth/authorization-server.js';
import type { VerifiedToken } from '../auth/resource-server.js';
import type { Logger } from '../config/logger.js';
import type { ServerFactory } from '../mcp/server-factory.js';
import type { Principal } from '../mcp/tool-definition.js';
import type { Metrics } from './metrics.js';

const MAX_MCP_BODY = 1024 * 1024;
/**
 * An answer sent before the body was read (413, 401...) waits until the client has sent the rest, up to these
 * bounds: a client that is still sending when the connection closes sees a broken pipe instead of the answer.
 */
const DRAIN_MAX_BYTES = 16 * 1024 * 1024;
const DRAIN_MAX_MS = 5000;
/**
 * For answers sent before the request body was read (413 and early refusals): the rest of the body is still on
 * the connection, so it cannot carry another request. Kept alive, the client's next request would stall behind
 * it (or be reset).
 */
export const CLOSE_CONNECTION = { connection: 'close' };
/** 2025-era revisions, served statelessly: a single request may be answered with a plain JSON body. */
const LEGACY_VERSIONS = new Set(['2025-03-26', '2025-06-18', '2025-11-25']);
const NEVER_ABORTED = new AbortController().signal;

export interface McpEndpointOptions {
  /** The public base URL: issuer, resource and metadata URLs derive from it. */
  base: string;
  allowedHosts: string[];
  verifyToken: (token: string) => Promise<VerifiedToken | undefined>;
  factory: ServerFactory;
  logger: Logger;
  metrics: Metrics;
}

/**
 * The MCP endpoint (`/mcp` and `/`) on the raw Node request, because it is the hot path: DNS-rebinding checks,
 * the bearer check, then either a direct answer for hot read-only requests (catalog browsing: one JSON-RPC
 * request in, one JSON body out) or the SDK's Streamable HTTP handler for everything else (initialize,
 * notifications, batches, progress, `run`, the 2026 envelope, every malformed case).
 */
export function createMcpEndpoint(options: McpEndpointOptions) {
  const { base, factory } = options;
  // Host headers already accepted: validating parses a URL, and clients send the same one every time.
  const acceptedHosts = new Set<string>();
  const sdk = createMcpHandler(
    (ctx) => {
      // Only requests that passed the bearer check reach the handler, always with a principal.
      const principal = (ctx.authInfo?.extra as { principal?: Principal } | undefined)?.principal;
      if (!principal) throw new Error('MCP request without a verified principal');
      return factory.createServer(principal, ctx.era);
    },
    {
      maxRequestBodySize: MAX_MCP_BODY,
      onerror: (error) => options.logger.debug({ err: error.message }, 'mcp request rejected'),
    },
  );

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rejection = checkHostAndOrigin(req, options.allowedHosts, acceptedHosts);
    if (rejection) return sendJson(res, 403, rpcError(-32000, rejection));

    const path = (req.url ?? '/').split('?')[0];
    const metadata = `${base}/.well-known/oauth-protected-resource${path === '/mcp' ? '/mcp' : ''}`;
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!bearer) {
      return sendJson(
        res,
        401,
        { error: 'unauthorized', error_description: 'Sign in: this MCP server uses OAuth.' },
        { 'www-authenticate': `Bearer resource_metadata="${metadata}", scope="${MCP_SCOPE}"` },
      );
    }
    const verified = await options.verifyToken(bearer).catch((error: Error) => {
      options.metrics.storeError();
      options.logger.error({ err: error.message }, 'token verification failed');
      return 'unavailable' as const;
    });
    if (verified === 'unavailable') {
      return sendJson(
        res,
        503,
        {
          error: 'temporarily_unavailable',
          error_description: 'The server cannot verify tokens right now; try again.',
        },
        { 'retry-after': '5' },
      );
    }
    if (!verified) {
      return sendJson(
        res,
        401,
        { error: 'invalid_token', error_description: 'The access token is invalid, expired or revoked.' },
        {
          'www-authenticate': `Bearer error="invalid_token", error_description="The access token is invalid, expired or revoked", resource_metadata="${metadata}"`,
        },
      );
    }

    if (!canAnswerDirectly(req)) return forward(req, res, bearer, verified);

    const body = await readBody(req, MAX_MCP_BODY);
    if (body === 'too-large') return sendJson(res, 413, rpcError(-32000, 'Request body too large.'));
    const message = parseJson(body);
    const request = asSingleRequest(message);
    // Direct answers are catalog reads: nothing to cancel when the client goes away.
    const answer =
      request && factory.answerDirectly(verified.principal, request.method, request.params, NEVER_ABORTED);
    if (!request || !answer) return forward(req, res, bearer, verified, body, message);
    const result = await answer;
    await sendJson(res, 200, { jsonrpc: '2.0', id: request.id, result });
  }

  /** Hands the request to the SDK as a web Request (with the body already read, when it was) and streams back its Response. */
  async function forward(
    req: IncomingMessage,
    res: ServerResponse,
    token: string,
    verified: VerifiedToken,
    body?: Buffer,
    parsedBody?: unknown,
  ): Promise<void> {
    const authInfo: AuthInfo = {
      token,
      clientId: verified.clientId,
      scopes: verified.scopes,
      expiresAt: verified.expiresAt,
      resource: new URL(`${base}/mcp`),
      extra: { principal: verified.principal },
    };
    // Cancels the exchange in the SDK when the client goes away early (aborting costs a DOMException, so only then).
    const cancel = new AbortController();
    res.once('close', () => res.writableFinished || cancel.abort());
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    const request = new Request(`${base}${req.url ?? '/'}`, {
      method: req.method ?? 'GET',
      headers,
      signal: cancel.signal,
      ...(hasBody
        ? { body: body ?? (Readable.toWeb(req) as ReadableStream<Uint8Array>), duplex: 'half' }
        : {}),
    } as RequestInit);
    const response = await sdk.fetch(request, {
      authInfo,
      ...(parsedBody === undefined ? {} : { parsedBody }),
    });
    await writeResponse(res, response);
  }

  return { handle, close: () => sdk.close() };
}

function checkHostAndOrigin(
  req: IncomingMessage,
  allowedHosts: string[],
  acceptedHosts: Set<string>,
): string | undefined {
  const hostHeader = req.headers.host ?? '';
  if (!acceptedHosts.has(hostHeader)) {
    const host = validateHostHeader(hostHeader, allowedHosts);
    if (!host.ok) return host.message;
    if (acceptedHosts.size < 64) acceptedHosts.add(hostHeader);
  }
  if (req.headers.origin === undefined) return undefined;
  const origin = validateOriginHeader(req.headers.origin, allowedHosts);
  return origin.ok ? undefined : origin.message;
}

/** A 2025-era JSON POST: the only shape whose single requests we may answer with a plain JSON body. */
function canAnswerDirectly(req: IncomingMessage): boolean {
  const accept = req.headers.accept ?? '';
  return (
    req.method === 'POST' &&
    (req.headers['content-type'] ?? '').includes('application/json') &&
    accept.includes('application/json') &&
    accept.includes('text/event-stream') &&
    LEGACY_VERSIONS.has(String(req.headers['mcp-protocol-version']))
  );
}

interface SingleRequest {
  id: string | number;
  method: string;
  params: Record<string, unknown> | undefined;
}

function asSingleRequest(message: unknown): SingleRequest | undefined {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) return undefined;
  const { jsonrpc, id, method, params } = message as Record<string, unknown>;
  if (jsonrpc !== '2.0' || typeof method !== 'string') return undefined;
  if (typeof id !== 'string' && (typeof id !== 'number' || !Number.isInteger(id))) return undefined;
  if (params !== undefined && (typeof params !== 'object' || params === null || Array.isArray(params)))
    return undefined;
  return { id, method, params: params as Record<string, unknown> | undefined };
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined; // the SDK answers the parse error
  }
}

/** The body, refused on its declared length before reading and on its actual length while reading. */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  if (Number(req.headers['content-length'] ?? 0) > limit) return 'too-large';
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      req.off('data', onData);
      resolve('too-large');
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks, size)));
    req.once('error', reject);
  });
}

function rpcError(code: number, message: string) {
  return { jsonrpc: '2.0', error: { code, message }, id: null };
}

/** A 413, or any answer written before the whole request body arrived (e.g. the SDK's 415), closes the connection. */
function closeUnlessBodyRead(res: ServerResponse, status: number): Record<string, string> {
  return status === 413 || !res.req.complete ? CLOSE_CONNECTION : {};
}

/** Reads and discards the rest of the request body, within DRAIN_MAX_BYTES and DRAIN_MAX_MS. */
function drain(req: IncomingMessage): Promise<void> {
  if (req.complete) return Promise.resolve();
  return new Promise((resolve) => {
    let size = 0;
    const done = () => {
      clearTimeout(timer);
      req.off('data', onData).off('end', done).off('close', done);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > DRAIN_MAX_BYTES) done();
    };
    const timer = setTimeout(done, DRAIN_MAX_MS);
    req.on('data', onData).once('end', done).once('close', done);
    req.resume();
  });
}

async function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  if (!res.req.complete) await drain(res.req);
  const bytes = Buffer.from(JSON.stringify(body));
  res.writeHead(status, [
    'content-type',
    'application/json',
    'content-length',
    String(bytes.length),
    ...Object.entries({ ...headers, ...closeUnlessBodyRead(res, status) }).flat(),
  ]);
  res.end(bytes);
}

/** Streams a web Response (JSON or SSE) to the Node response, flushing each chunk as it comes. */
async function writeResponse(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length) headers['set-cookie'] = cookies;
  Object.assign(headers, closeUnlessBodyRead(res, response.status));
  res.writeHead(response.status, headers);
  if (!response.body) {
    res.end();
    return;
  }
  const reader = response.body.getReader();
  res.once('close', () => void reader.cancel().catch(() => undefined));
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value))
        await new Promise((resolve) => {
          res.once('drain', resolve);
          res.once('close', resolve);
        });
    }
  } catch {
    // the client went away mid-stream; the SDK has been told through the request signal
  }
  res.end();
}
