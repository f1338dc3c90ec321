import { createHmac } from 'node:crypto';

/**
 * A stable, non-secret owner id for an API key: a keyed hash, so the id reveals nothing about the key and
 * the same key always maps to the same owner (tasks survive restarts and reconnects).
 */
export function ownerIdFor(apiKey: string, pepper: string): string {
  return `own_${createHmac('sha256', pepper).update(apiKey).digest('hex').slice(0, 32)}`;
}
