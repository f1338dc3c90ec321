import type { Principal } from '../mcp/tool-definition.js';
import { MCP_SCOPE } from './authorization-server.js';
import type { KeyVault } from './key-vault.js';
import type { AccessTokenRecords } from './oidc-adapter.js';

export interface VerifiedToken {
  principal: Principal;
  clientId: string;
  scopes: string[];
  expiresAt: number;
}

/**
 * Validates a bearer token for the MCP endpoint: it must exist (so revoked and rotated tokens fail at once),
 * be an unexpired access token, carry our resource as audience, and belong to a grant whose API key the vault
 * still holds and can unwrap (a changed KEK or a lost key answers invalid_token, so the client signs in again
 * instead of holding a token that can do nothing). At most one store read: the token record oidc-provider wrote through our adapter (tokens do
 * not expire with the login session, see authorization-server.ts).
 */
export function createTokenVerifier(options: {
  accessTokens: AccessTokenRecords;
  vault: KeyVault;
  resources: string[];
}) {
  return async (token: string): Promise<VerifiedToken | undefined> => {
    if (token.length > 2048) return undefined;
    const payload = await options.accessTokens.find(token);
    if (payload?.kind !== 'AccessToken') return undefined;
    const expiresAt = Number(payload.exp);
    if (!(expiresAt > Date.now() / 1000)) return undefined;
    const audiences = ([] as unknown[]).concat(payload.aud ?? []);
    if (!audiences.some((a) => options.resources.includes(String(a)))) return undefined;
    const key = payload.grantId ? await options.vault.get(payload.grantId) : undefined;
    if (!key) return undefined;
    return {
      principal: {
        ownerId: key.ownerId,
        apiKey: key.apiKey,
        mode: 'hosted',
        sessionId: String(payload.grantId),
      },
      clientId: String(payload.clientId),
      scopes: String(payload.scope ?? MCP_SCOPE)
        .split(' ')
        .filter(Boolean),
      expiresAt,
    };
  };
}
