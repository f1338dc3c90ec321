import { createECDH, createHmac, hkdfSync } from 'node:crypto';
import type { Logger } from '../config/logger.js';
import type { Store } from '../store/store.js';

export interface ServerSecrets {
  jwks: { keys: Record<string, unknown>[] };
  cookieKeys: string[];
  /** Keys the owner-id hash: stable across restarts and replicas, never the API key itself. */
  ownerPepper: string;
}

/**
 * The token-signing key, the cookie-signing key and the owner-id pepper, derived from the KEK (HKDF-SHA256, one
 * label each). Nothing of them is stored, so a copy of the store cannot sign a session cookie, and every
 * replica with the same KEK derives the same ones. A new KEK therefore signs everyone out: their wrapped keys
 * no longer unwrap either, and their clients are told to sign in again.
 */
export function deriveServerSecrets(kek: Buffer): ServerSecrets {
  const derive = (label: string, length = 32) =>
    Buffer.from(hkdfSync('sha256', kek, Buffer.alloc(0), `runware-mcp ${label}`, length));
  return {
    jwks: { keys: [signingKey(derive)] },
    cookieKeys: [derive('cookie key').toString('base64url')],
    ownerPepper: derive('owner pepper').toString('base64url'),
  };
}

/** An EC P-256 key from derived bytes (a scalar outside the curve's range, chance 2^-32, takes the next label). */
function signingKey(derive: (label: string, length?: number) => Buffer): Record<string, unknown> {
  for (let attempt = 0; ; attempt++) {
    const d = derive(`signing key ${attempt}`);
    const ecdh = createECDH('prime256v1');
    try {
      ecdh.setPrivateKey(d);
    } catch {
      continue;
    }
    const point = ecdh.getPublicKey(); // 0x04 || x || y
    return {
      kty: 'EC',
      crv: 'P-256',
      d: d.toString('base64url'),
      x: point.subarray(1, 33).toString('base64url'),
      y: point.subarray(33).toString('base64url'),
      kid: derive('signing key id', 8).toString('hex'),
      alg: 'ES256',
      use: 'sig',
    };
  }
}

/**
 * Start-up checks of the store against this KEK: removes the clear-text secrets record earlier versions kept
 * (it let a store copy forge sessions), and warns when the store was last used with another KEK (a changed or
 * mistyped KEK, or replicas that disagree), since every user then has to sign in again. The check value is an
 * HMAC under the KEK: it tells two KEKs apart and reveals nothing of either.
 */
export async function checkStoreAgainstKek(store: Store, kek: Buffer, logger: Logger): Promise<void> {
  if (await store.get('server', 'secrets')) {
    await store.delete('server', 'secrets');
    logger.warn(
      'Removed the signing and cookie keys earlier versions kept in the store; they are now derived from the KEK. Users sign in again once.',
    );
  }
  const check = createHmac('sha256', kek).update('runware-mcp kek check').digest('base64url');
  const previous = await store.get<string>('server', 'kek-check');
  if (previous && previous !== check) {
    logger.warn(
      'This store was last used with a different key-encryption key: the API keys stored under the old one cannot be unwrapped, so every user signs in again. If you run several replicas, give them all the same RUNWARE_MCP_KEK.',
    );
  }
  if (previous !== check) await store.set('server', 'kek-check', check);
}
