import type { CallToolResult, ToolAnnotations } from '@modelcontextprotocol/server';
import type { Catalog } from '../catalog/catalog.js';
import type { Config } from '../config/config.js';
import type { Logger } from '../config/logger.js';
import type { RunwareClient } from '../runware/client.js';
import type { TaskService } from '../tasks/task-service.js';

/** Who is calling: in stdio mode the local user; in hosted mode the OAuth grant's account. */
export interface Principal {
  /** Stable, non-secret owner id (a keyed hash of the API key); scopes task records. */
  ownerId: string;
  /** The Runware API key, decrypted server-side for this request only. Never logged, never returned. */
  apiKey: string | undefined;
  mode: 'stdio' | 'hosted';
}

/** Hooks the hosted server feeds into Prometheus; absent in stdio mode. */
export interface ToolMetrics {
  toolCall(tool: string, outcome: 'ok' | 'error', seconds: number): void;
  spend(model: string, usd: number): void;
  asyncInFlight(delta: 1 | -1): void;
}

/** Long-lived services shared by every tool call; built once at start. */
export interface ToolDeps {
  config: Config;
  logger: Logger;
  catalog: Catalog;
  /** An upstream client bound to one API key (cheap: shares the keep-alive agent). */
  runware: (apiKey: string) => RunwareClient;
  tasks: TaskService;
  metrics?: ToolMetrics;
}

export interface ToolContext {
  principal: Principal;
  deps: ToolDeps;
  /** Aborted when the client cancels the request or the connection drops. */
  signal: AbortSignal;
  /** Sends notifications/progress when the client gave a progressToken; a no-op otherwise. */
  progress: (progress: number, total?: number, message?: string) => Promise<void>;
}

type JsonSchemaObject = { type: 'object'; properties?: Record<string, unknown>; [k: string]: unknown };

/**
 * A tool is plain data plus a handler, defined once at module load: schemas are JSON Schema objects
 * (no per-request conversion), so building a server per request costs nothing.
 */
export interface ToolDefinition<Args = Record<string, unknown>> {
  name: string;
  title: string;
  /** Written for an agent: what it does, when to use it, what it returns. Keep it short (tools/list is measured). */
  description: string;
  inputSchema: JsonSchemaObject;
  outputSchema?: JsonSchemaObject;
  annotations: ToolAnnotations;
  /** Listed as the tool's `_meta` (MCP Apps: which `ui://` app shows its results, who may call it). */
  _meta?: Record<string, unknown>;
  /** Needs a Runware API key; without one the factory answers a clear "set RUNWARE_API_KEY" error. */
  requiresKey: boolean;
  handler: (args: Args, ctx: ToolContext) => Promise<CallToolResult>;
}
