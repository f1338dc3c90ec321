import type Provider from 'oidc-provider';
import type { Principal } from '../mcp/tool-definition.js';
import { MCP_SCOPE } from './authorization-server.js';
import type { KeyVault } from './key-vault.js';

export interface VerifiedToken {
  principal: Principal;
  clientId: string;
  scopes: string[];
  expiresAt: number;
}

/**
 * Validates a bearer token for the MCP endpoint: it must exist (so revoked and rotated tokens fail at once),
 * be unexpired, carry our resource as audience, and belong to a grant whose API key the vault still holds.
 */
export function createTokenVerifier(options: { provider: Provider; vault: KeyVault; resources: string[] }) {
  return async (token: string): Promise<VerifiedToken | undefined> => {
    if (token.length > 2048) return undefined;
    const accessToken = await options.provider.AccessToken.find(token);
    if (!accessToken || accessToken.isExpired) return undefined;
    const audiences = ([] as unknown[]).concat(accessToken.aud ?? []);
    if (!audiences.some((a) => options.resources.includes(String(a)))) return undefined;
    const grantId = accessToken.grantId;
    const key = grantId ? await options.vault.get(grantId) : undefined;
    return {
      principal: {
        ownerId: key?.ownerId ?? String(accessToken.accountId),
        apiKey: key?.apiKey,
        mode: 'hosted',
      },
      clientId: String(accessToken.clientId),
      scopes: String(accessToken.scope ?? MCP_SCOPE)
        .split(' ')
        .filter(Boolean),
      expiresAt: Number(accessToken.exp),
    };
  };
}
