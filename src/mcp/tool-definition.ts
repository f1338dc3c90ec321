import type {
  CallToolResult,
  ElicitRequestFormParams,
  ElicitResult,
  ToolAnnotations,
} from '@modelcontextprotocol/server';
import type { Catalog } from '../catalog/catalog.js';
import type { Config } from '../config/config.js';
import type { Logger } from '../config/logger.js';
import type { RunwareClient } from '../runware/client.js';
import type { Store } from '../store/store.js';
import type { McpTaskRunner, TaskWorkContext } from '../tasks/mcp-task-runner.js';
import type { TaskService } from '../tasks/task-service.js';

/** Who is calling: in stdio mode the local user; in hosted mode the OAuth grant's account. */
export interface Principal {
  /** Stable, non-secret owner id (a keyed hash of the API key); scopes task records. */
  ownerId: string;
  /** The Runware API key, decrypted server-side for this request only. Never logged, never returned. */
  apiKey: string | undefined;
  mode: 'stdio' | 'hosted';
  /** What a per-session budget counts against: stdio, this process; hosted, the OAuth grant. */
  sessionId?: string;
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
  /** MCP tasks (tools/call answered with a task handle), in the same store. */
  mcpTasks: McpTaskRunner;
  /** The shared store (opened lazily), for records other than tasks (budgets). */
  store: () => Promise<Store>;
  metrics?: ToolMetrics;
}

/** How a call can put a question to the user (form elicitation), depending on the client and the wire. */
export type UserInput =
  | { kind: 'none' }
  /** 2026-07-28 (multi round-trip): answer an input-required result; the client asks and calls again with the answers. */
  | { kind: 'retry'; responses: Record<string, unknown> | undefined }
  /** 2025 era on a live connection: elicitation/create now, answered on the same connection. */
  | {
      kind: 'request';
      elicit: (
        params: ElicitRequestFormParams,
        options: { signal: AbortSignal; timeout: number },
      ) => Promise<ElicitResult>;
    };

export interface ToolContext {
  principal: Principal;
  deps: ToolDeps;
  /** Aborted when the client cancels the request or the connection drops. */
  signal: AbortSignal;
  /** Sends notifications/progress when the client gave a progressToken; a no-op otherwise (in a task: its statusMessage). */
  progress: (progress: number, total?: number, message?: string) => Promise<void>;
  /** How long this call may wait on Runware: the run deadline, or a task's lifetime when it runs as an MCP task. */
  deadlineMs: number;
  /** Whether and how the user can be asked something during this call. */
  userInput: UserInput;
  /**
   * Runs `work` as an MCP task when the client takes one (the answer is then the task handle and `work` goes on
   * in the background, with `task` set), else right away. `taskId` names the task: a run's taskUUID, so the
   * task and the task record share one id.
   */
  asTask(
    taskId: string | undefined,
    work: (ctx: ToolContext, task?: TaskWorkContext) => Promise<CallToolResult>,
  ): Promise<CallToolResult>;
  /**
   * The folders the client lists as its MCP roots (absolute paths of its file:// roots), or undefined when it
   * declares no roots capability or cannot answer. Only stdio connections ask.
   */
  roots?: () => Promise<string[] | undefined>;
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
  /** Whether the tool can answer with an MCP task (`execution.taskSupport`); absent: never. */
  taskSupport?: 'optional' | 'required';
  handler: (args: Args, ctx: ToolContext) => Promise<CallToolResult>;
}
