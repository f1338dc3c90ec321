import { generateKeyPairSync, randomBytes } from 'node:crypto';
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
      clientIdMetadataDocument: { enabled: true, ack: 'draft-02' } as never,
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
    renderError: async (ctx, out) => {
      ctx.type = 'html';
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

export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}
