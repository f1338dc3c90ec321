import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import Provider, { type Configuration, errors } from 'oidc-provider';
import type { Logger } from '../config/logger.js';
import type { Store } from '../store/store.js';
import { type AccessTokenRecords, createOidcAdapter } from './oidc-adapter.js';
import { escapeHtml, messagePage } from './page-layout.js';
import type { ServerSecrets } from './server-secrets.js';

export const MCP_SCOPE = 'mcp';
/** Access tokens live long enough that mcp-remote's refresh-60-s-early never races them. */
export const ACCESS_TOKEN_TTL = 15 * 60;
export const REFRESH_TOKEN_TTL = 30 * 24 * 3600;

export interface AuthorizationServerOptions {
  issuer: string;
  /** The MCP resource URLs (/mcp and /); tokens are bound to the first one. */
  resources: string[];
  store: Store;
  accessTokens?: AccessTokenRecords;
  secrets: ServerSecrets;
  /** Seals what the adapter must store secret (client secrets). */
  kek: Buffer;
  /** Called when a grant is revoked (its wrapped key goes with it). */
  onGrantRevoked?: (grantId: string) => Promise<void>;
  logger: Logger;
}

/**
 * oidc-provider configured for MCP clients: authorization code + PKCE (S256 only), open dynamic registration
 * for public clients, client ID metadata documents, refresh-token rotation (reuse revokes the grant),
 * revocation, and resource indicators that bind opaque access tokens to this server's MCP URL.
 */
export function createAuthorizationServer(options: AuthorizationServerOptions): Provider {
  const [primaryResource] = options.resources;
  const configuration: Configuration = {
    adapter: createOidcAdapter(options.store, options.kek, {
      accessTokens: options.accessTokens,
      ...(options.onGrantRevoked ? { onGrantRevoked: options.onGrantRevoked } : {}),
    }) as never,
    clients: [],
    jwks: options.secrets.jwks as never,
    cookies: {
      keys: options.secrets.cookieKeys,
      long: { signed: true, httpOnly: true, sameSite: 'lax' },
      short: { signed: true, httpOnly: true, sameSite: 'lax' },
    },
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
    scopes: [MCP_SCOPE, 'offline_access'],
    claims: { openid: ['sub'] },
    responseTypes: ['code'],
    pkce: { required: () => true },
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      // Our only signing key is EC P-256.
      id_token_signed_response_alg: 'ES256',
    },
    enabledJWA: { idTokenSigningAlgValues: ['ES256'] },
    routes: {
      authorization: '/authorize',
      token: '/token',
      registration: '/register',
      revocation: '/revoke',
      jwks: '/jwks',
      end_session: '/session/end',
    },
    features: {
      devInteractions: { enabled: false },
      registration: { enabled: true, initialAccessToken: false },
      registrationManagement: { enabled: false },
      // Not mounted (MCP clients send plain authorization requests): not advertised either.
      pushedAuthorizationRequests: { enabled: false },
      revocation: { enabled: true },
      introspection: { enabled: false },
      userinfo: { enabled: false },
      rpInitiatedLogout: { enabled: false },
      clientIdMetadataDocument: {
        enabled: true,
        ack: 'draft-02',
        // An anonymous caller picks the URL this server fetches: never this machine or a private network.
        allowFetch: async (_ctx: unknown, clientId: string) => metadataFetchAllowed(clientId),
      } as never,
      resourceIndicators: {
        enabled: true,
        defaultResource: () => primaryResource!,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => {
          if (!options.resources.includes(resource)) throw new errors.InvalidTarget();
          return {
            scope: MCP_SCOPE,
            audience: primaryResource!,
            accessTokenTTL: ACCESS_TOKEN_TTL,
            accessTokenFormat: 'opaque',
          };
        },
      },
    },
    // Every MCP client gets a refresh token: connectors reconnect for weeks without a new login.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    // Tokens live by their own TTLs and die with their grant (revocation, refresh-token reuse), never with the
    // 24 h login session: an MCP connector must keep working for weeks, and the MCP endpoint then needs one
    // store read per request instead of three.
    expiresWithSession: () => false,
    ttl: {
      AccessToken: ACCESS_TOKEN_TTL,
      AuthorizationCode: 60,
      RefreshToken: REFRESH_TOKEN_TTL,
      Grant: REFRESH_TOKEN_TTL,
      Interaction: 30 * 60,
      Session: 24 * 3600,
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    // The validator sees every client's whole metadata (registered, loaded from the store, or a client ID
    // metadata document); `software_id`/`software_version` (RFC 7591) are the properties that make it run.
    extraClientMetadata: {
      properties: ['software_id', 'software_version'],
      validator: (_ctx, key, value, metadata) => {
        if (value !== undefined && (typeof value !== 'string' || value.length > 200)) {
          throw new errors.InvalidClientMetadata(`${key} must be a string of at most 200 characters`);
        }
        if (key === 'software_id') checkRedirectUris(metadata.redirect_uris);
      },
    },
    // Nothing to load (but its own stylesheet), nothing to follow, nothing to frame.
    renderError: async (ctx, out) => {
      const page = messagePage('Sign-in could not start', [
        `<code>${escapeHtml(String(out.error))}: ${escapeHtml(String(out.error_description ?? ''))}</code>`,
        'Go back to your app and connect again. If this keeps happening, the app asks for something this server does not allow: tell its developers what this page says.',
      ]);
      ctx.type = 'html';
      for (const [name, value] of Object.entries(page.headers)) ctx.set(name, value);
      ctx.body = page.html;
    },
  };
  const provider = new Provider(options.issuer, configuration);
  provider.proxy = true;
  provider.use(defaultScope);
  provider.on('server_error', (_ctx, error) =>
    options.logger.error({ err: error.message }, 'oauth server error'),
  );
  return provider;
}

