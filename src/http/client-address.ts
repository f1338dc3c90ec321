import type { IncomingMessage } from 'node:http';

/**
 * The client's address for rate limiting. Behind `trustedProxies` reverse proxies, each appends the address it
 * received the request from to X-Forwarded-For, so the client is that many entries from the right; entries
 * further left are client-supplied and never trusted. Without trusted proxies it is the socket address.
 */
export function clientAddress(req: IncomingMessage, trustedProxies: number): string {
  const socket = req.socket.remoteAddress ?? 'unknown';
  if (trustedProxies <= 0) return socket;
  const header = req.headers['x-forwarded-for'];
  const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  return hops[hops.length - trustedProxies] ?? hops[0] ?? socket;
}
