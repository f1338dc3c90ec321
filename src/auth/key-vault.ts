import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../config/logger.js';
import type { Store } from '../store/store.js';

interface WrappedKey {
  v: 1;
  iv: string;
  tag: string;
  data: string;
  ownerId: string;
}

const NS = 'api-key';

/**
 * Runware API keys at rest: AES-256-GCM under a key-encryption key (KEK) that never enters the store, so a
 * copy of the database alone cannot unwrap them. One wrapped key per OAuth grant; the grant id is the AAD,
 * so a wrapped key cannot be moved to another grant.
 */
/** Unwrapped keys are kept briefly in memory: the MCP endpoint needs one per request. */
const CACHE_TTL_MS = 60_000;
const CACHE_MAX = 10_000;

export class KeyVault {
  private readonly unwrapped = new Map<string, { key: { apiKey: string; ownerId: string }; until: number }>();

  constructor(
    private readonly kek: Buffer,
    private readonly store: Store,
  ) {
    if (kek.length !== 32) throw new Error('The key-encryption key must be 32 bytes');
  }

  async put(grantId: string, apiKey: string, ownerId: string, ttlSeconds: number): Promise<void> {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.kek, iv);
    cipher.setAAD(Buffer.from(grantId));
    const data = Buffer.concat([cipher.update(apiKey, 'utf8'), cipher.final()]);
    const wrapped: WrappedKey = {
      v: 1,
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      data: data.toString('base64'),
      ownerId,
    };
    await this.store.set(NS, grantId, wrapped, ttlSeconds);
  }

  /** The API key and owner for a grant, or undefined when the grant has none (or it cannot be unwrapped). */
  async get(grantId: string): Promise<{ apiKey: string; ownerId: string } | undefined> {
    const cached = this.unwrapped.get(grantId);
    if (cached && cached.until > Date.now()) return cached.key;
    const key = await this.unwrap(grantId);
    if (key) {
      // Bounded: the oldest entry goes first (Map keeps insertion order).
      if (this.unwrapped.size >= CACHE_MAX) this.unwrapped.delete(this.unwrapped.keys().next().value!);
      this.unwrapped.set(grantId, { key, until: Date.now() + CACHE_TTL_MS });
    }
    return key;
  }

  private async unwrap(grantId: string): Promise<{ apiKey: string; ownerId: string } | undefined> {
    const wrapped = await this.store.get<WrappedKey>(NS, grantId);
    if (!wrapped) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.kek, Buffer.from(wrapped.iv, 'base64'));
      decipher.setAAD(Buffer.from(grantId));
      decipher.setAuthTag(Buffer.from(wrapped.tag, 'base64'));
      const apiKey = Buffer.concat([
        decipher.update(Buffer.from(wrapped.data, 'base64')),
        decipher.final(),
      ]).toString('utf8');
      return { apiKey, ownerId: wrapped.ownerId };
    } catch {
      return undefined; // wrong KEK or tampered record: treated as no key, the user reconnects
    }
  }

  delete(grantId: string): Promise<void> {
    this.unwrapped.delete(grantId);
    return this.store.delete(NS, grantId);
  }
}

/** The KEK from RUNWARE_MCP_KEK, or (embedded default) generated once into the data dir with a warning. */
export function loadKek(configured: string | undefined, dataDir: string, logger: Logger): Buffer {
  if (configured) return Buffer.from(configured, 'base64');
  const file = join(dataDir, 'kek');
  if (existsSync(file)) return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const kek = randomBytes(32);
  writeFileSync(file, kek.toString('base64'), { mode: 0o600 });
  chmodSync(file, 0o600);
  logger.warn(
    { file },
    'RUNWARE_MCP_KEK is not set: generated a key-encryption key into the data dir. Set RUNWARE_MCP_KEK (the same on every replica) for production.',
  );
  return kek;
}
