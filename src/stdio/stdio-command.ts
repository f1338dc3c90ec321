import { join } from 'node:path';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { loadConfig, renderHelp } from '../config/config.js';
import { createLogger } from '../config/logger.js';
import { createServerFactory } from '../mcp/server-factory.js';
import { createToolDeps } from '../mcp/tool-deps.js';
import { ownerIdFor } from '../tasks/owner.js';

/** `runware-mcp` with no command: one local user, the key from RUNWARE_API_KEY, MCP over stdin/stdout. */
export async function runStdio(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(renderHelp('stdio'));
    return;
  }
  const config = loadConfig(argv);
  const logger = createLogger(config.logLevel);
  const deps = createToolDeps(config, logger, {
    store: async () => {
      // SQLite is loaded only when the first task is recorded: browsing never pays for it.
      const { SqliteStore } = await import('../store/sqlite-store.js');
      return new SqliteStore(join(config.dataDir, 'runware-mcp.db'));
    },
  });
  const principal = {
    // Local tasks are scoped by key too, so switching keys never shows another account's tasks.
    ownerId: config.apiKey ? ownerIdFor(config.apiKey, 'runware-mcp-local') : 'local-no-key',
    apiKey: config.apiKey,
    mode: 'stdio' as const,
  };
  const factory = createServerFactory(deps);
  const handle = serveStdio(() => factory.createServer(principal), {
    onerror: (error) => logger.warn({ err: error.message }, 'stdio transport error'),
  });
  const stop = () => void handle.close().finally(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  process.stdin.once('end', stop);
  logger.debug({ hasKey: Boolean(config.apiKey), offline: config.offline }, 'runware-mcp stdio ready');
}
