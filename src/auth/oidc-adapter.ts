import { createHash } from 'node:crypto';
import type { Store } from '../store/store.js';

type Payload = Record<string, unknown> & {
  grantId?: string;
  uid?: string;
  userCode?: string;
  consumed?: unknown;
  jti?: string;
};

/** Tokens and codes are looked up by their value, so only a hash of it is ever stored (as key or in payloads). */
const digest = (value: string) => createHash('sha256').update(value).digest('base64url');
const SECRET_MODELS = new Set([
  'AccessToken',
  'RefreshToken',
  'AuthorizationCode',
  'ClientCredentials',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
]);

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
export function createOidcAdapter(store: Store, accessTokens?: AccessTokenRecords) {
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
      const ttl = expiresIn && expiresIn > 0 ? expiresIn : undefined;
      const stored = this.secret ? { ...payload, jti: undefined } : payload;
      await store.set(this.ns, this.key(id), stored, ttl);
      if (payload.grantId)
        await store.addToIndex(`oidc:grant:${payload.grantId}`, `${this.name}|${this.key(id)}`, ttl);
      if (payload.uid) await store.set(`oidc:uid:${this.name}`, payload.uid, id, ttl);
      if (payload.userCode) await store.set(`oidc:usercode:${this.name}`, payload.userCode, id, ttl);
    }

    async find(id: string): Promise<Payload | undefined> {
      const found = await store.get<Payload>(this.ns, this.key(id));
      if (!found) return undefined;
      return this.secret ? { ...found, jti: id } : found;
    }

    async findByUid(uid: string): Promise<Payload | undefined> {
      const id = await store.get<string>(`oidc:uid:${this.name}`, uid);
      return id ? this.find(id) : undefined;
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

    async revokeByGrantId(grantId: string): Promise<void> {
      const index = `oidc:grant:${grantId}`;
      for (const member of await store.listIndex(index)) {
        const [model, key] = member.split('|') as [string, string];
        await this.remove(model, key);
      }
      await store.deleteIndex(index);
    }
  };
}
