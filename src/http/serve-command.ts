import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApiKeyPage } from '../auth/api-key-page.js';
import { createAuthorizationServer } from '../auth/authorization-server.js';
import { KeyVault, loadKek } from '../auth/key-vault.js';
import { AccessTokenRecords } from '../auth/oidc-adapter.js';
import { createTokenVerifier } from '../auth/resource-server.js';
import { checkStoreAgainstKek, deriveServerSecrets } from '../auth/server-secrets.js';
import { ConfigError, loadConfig, renderHelp } from '../config/config.js';
import { createLogger } from '../config/logger.js';
import { createServerFactory } from '../mcp/server-factory.js';
import type { ToolDefinition } from '../mcp/tool-definition.js';
import { createToolDeps } from '../mcp/tool-deps.js';
import { openStore } from '../store/open-store.js';
import { ALL_TOOLS } from '../tools/index.js';
import { createApp } from './app.js';
import { createMetrics } from './metrics.js';

/**
 * `runware-mcp serve`: hosted MCP over Streamable HTTP behind OAuth 2.1. Prints a `listening` line when ready.
 * `tools` is the product's list; the conformance test adds the suite's fixture tools through it.
 */
export async function runServe(argv: string[], tools: ToolDefinition[] = ALL_TOOLS): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(renderHelp('serve'));
    return;
  }
  const config = loadConfig(argv);
  const logger = createLogger(config.logLevel);
  // The public URL may depend on the bound port (--port 0 in tests), so the app is built once listening.
  let handle: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const server = createServer((req, res) => {
    if (handle) return handle(req, res);
    res.writeHead(503, { 'retry-after': '1' }).end('starting');
  });
  // Idle keep-alive longer than the usual proxy idle timeout (60 s): the proxy, not this server, closes a
  // connection first, so it never reuses one this server just closed (the classic intermittent 502).
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new ConfigError(
              `port ${config.port} on ${config.host} is already in use; stop what listens there or pick another with --port (PORT)`,
            )
          : error,
      ),
    );
    server.listen(config.port, config.host);
  });
  // Opened once the port is ours: a port in use is then the only thing said.
  const store = await openStore(config);
  const kek = loadKek(config, config.dataDir, logger);
  await checkStoreAgainstKek(store, kek, logger);
  const secrets = deriveServerSecrets(kek);
  const port = (server.address() as AddressInfo).port;
  const publicUrl = (
    config.publicUrl ??
    `http://${config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host}:${port}`
  ).replace(/\/$/, '');
  const resources = [`${publicUrl}/mcp`, publicUrl, `${publicUrl}/`];

  const accessTokens = new AccessTokenRecords(store);
  const vault = new KeyVault(kek, store);
  const provider = createAuthorizationServer({
    issuer: publicUrl,
    resources,
    store,
    accessTokens,
    secrets,
    kek,
    // A revoked grant (revocation, refresh-token reuse) takes its wrapped key with it.
    onGrantRevoked: (grantId) => vault.delete(grantId),
    logger,
  });
  const metrics = createMetrics();
  provider.on('grant.success', () => metrics.grant('issued'));
  provider.on('grant.revoked', () => metrics.grant('revoked'));
  const deps = createToolDeps(config, logger, {
    store: async () => store,
    metrics: metrics.tools,
    onRetry: metrics.onRetry,
    onExchange: metrics.onExchange,
  });
  const { listener, close } = createApp({
    publicUrl,
    provider,
    page: createApiKeyPage({
      provider,
      store,
      vault,
      apiUrl: config.apiUrl,
      ownerPepper: secrets.ownerPepper,
      resources,
      logger,
    }),
    verifyToken: createTokenVerifier({ accessTokens, vault, resources }),
    factory: createServerFactory(deps, tools),
    store,
    logger,
    metrics,
    metricsToken: config.metricsToken,
    trustProxy: config.trustProxy,
    registrationLimit: config.registrationLimit,
    authorizeLimit: config.authorizeLimit,
  });
  handle = listener;
  process.stdout.write(
    `runware-mcp listening on http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port} (public URL ${publicUrl}, MCP endpoint ${publicUrl}/mcp, store ${store.engine})\n`,
  );
  logger.info({ publicUrl, store: store.engine, driver: store.driver }, 'runware-mcp serve ready');

  // Graceful shutdown: stop accepting, let in-flight requests finish (bounded), then close the store.
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    server.closeIdleConnections();
    const force = setTimeout(() => server.closeAllConnections(), 10_000);
    force.unref();
    server.close(async () => {
      await close().catch(() => undefined);
      await store.close();
      process.exit(0);
    });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}
