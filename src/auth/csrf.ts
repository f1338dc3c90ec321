import { randomBytes } from 'node:crypto';
import type { Store } from '../store/store.js';

const CSRF_TTL = 30 * 60;

/**
 * The API-key form's CSRF tokens: each bound to one interaction and accepted once. Concurrent posts of one token
 * race to claim it with setIfAbsent (SET NX on Redis, one INSERT on SQLite), so exactly one wins on either
 * engine; a separate read-then-delete let several through.
 */
export function createCsrfTokens(store: Store) {
  return {
    async issue(uid: string): Promise<string> {
      const token = randomBytes(24).toString('base64url');
      await store.set('csrf', token, uid, CSRF_TTL);
      return token;
    },

    async consume(token: string | undefined, uid: string): Promise<boolean> {
      if (!token || (await store.get<string>('csrf', token)) !== uid) return false;
      if (!(await store.setIfAbsent('csrf-spent', token, true, CSRF_TTL))) return false;
      await store.delete('csrf', token);
      return true;
    },
  };
}
