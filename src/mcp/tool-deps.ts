import { Catalog } from '../catalog/catalog.js';
import type { Config } from '../config/config.js';
import type { Logger } from '../config/logger.js';
import { type RetryInfo, RunwareClient, type RunwareClientOptions } from '../runware/client.js';
import { ContentClient } from '../runware/content-client.js';
import { SchemaClient } from '../runware/schema-client.js';
import type { Store } from '../store/store.js';
import { McpTaskRecords } from '../tasks/mcp-task-records.js';
import { McpTaskRunner } from '../tasks/mcp-task-runner.js';
import { createTaskService } from '../tasks/task-service.js';
import { VERSION } from '../version.js';
import type { ToolDeps, ToolMetrics } from './tool-definition.js';

export interface ToolDepsOptions {
  /** Opened lazily on the first task record (stdio keeps SQLite off its start-up path). */
  store: () => Promise<Store>;
  onRetry?: (info: RetryInfo) => void;
  onExchange?: RunwareClientOptions['onExchange'];
  metrics?: ToolMetrics;
}

/** The long-lived services every tool call shares, built once at start by the stdio and HTTP entries. */
export function createToolDeps(config: Config, logger: Logger, options: ToolDepsOptions): ToolDeps {
  const live = config.offline
    ? undefined
    : {
        content: new ContentClient({ baseUrl: config.contentUrl, timeoutMs: 5000 }),
        schemas: new SchemaClient({ baseUrl: config.schemasUrl, timeoutMs: 5000 }),
      };
  // Built on first use: tools/list and the handshake never wait for the snapshot to load.
  let catalog: Catalog | undefined;
  const getCatalog = () => {
    if (!catalog) {
      catalog = new Catalog({ live, logger });
      if (live) setImmediate(() => void catalog!.revalidate());
    }
    return catalog;
  };
  // Opened once, on first use, for task records, MCP tasks and budgets alike.
  let opened: Promise<Store> | undefined;
  const store = () => {
    opened ??= options.store();
    return opened;
  };
  return {
    config,
    logger,
    get catalog() {
      return getCatalog();
    },
    store,
    tasks: createTaskService({ store, logger }),
    mcpTasks: new McpTaskRunner(new McpTaskRecords(store), logger),
    ...(options.metrics ? { metrics: options.metrics } : {}),
    runware: (apiKey) =>
      new RunwareClient({
        apiUrl: config.apiUrl,
        apiKey,
        timeoutMs: config.upstreamTimeoutMs,
        maxRetries: config.upstreamMaxRetries,
        ...(options.onRetry ? { onRetry: options.onRetry } : {}),
        ...(options.onExchange ? { onExchange: options.onExchange } : {}),
        userAgent: `runware-mcp/${VERSION}`,
      }),
  };
}
