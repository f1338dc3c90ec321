import type { IncomingMessage, ServerResponse } from 'node:http';
import { getRequestListener, type HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { hostHeaderValidationResponse, originValidationResponse } from '@modelcontextprotocol/server';
import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type Provider from 'oidc-provider';
import type { createApiKeyPage, PageResult } from '../auth/api-key-page.js';
import { MCP_SCOPE } from '../auth/authorization-server.js';
import { messagePage } from '../auth/page-layout.js';
import type { Store } from '../store/store.js';
import { clientAddress } from './client-address.js';
import { CLOSE_CONNECTION, createMcpEndpoint, type McpEndpointOptions } from './mcp-endpoint.js';
import {
  createAuthorizeLimit,
  createRegistrationLimit,
  DEFAULT_AUTHORIZE_LIMIT,
  DEFAULT_REGISTRATION_LIMIT,
} from './registration-limit.js';

export interface AppOptions extends Omit<McpEndpointOptions, 'base' | 'allowedHosts'> {
  publicUrl: string;
  provider: Provider;
  page: ReturnType<typeof createApiKeyPage>;
  store: Store;
  /** Extra hostnames accepted in Host/Origin (besides the public URL's and loopback). */
  allowedHosts?: string[];
  /** When set, /metrics requires this bearer token. */
  metricsToken?: string | undefined;
  /** Reverse proxies whose X-Forwarded-For entries are trusted (see client-address.ts). */
  trustProxy?: number;
  /** Client registrations per IP per 10 minutes (0 = unlimited); see registration-limit.ts. */
  registrationLimit?: number;
  /** Authorization requests per IP per 10 minutes (0 = unlimited); see registration-limit.ts. */
  authorizeLimit?: number;
}

/** Paths oidc-provider answers itself. */
const OAUTH_PATHS = [
  '/authorize',
  '/token',
  '/register',
  '/revoke',
  '/jwks',
  '/.well-known/openid-configuration',
];

/**
 * The HTTP adapter: routing, headers and limits, as one Node request listener. The MCP endpoint is served on
 * the raw request (the hot path, see mcp-endpoint.ts); everything else goes through Hono: OAuth is
 * oidc-provider on the raw Node request, the API-key page is the authorization interaction.
 */
export function createApp(options: AppOptions) {
  const app = new Hono<{ Bindings: HttpBindings }>();
  const publicUrl = new URL(options.publicUrl);
  const base = publicUrl.toString().replace(/\/$/, '');
  const secure = publicUrl.protocol === 'https:';
  const allowedHosts = [
    publicUrl.hostname,
    'localhost',
    '127.0.0.1',
    '[::1]',
    ...(options.allowedHosts ?? []),
  ];
  const mcp = createMcpEndpoint({ ...options, base, allowedHosts });
  const registrations = createRegistrationLimit({
    store: options.store,
    limit: options.registrationLimit ?? DEFAULT_REGISTRATION_LIMIT,
  });
  const authorizations = createAuthorizeLimit({
    store: options.store,
    limit: options.authorizeLimit ?? DEFAULT_AUTHORIZE_LIMIT,
  });
  const address = (c: Context<{ Bindings: HttpBindings }>) =>
    clientAddress(c.env.incoming, options.trustProxy ?? 0);

  // DNS-rebinding protection: a foreign Host or Origin never reaches OAuth (nor MCP: see the endpoint).
  app.use('*', async (c, next) => {
    const rejected =
      hostHeaderValidationResponse(c.req.raw, allowedHosts) ??
      originValidationResponse(c.req.raw, allowedHosts);
    if (rejected) return rejected;
    await next();
    // Nothing this app serves is meant to be framed (oidc-provider answers on the raw response: see toProvider).
    if (c.env.outgoing.headersSent) return;
    if (!c.res.headers.has('x-frame-options')) c.header('x-frame-options', 'DENY');
    if (!c.res.headers.has('x-content-type-options')) c.header('x-content-type-options', 'nosniff');
  });

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    try {
      await options.store.ping();
      return c.json({ status: 'ready', store: options.store.engine });
    } catch {
      options.metrics.storeError();
      return c.json({ status: 'unavailable', store: options.store.engine }, 503);
    }
  });
  app.get('/metrics', async (c) => {
    if (options.metricsToken && c.req.header('authorization') !== `Bearer ${options.metricsToken}`) {
      return c.json({ error: 'unauthorized' }, 401, { 'www-authenticate': 'Bearer' });
    }
    return c.text(await options.metrics.registry.metrics(), 200, {
      'content-type': options.metrics.registry.contentType,
    });
  });

  const resourceMetadata = (resource: string) => ({
    resource,
    authorization_servers: [base],
    scopes_supported: [MCP_SCOPE],
    bearer_methods_supported: ['header'],
    resource_name: 'Runware MCP server',
    resource_documentation: 'https://runware.ai/docs',
  });
  // RFC 9728: each document describes the resource its URL is derived from (the root's 401 points to the first).
  app.get('/.well-known/oauth-protected-resource', (c) => c.json(resourceMetadata(`${base}/`)));
  app.get('/.well-known/oauth-protected-resource/mcp', (c) => c.json(resourceMetadata(`${base}/mcp`)));

  // RFC 8414 metadata is the OpenID discovery document (a superset) served at the OAuth path too.
  app.get('/.well-known/oauth-authorization-server', (c) =>
    toProvider(c, '/.well-known/openid-configuration'),
  );
  app.post('/register', async (c) => {
    const refused = await registrations.check(address(c));
    if (refused) return c.json(refused.body, refused.status as 429, refused.headers);
    return toProvider(c);
  });
  // Each authorization request starts an interaction record: counted per address before it reaches the provider.
  app.get('/authorize', async (c) => {
    const refused = await authorizations.check(address(c));
    if (!refused) return toProvider(c);
    const page = messagePage('Too many sign-in attempts', [
      refused.status === 429
        ? `Too many sign-in attempts from your network. Wait ${waitFor(refused.retryAfter)}, then connect again from your app.`
        : 'The server cannot start a sign-in right now. Try again in a moment.',
    ]);
    return c.html(page.html, refused.status, { ...page.headers, 'retry-after': String(refused.retryAfter) });
  });
  for (const path of OAUTH_PATHS) app.all(path, (c) => toProvider(c));
  app.all('/register/*', (c) => toProvider(c));
  app.all('/authorize/*', (c) => toProvider(c));

  app.get('/interaction/:uid', async (c) =>
    send(c, await options.page.show(c.env.incoming, c.env.outgoing, c.req.param('uid')), secure),
  );
  const interactionLimit = bodyLimit({
    maxSize: 16 * 1024,
    onError: (c) => c.text('Payload Too Large', 413, CLOSE_CONNECTION),
  });
  app.post('/interaction/:uid', interactionLimit, async (c) => {
    const form = Object.fromEntries(
      Object.entries(await c.req.parseBody()).map(([k, v]) => [k, typeof v === 'string' ? v : '']),
    );
    const result = await options.page.submit(
      c.env.incoming,
      c.env.outgoing,
      c.req.param('uid'),
      form,
      address(c),
    );
    return send(c, result, secure);
  });

  // A person who lands on an unknown path sees a page; programs get plain text.
  app.notFound((c) => {
    if (!(c.req.header('accept') ?? '').includes('text/html')) return c.text('Not Found', 404);
    const page = messagePage('Page not found', [
      'Nothing is served here. Connect to this server from your MCP app: it opens the sign-in page by itself.',
    ]);
    return c.html(page.html, 404, page.headers);
  });

  /** Hands the raw Node request to oidc-provider (optionally under another path) and lets it answer. */
  async function toProvider(c: Context<{ Bindings: HttpBindings }>, path?: string) {
    const { incoming, outgoing } = c.env;
    if (path) incoming.url = path;
    // Every URL the provider prints (endpoints, redirects) uses the public URL, whatever Host the client sent.
    incoming.headers['x-forwarded-host'] = publicUrl.host;
    incoming.headers['x-forwarded-proto'] = publicUrl.protocol.replace(':', '');
    // Anti-clickjacking on every provider answer (error pages set a stricter CSP of their own; the form_post
    // page adds its script hash to this one).
    outgoing.setHeader('x-frame-options', 'DENY');
    outgoing.setHeader('content-security-policy', "frame-ancestors 'none'; base-uri 'none'");
    outgoing.setHeader('x-content-type-options', 'nosniff');
    await options.provider.callback()(incoming, outgoing);
    return RESPONSE_ALREADY_SENT;
  }

  const web = getRequestListener((request, env) => app.fetch(request, env));
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/mcp' && path !== '/') return void web(req, res);
    mcp.handle(req, res).catch((error: Error) => {
      options.logger.error({ err: error.message }, 'mcp endpoint failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ jsonrpc: '2.0', error: { code: -32603, message: 'Internal error' }, id: null }),
      );
    });
  };
  return { listener, close: () => mcp.close() };
}

const waitFor = (seconds: number) =>
  seconds < 90 ? `${seconds} seconds` : `about ${Math.round(seconds / 60)} minutes`;

function send(c: Context, result: PageResult, secure: boolean) {
  for (const name of result.clearCookies ?? []) {
    const attributes = `path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; httponly; samesite=lax${secure ? '; secure' : ''}`;
    c.header('set-cookie', `${name}=; ${attributes}`, { append: true });
  }
  if (result.redirect) return c.redirect(result.redirect, 303);
  return c.html(result.html ?? '', result.status as 200, result.headers);
}
