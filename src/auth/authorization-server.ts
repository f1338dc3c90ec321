import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import Provider, { type Configuration, errors } from 'oidc-provider';
import type { Logger } from '../config/logger.js';
import type { Store } from '../store/store.js';
import { type AccessTokenRecords, createOidcAdapter } from './oidc-adapter.js';

export const MCP_SCOPE = 'mcp';
/** Access tokens live long enough that mcp-remote's refresh-60-s-early never races them. */
export const ACCESS_TOKEN_TTL = 15 * 60;
export const REFRESH_TOKEN_TTL = 30 * 24 * 3600;

export interface ServerSecrets {
  jwks: { keys: Record<string, unknown>[] };
  cookieKeys: string[];
  /** Keys the owner-id hash: stable across restarts and replicas, never the API key itself. */
  ownerPepper: string;
}

/**
 * Signing keys, cookie keys and the owner-id pepper, created once and shared through the store so every
 * replica agrees (setIfAbsent: the first replica to start wins). The KEK is deliberately NOT here.
 */
export async function loadServerSecrets(store: Store): Promise<ServerSecrets> {
  const existing = await store.get<ServerSecrets>('server', 'secrets');
  if (existing) return existing;
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = {
    ...(privateKey.export({ format: 'jwk' }) as Record<string, unknown>),
    kid: randomBytes(8).toString('hex'),
    alg: 'ES256',
    use: 'sig',
  };
  const fresh: ServerSecrets = {
    jwks: { keys: [jwk] },
    cookieKeys: [randomBytes(32).toString('base64url')],
    ownerPepper: randomBytes(32).toString('base64url'),
  };
  await store.setIfAbsent('server', 'secrets', fresh);
  return (await store.get<ServerSecrets>('server', 'secrets')) ?? fresh;
}

export interface AuthorizationServerOptions {
  issuer: string;
  /** The MCP resource URLs (/mcp and /); tokens are bound to the first one. */
  resources: string[];
  store: Store;
  accessTokens?: AccessTokenRecords;
  secrets: ServerSecrets;
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
    adapter: createOidcAdapter(options.store, options.accessTokens) as never,
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
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      for (const [name, value] of Object.entries(ERROR_PAGE_HEADERS)) ctx.set(name, value);
      ctx.body = `<!doctype html><meta charset="utf-8"><title>Authorization error</title><p>${escapeHtml(String(out.error))}: ${escapeHtml(String(out.error_description ?? ''))}</p>`;
    },
  };
  const provider = new Provider(options.issuer, configuration);
  provider.proxy = true;
  provider.on('server_error', (_ctx, error) =>
    options.logger.error({ err: error.message }, 'oauth server error'),
  );
  return provider;
}

/** OAuth error pages: nothing to load, nothing to frame. */
const ERROR_PAGE_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
};

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
  ['::', 127],
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

export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}
