import { randomUUID } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import { StdioServerTransport, serveStdio } from '@modelcontextprotocol/server/stdio';
import type { Config } from '../config/config.js';
import { createLogger } from '../config/logger.js';
import { createServerFactory } from '../mcp/server-factory.js';
import { createToolDeps } from '../mcp/tool-deps.js';
import { openLocalStore } from '../store/open-store.js';
import { ownerIdFor } from '../tasks/owner.js';

/** The SDK side of stdio mode (loaded by the front on demand): one local user, the key from RUNWARE_API_KEY. */
export function serveLocal(
  config: Config,
  inbound: Readable,
  outbound: Writable,
): { close(): Promise<void> } {
  const logger = createLogger(config.logLevel);
  const deps = createToolDeps(config, logger, {
    // SQLite is loaded only when the first task is recorded: browsing never pays for it.
    store: () => openLocalStore(config, logger),
  });
  const principal = {
    // Local tasks are scoped by key too, so switching keys never shows another account's tasks.
    ownerId: config.apiKey ? ownerIdFor(config.apiKey, 'runware-mcp-local') : 'local-no-key',
    apiKey: config.apiKey,
    mode: 'stdio' as const,
    // One process is one session: a per-session budget starts again on restart (the day's does not).
    sessionId: randomUUID(),
  };
  const factory = createServerFactory(deps);
  const handle = serveStdio((ctx) => factory.createServer(principal, ctx.era), {
    transport: new StdioServerTransport(inbound, outbound),
    onerror: (error) => logger.warn({ err: error.message }, 'stdio transport error'),
  });
  logger.debug({ hasKey: Boolean(config.apiKey), offline: config.offline }, 'runware-mcp stdio ready');
  return handle;
}
