import { createHash } from 'node:crypto';
import type { Store } from '../store/store.js';
import { type Sealed, seal, unseal } from './key-vault.js';

type Payload = Record<string, unknown> & {
  grantId?: string;
  uid?: string;
  userCode?: string;
  consumed?: unknown;
  jti?: string;
};

/**
 * Records whose id is a bearer secret: tokens and codes, and the ids the browser holds in cookies (session,
 * interaction) or a client holds (registration access token). They are looked up by that value, so only a hash
 * of it is ever stored (as key, in indexes and in payloads): a copy of the store names none of them.
 */
const digest = (value: string) => createHash('sha256').update(value).digest('base64url');
const SECRET_MODELS = new Set([
  'AccessToken',
  'RefreshToken',
  'AuthorizationCode',
  'ClientCredentials',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'Session',
  'Interaction',
  'RegistrationAccessToken',
  'PushedAuthorizationRequest',
]);
/** Registered clients expire when unused this long; every lookup (authorize, token, refresh) renews it. */
export const CLIENT_IDLE_TTL = 30 * 24 * 3600;
/** Stands for the interaction's own id in its stored resume URL (the URL ends with it). */
const OWN_ID = '{id}';

const ACCESS_TOKENS = 'oidc:AccessToken';
const CACHE_MAX = 10_000;

/**
 * Access-token records for the MCP endpoint's bearer check (the hot path). With the embedded SQLite engine this
 * process is the store's only writer, so records are cached and dropped exactly when the adapter deletes them
 * (revocation, grant revocation); with Redis, shared by replicas, every check reads the store so a revocation
 * on one replica holds on all of them at once. Expiry is checked by the caller on every use.
 */
export class AccessTokenRecords {
  private readonly cache = new Map<string, Payload>();
  private readonly cached: boolean;

  constructor(private readonly store: Store) {
    this.cached = store.engine === 'sqlite';
  }

  async find(token: string): Promise<Payload | undefined> {
    const key = digest(token);
    const hit = this.cache.get(key);
    if (hit) return hit;
    const payload = await this.store.get<Payload>(ACCESS_TOKENS, key);
    if (payload && this.cached) {
      if (this.cache.size >= CACHE_MAX) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(key, payload);
    }
    return payload;
  }

  /** Called by the adapter whenever it deletes an access token (key = the stored digest). */
  forget(key: string): void {
    this.cache.delete(key);
  }
}

/**
 * oidc-provider's storage adapter on our Store (SQLite or Redis). Grant-wide revocation goes through an index
 * of every record issued under a grant; uids and user codes have their own lookup keys.
 */
export function createOidcAdapter(
  store: Store,
  kek: Buffer,
  options: {
    accessTokens?: AccessTokenRecords | undefined;
    onGrantRevoked?: (grantId: string) => Promise<void>;
  } = {},
) {
  const { accessTokens } = options;
  return class StoreAdapter {
    private readonly ns: string;
    private readonly secret: boolean;

    constructor(private readonly name: string) {
      this.ns = `oidc:${name}`;
      this.secret = SECRET_MODELS.has(name);
    }

    private key(id: string): string {
      return this.secret ? digest(id) : id;
    }

    async upsert(id: string, payload: Payload, expiresIn?: number): Promise<void> {
      const ttl =
        this.name === 'Client' ? CLIENT_IDLE_TTL : expiresIn && expiresIn > 0 ? expiresIn : undefined;
      await store.set(this.ns, this.key(id), this.toStored(id, payload), ttl);
      if (payload.grantId)
        await store.addToIndex(`oidc:grant:${payload.grantId}`, `${this.name}|${this.key(id)}`, ttl);
      // Only sessions carry a uid; it is looked up for the stored record, whose id stays unknown (oidc-provider
      // only reads the account of a session found by uid).
      if (payload.uid) await store.set(`oidc:uid:${this.name}`, payload.uid, this.key(id), ttl);
      if (payload.userCode) await store.set(`oidc:usercode:${this.name}`, payload.userCode, id, ttl);
    }

    async find(id: string): Promise<Payload | undefined> {
      const found = await store.get<Payload>(this.ns, this.key(id));
      if (!found) return undefined;
      // A client's every use renews its idle expiry.
      if (this.name === 'Client') await store.set(this.ns, id, found, CLIENT_IDLE_TTL);
      return this.fromStored(id, found);
    }

    async findByUid(uid: string): Promise<Payload | undefined> {
      const key = await store.get<string>(`oidc:uid:${this.name}`, uid);
      return key ? store.get<Payload>(this.ns, key) : undefined;
    }

    /**
     * What is stored of a payload: never the secret id itself (an interaction's resume URL ends with it, and it
     * names its login session's id), and a client secret only sealed under the KEK.
     */
    private toStored(id: string, payload: Payload): Payload {
      if (this.name === 'Client' && typeof payload.client_secret === 'string') {
        return { ...payload, client_secret: seal(kek, payload.client_secret, `client_secret:${id}`) };
      }
      if (!this.secret) return payload;
      const stored: Payload = { ...payload, jti: undefined };
      if (this.name === 'Interaction') {
        if (typeof stored.returnTo === 'string') stored.returnTo = stored.returnTo.replace(id, OWN_ID);
        if (stored.session) stored.session = { ...(stored.session as object), cookie: undefined };
      }
      return stored;
    }

    private fromStored(id: string, stored: Payload): Payload | undefined {
      if (this.name === 'Client' && stored.client_secret && typeof stored.client_secret === 'object') {
        const secret = unseal(kek, stored.client_secret as Sealed, `client_secret:${id}`);
        // Sealed under another KEK: the client no longer authenticates and registers again.
        return secret === undefined ? undefined : { ...stored, client_secret: secret };
      }
      if (!this.secret) return stored;
      const payload: Payload = { ...stored, jti: id };
      if (typeof payload.returnTo === 'string') payload.returnTo = payload.returnTo.replace(OWN_ID, id);
      return payload;
    }

    async findByUserCode(userCode: string): Promise<Payload | undefined> {
      const id = await store.get<string>(`oidc:usercode:${this.name}`, userCode);
      return id ? this.find(id) : undefined;
    }

    async consume(id: string): Promise<void> {
      const found = await store.get<Payload>(this.ns, this.key(id));
      if (found) {
        const exp = typeof found.exp === 'number' ? found.exp - Math.floor(Date.now() / 1000) : undefined;
        await store.set(
          this.ns,
          this.key(id),
          { ...found, consumed: Math.floor(Date.now() / 1000) },
          exp && exp > 0 ? exp : undefined,
        );
      }
    }

    async destroy(id: string): Promise<void> {
      await this.remove(this.name, this.key(id));
    }

    private async remove(model: string, key: string): Promise<void> {
      await store.delete(`oidc:${model}`, key);
      if (model === 'AccessToken') accessTokens?.forget(key);
    }

    /** Revocation, refresh-token reuse: awaited before oidc-provider answers, so nothing of the grant outlives it. */
    async revokeByGrantId(grantId: string): Promise<void> {
      await options.onGrantRevoked?.(grantId);
      const index = `oidc:grant:${grantId}`;
      for (const member of await store.listIndex(index)) {
        const [model, key] = member.split('|') as [string, string];
        await this.remove(model, key);
      }
      await store.deleteIndex(index);
    }
  };
}