/**
 * An authorization request without `scope` asks for the default scope (RFC 6749 §3.3): `mcp`. Without this,
 * oidc-provider grants nothing and answers access_denied after the key was accepted.
 */
async function defaultScope(
  ctx: { path: string; method: string; query: Record<string, unknown> },
  next: () => Promise<void>,
) {
  if (ctx.path === '/authorize' && ctx.method === 'GET' && !ctx.query.scope) {
    ctx.query = { ...ctx.query, scope: MCP_SCOPE };
  }
  await next();
}

const MAX_REDIRECT_URIS = 10;
const MAX_REDIRECT_URI_LENGTH = 2000;

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]']);

/** True for hostnames that can only mean this machine: localhost, 127.0.0.0/8, [::1]. */
function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127(\.\d{1,3}){3}$/.test(hostname);
}

const INTERNAL = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
] as const) {
  INTERNAL.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  // unspecified, loopback and the deprecated IPv4-compatible addresses (::a.b.c.d) all live in ::/96
  ['::', 96],
  ['::ffff:0:0', 96],
  ['fc00::', 7],
  ['fe80::', 10],
] as const) {
  INTERNAL.addSubnet(net, prefix, 'ipv6');
}

/**
 * Hostnames that name this machine or a private network by themselves: loopback and private IP literals,
 * `localhost` and `*.localhost` (with or without the root dot).
 */
export function isInternalHost(hostname: string): boolean {
  const host = bareHost(hostname).replace(/\.$/, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  const family = isIP(host);
  if (family === 4) return INTERNAL.check(host, 'ipv4');
  if (family === 6) return INTERNAL.check(host, 'ipv6');
  return false;
}

/** A URL's hostname without the brackets of an IPv6 literal. */
const bareHost = (hostname: string) => hostname.replace(/^\[|\]$/g, '');

/**
 * A client ID metadata document is fetched by this server on an anonymous caller's word, so its host must not
 * be this machine or a private network: neither by name nor by any address the name resolves to. A name that
 * cannot be resolved is refused too. (A name that changes its answer between this check and the fetch, DNS
 * rebinding, is not caught.)
 */
async function metadataFetchAllowed(clientId: string): Promise<boolean> {
  if (!URL.canParse(clientId)) return false;
  const { hostname } = new URL(clientId);
  if (isInternalHost(hostname)) return false;
  if (isIP(bareHost(hostname))) return true;
  const addresses = await lookup(hostname, { all: true, verbatim: true }).catch(() => []);
  return addresses.length > 0 && !addresses.some((a) => isInternalHost(a.address));
}

/**
 * What oidc-provider's own checks leave open (it already refuses fragments and, for web clients, every scheme
 * but http/https, for native ones javascript:, data:, file: and the like): credentials in a redirect URI
 * (`https://user@host/`, a phishing look-alike and a credential leak) and plain http to anything but this
 * machine (the authorization code would cross the network in clear text: RFC 8252 allows http only for
 * loopback). Malformed values are left to oidc-provider's checks, which follow and refuse them.
 */
function checkRedirectUris(uris: unknown): void {
  if (!Array.isArray(uris)) return;
  // Open registration stores what anyone sends: a registration stays small.
  if (
    uris.length > MAX_REDIRECT_URIS ||
    uris.some((u) => typeof u === 'string' && u.length > MAX_REDIRECT_URI_LENGTH)
  ) {
    throw new errors.InvalidClientMetadata(
      `redirect_uris: register at most ${MAX_REDIRECT_URIS} redirect_uris of at most ${MAX_REDIRECT_URI_LENGTH} characters each`,
    );
  }
  for (const uri of uris) {
    if (typeof uri !== 'string') continue;
    let parsed: URL;
    try {
      parsed = new URL(uri);
    } catch {
      continue;
    }
    if (parsed.username || parsed.password || /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(uri)) {
      throw new errors.InvalidClientMetadata('redirect_uris must not contain user information (user@host)');
    }
    if (parsed.protocol === 'http:' && !isLoopbackHost(parsed.hostname)) {
      throw new errors.InvalidClientMetadata(
        'redirect_uris using http must point to a loopback host (localhost, 127.0.0.1, [::1]); use https',
      );
    }
  }
}
