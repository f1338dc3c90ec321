import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../config/config.js';
import type { Logger } from '../config/logger.js';
import type { Store } from '../store/store.js';

/** AES-256-GCM under the KEK; the AAD binds the sealed value to where it is stored. */
export interface Sealed {
  v: 1;
  iv: string;
  tag: string;
  data: string;
}

export function seal(kek: Buffer, plaintext: string, aad: string): Sealed {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', kek, iv);
  cipher.setAAD(Buffer.from(aad));
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return {
    v: 1,
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    data: data.toString('base64'),
  };
}

/** The plaintext, or undefined when the KEK or the AAD is not the one it was sealed with (or it was tampered with). */
export function unseal(kek: Buffer, sealed: Sealed, aad: string): string | undefined {
  try {
    const decipher = createDecipheriv('aes-256-gcm', kek, Buffer.from(sealed.iv, 'base64'));
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    return undefined;
  }
}

interface WrappedKey extends Sealed {
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
    const wrapped: WrappedKey = { ...seal(this.kek, apiKey, grantId), ownerId };
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
    // A wrong KEK or a tampered record reads as no key: the token is refused and the user signs in again.
    const apiKey = unseal(this.kek, wrapped, grantId);
    return apiKey === undefined ? undefined : { apiKey, ownerId: wrapped.ownerId };
  }

  delete(grantId: string): Promise<void> {
    this.unwrapped.delete(grantId);
    return this.store.delete(NS, grantId);
  }
}

/**
 * The KEK from RUNWARE_MCP_KEK (--kek), from the file RUNWARE_MCP_KEK_FILE (--kek-file) names, or (embedded
 * default) generated once into the data dir with a warning.
 */
export function loadKek(
  configured: { kek?: string | undefined; kekFile?: string | undefined },
  dataDir: string,
  logger: Logger,
): Buffer {
  if (configured.kek && configured.kekFile) {
    throw new ConfigError(
      'Set either --kek (RUNWARE_MCP_KEK) or --kek-file (RUNWARE_MCP_KEK_FILE), not both: they name the same key.',
    );
  }
  if (configured.kek) return Buffer.from(configured.kek, 'base64');
  if (configured.kekFile) return readKekFile(configured.kekFile);
  const file = join(dataDir, 'kek');
  if (existsSync(file)) return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const kek = randomBytes(32);
  writeFileSync(file, kek.toString('base64'), { mode: 0o600 });
  chmodSync(file, 0o600);
  logger.warn(
    { file },
    'RUNWARE_MCP_KEK is not set: generated a key-encryption key into the data dir. Set RUNWARE_MCP_KEK or RUNWARE_MCP_KEK_FILE (the same on every replica) for production.',
  );
  return kek;
}

/** The file holds base64 of 32 bytes (surrounding whitespace ignored); its content is never echoed. */
function readKekFile(file: string): Buffer {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `KEK file ${file} could not be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  const kek = Buffer.from(text.trim(), 'base64');
  if (kek.length !== 32 || !/^[A-Za-z0-9+/]+={0,2}$/.test(text.trim())) {
    throw new ConfigError(
      `KEK file ${file} must hold base64 of exactly 32 bytes (e.g. the output of: openssl rand -base64 32)`,
    );
  }
  return kek;
}
