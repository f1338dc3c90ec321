import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import {
  type CallToolResult,
  ProtocolError,
  ProtocolErrorCode,
  Server,
  type ServerContext,
  type ServerNotification,
} from '@modelcontextprotocol/server';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { Catalog } from '../catalog/catalog.js';
import { nameOf } from '../catalog/model-record.js';
import {
  declaresStudio,
  readStudioResource,
  STUDIO_URI,
  studioResourceListing,
  studioResult,
} from '../studio/studio-app.js';
import { MCP_TASK_TTL_MS, type McpTask } from '../tasks/mcp-task-records.js';
import type { TaskWork, TaskWorkContext } from '../tasks/mcp-task-runner.js';
import { TASK_RECORD_TTL_MS, type TaskRecord } from '../tasks/task-service.js';
import { ALL_TOOLS, APP_TOOLS } from '../tools/index.js';
import { schemaResourceUri } from '../tools/model-schema.js';
import { renderTask } from '../tools/task-result.js';
import { errorResult, toolError } from '../tools/tool-result.js';
import { buildListings, CAPABILITIES, INSTRUCTIONS, MODERN_CAPABILITIES, SERVER_INFO } from './listings.js';
import { PROMPTS } from './prompts.js';
import {
  clientCapabilitiesOf,
  type Era,
  registerTaskMethods,
  type TaskSource,
  type TaskWire,
  taskHandle,
  taskWireOf,
} from './task-methods.js';
import type { Principal, ToolContext, ToolDefinition, ToolDeps, UserInput } from './tool-definition.js';

const SCHEMA_URI = /^runware:\/\/models\/([^/]+)\/schema$/;
/**
 * Tool arguments nested deeper than this are refused before anything walks them: validation, the upstream
 * request body and task records all recurse, and thousands of levels overflow the stack.
 */
const MAX_ARGUMENT_DEPTH = 64;
const NO_USER_INPUT: UserInput = { kind: 'none' };
/** Tasks that any process can continue after their runner died: they follow a Runware task of the same id. */
const RESUMABLE_TOOLS = new Set(['run', 'get_task_details']);

interface CompiledTool {
  def: ToolDefinition;
  /** Compiled on the first call of the tool, then shared: start-up and tools/list never pay for it. */
  validate: () => ValidateFunction;
}

/**
 * Builds everything once (tool list, JSON Schemas, compiled argument validators, resource list) and returns
 * a per-principal factory that only wires prebuilt handlers into a fresh low-level Server: nearly free, which
 * matters because hosted mode builds a server per HTTP request.
 */
export function createServerFactory(
  deps: ToolDeps,
  tools: ToolDefinition[] = ALL_TOOLS,
  appTools: ToolDefinition[] = APP_TOOLS,
): ServerFactory {
  // Our own schemas are trusted: skipping meta-schema validation saves compiling the meta-schema at start.
  const ajv = new Ajv2020({ allErrors: true, strict: false, useDefaults: false, validateSchema: false });
  addFormats.default(ajv);
  const compiled = new Map<string, CompiledTool>(
    [...tools, ...appTools].map((def) => {
      let validator: ValidateFunction | undefined;
      return [def.name, { def, validate: () => (validator ??= ajv.compile(def.inputSchema)) }];
    }),
  );
  const { toolList, studioToolList, resourceTemplates, promptList } = buildListings(tools, appTools);
  const resourceList = (studio: boolean) => ({
    resources: [
      ...(studio ? [studioResourceListing(deps.config)] : []),
      ...deps.catalog.models().map((m) => ({
        uri: schemaResourceUri(m.air),
        name: `${m.air} schema`,
        title: `${nameOf(m)} parameters`,
        mimeType: 'application/schema+json',
      })),
    ],
  });

  async function callTool(
    principal: Principal,
    name: string,
    args: Record<string, unknown>,
    call: CallContext,
  ): Promise<CallToolResult> {
    const tool = compiled.get(name);
    // A tool error (not a protocol error) lets the model read the message and correct itself.
    if (!tool)
      return toolError(`Unknown tool "${name}". Available tools: ${[...compiled.keys()].join(', ')}.`);
    const started = performance.now();
    const result = await runTool(tool, principal, args, call);
    deps.metrics?.toolCall(name, result.isError ? 'error' : 'ok', (performance.now() - started) / 1000);
    return result;
  }

  async function runTool(
    tool: CompiledTool,
    principal: Principal,
    args: Record<string, unknown>,
    call: CallContext,
  ): Promise<CallToolResult> {
    if (nestedDeeperThan(args, MAX_ARGUMENT_DEPTH)) {
      return toolError(
        `Invalid arguments for ${tool.def.name}: nested more than ${MAX_ARGUMENT_DEPTH} levels deep. No tool takes that.`,
      );
    }
    const validate = tool.validate();
    if (!validate(args)) {
      const problems = (validate.errors ?? []).map((e) => {
        const field =
          e.instancePath.replace(/^\//, '').replace(/\//g, '.') ||
          (e.params as { missingProperty?: string; additionalProperty?: string }).missingProperty ||
          (e.params as { additionalProperty?: string }).additionalProperty ||
          'arguments';
        return `- ${field}: ${e.message}${e.keyword === 'enum' ? ` (${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')})` : ''}`;
      });
      return toolError(
        `Invalid arguments for ${tool.def.name}:\n${problems.join('\n')}${renameHint(validate.errors ?? [])}`,
      );
    }
    if (tool.def.requiresKey && !principal.apiKey) {
      return toolError(
        principal.mode === 'stdio'
          ? `${tool.def.name} needs a Runware API key. Set RUNWARE_API_KEY in this MCP server's environment (get a key at https://my.runware.ai) and restart it. Browse tools (list_models, model_details, model_pricing, model_schema, ...) work without one.`
          : `${tool.def.name} needs a Runware API key: reconnect this MCP server and paste your key.`,
      );
    }
    const { progressToken, notify, taskWire } = call;
    let handle: CallToolResult | undefined;
    const startTask = async (taskId: string | undefined, work: TaskWork, wire: Era) => {
      const seed = { taskId: taskId ?? randomUUID(), ownerId: principal.ownerId, tool: tool.def.name };
      handle = taskHandle(wire, await deps.mcpTasks.start(seed, work, { input: wire === 'modern' }));
      return handle;
    };
    const toolCtx: ToolContext = {
      principal,
      deps,
      signal: call.signal,
      ...(call.roots ? { roots: call.roots } : {}),
      progress: async (progress, total, message) => {
        if (progressToken === undefined || !notify) return;
        await notify({
          method: 'notifications/progress',
          params: {
            progressToken,
            progress,
            ...(total === undefined ? {} : { total }),
            ...(message ? { message } : {}),
          },
        }).catch(() => undefined);
      },
      deadlineMs: deps.config.runDeadlineMs,
      userInput: call.userInput ?? NO_USER_INPUT,
      asTask: (taskId, work) =>
        taskWire
          ? startTask(taskId, (task) => work(backgroundContext(principal, task, call.roots), task), taskWire)
          : work(toolCtx),
    };
    let result: CallToolResult;
    try {
      result = await tool.def.handler(args, toolCtx);
    } catch (error) {
      result = errorResult(error, principal);
    }
    // A 2025-era call that asked for a task gets one, even when the tool answered at once (a refusal, a finished task).
    if (taskWire === 'legacy' && !handle) {
      const answer = result;
      return startTask(undefined, async () => answer, 'legacy');
    }
    return result;
  }

  /** The context of work that goes on as an MCP task: the task's signal, its status line, its lifetime. */
  function backgroundContext(
    principal: Principal,
    task: TaskWorkContext,
    roots?: ToolContext['roots'],
  ): ToolContext {
    const ctx: ToolContext = {
      principal,
      deps,
      signal: task.signal,
      ...(roots ? { roots } : {}),
      progress: async (_progress, _total, message) => {
        if (message) task.status(message);
      },
      deadlineMs: MCP_TASK_TTL_MS,
      userInput: NO_USER_INPUT,
      asTask: (_taskId, work) => work(ctx, task),
    };
    return ctx;
  }

  /**
   * The caller's MCP tasks. One id space with the task records: any recorded Runware task of this owner reads as
   * a task too (a run that answered "processing" can be followed with tasks/get), and a task whose runner died is
   * continued here by following its Runware task.
   */
  function taskSource(principal: Principal): TaskSource {
    const { ownerId } = principal;
    const follow = compiled.get('get_task_details')?.def;
    const resume = (taskId: string): TaskWork | undefined =>
      follow && principal.apiKey
        ? (task) => follow.handler({ taskUUID: taskId }, backgroundContext(principal, task))
        : undefined;
    return {
      async find(taskId) {
        const task = await deps.mcpTasks.records.get(taskId, ownerId);
        if (task)
          return deps.mcpTasks.resumeIfOrphaned(task, () =>
            RESUMABLE_TOOLS.has(task.tool) ? resume(taskId) : undefined,
          );
        const record = await deps.tasks.get(taskId, ownerId);
        if (!record) return undefined;
        const work = record.status === 'processing' ? resume(taskId) : undefined;
        if (!work) return recordView(record);
        return deps.mcpTasks.start({ taskId, ownerId, tool: 'get_task_details' }, work, { input: false });
      },
      async list() {
        const [tasks, records] = await Promise.all([
          deps.mcpTasks.records.list(ownerId),
          deps.tasks.listForOwner(ownerId, 100),
        ]);
        const seen = new Set(tasks.map((t) => t.taskId));
        return [...tasks, ...records.filter((r) => !seen.has(r.taskUUID)).map(recordView)].sort((a, b) =>
          b.createdAt.localeCompare(a.createdAt),
        );
      },
    };
  }

  const createServer = (principal: Principal, era: Era = 'legacy') => {
    const capabilities = era === 'modern' ? MODERN_CAPABILITIES : CAPABILITIES;
    const server = new Server(SERVER_INFO, { capabilities, instructions: INSTRUCTIONS });
    // What the client declared: at initialize (stdio), or in each request's envelope (2026-07-28, which the SDK
    // copies into the per-request server). Stateless 2025-era HTTP requests declare nothing: today's answers.
    const studio = () => declaresStudio(server.getClientCapabilities());
    // Only a stdio connection lives long enough to ask the client for its roots (a push request).
    const roots = principal.mode === 'stdio' ? clientRoots(server, deps) : undefined;
    server.setRequestHandler('tools/list', () => (studio() ? studioToolList : toolList) as never);
    server.setRequestHandler('tools/call', async (request, ctx) => {
      const { name, arguments: args = {} } = request.params;
      const def = compiled.get(name)?.def;
      const result = await callTool(principal, name, args, {
        signal: ctx.mcpReq.signal,
        progressToken: ctx.mcpReq._meta?.progressToken,
        notify: (notification) => ctx.mcpReq.notify(notification),
        taskWire: taskWireOf(era, def, request.params as { task?: unknown }, ctx),
        userInput: userInputOf(era, server, ctx),
        ...(roots ? { roots } : {}),
      });
      // A task handle or an input-required round carries no tool content for the app to adjust.
      const plain = Array.isArray(result.content) && !('task' in result);
      const shown = def?._meta?.ui && studio() && plain ? studioResult(result, deps.catalog) : result;
      return server.projectCallToolResult(shown, def?.outputSchema);
    });
    registerTaskMethods(server, era, taskSource(principal), deps.mcpTasks);
    server.setRequestHandler('resources/list', () => resourceList(studio()));
    server.setRequestHandler('resources/templates/list', () => resourceTemplates);
    server.setRequestHandler('resources/read', (request) =>
      request.params.uri === STUDIO_URI
        ? readStudioResource(deps.config)
        : readSchemaResource(deps, request.params.uri),
    );
    // Schema resources change only with a catalog refresh: subscriptions are accepted and never fire.
    server.setRequestHandler('resources/subscribe', () => ({}));
    server.setRequestHandler('resources/unsubscribe', () => ({}));
    server.setRequestHandler('prompts/list', () => promptList);
    server.setRequestHandler('prompts/get', (request) =>
      getPrompt(request.params.name, request.params.arguments ?? {}),
    );
    return server;
  };

  /**
   * The hot read path of hosted mode: list methods and calls of catalog-only tools (read-only, closed-world:
   * no upstream, no progress, no notifications) answered from the same prebuilt handlers without building a
   * Server and a transport. Anything else (and anything malformed) is left to the SDK.
   */
  const answerDirectly = (
    principal: Principal,
    method: string,
    params: Record<string, unknown> | undefined,
    signal: AbortSignal,
  ): Promise<unknown> | undefined => {
    switch (method) {
      case 'ping':
        return Promise.resolve({});
      case 'tools/list':
        return Promise.resolve(toolList);
      case 'resources/list':
        return Promise.resolve(resourceList(false));
      case 'resources/templates/list':
        return Promise.resolve(resourceTemplates);
      case 'prompts/list':
        return Promise.resolve(promptList);
      case 'tools/call': {
        const tool = typeof params?.name === 'string' ? compiled.get(params.name) : undefined;
        const args = params?.arguments ?? {};
        const meta = params?._meta as { progressToken?: unknown } | undefined;
        const annotations = tool?.def.annotations;
        if (!tool || !annotations?.readOnlyHint || annotations.openWorldHint !== false) return undefined;
        if (typeof args !== 'object' || args === null || Array.isArray(args)) return undefined;
        if (meta?.progressToken !== undefined) return undefined;
        return callTool(principal, tool.def.name, args as Record<string, unknown>, { signal });
      }
      default:
        return undefined;
    }
  };

  return { createServer, answerDirectly };
}

export interface ServerFactory {
  /** A fresh low-level Server for one HTTP request or one stdio connection, of that era's wire. */
  createServer(principal: Principal, era?: Era): Server;
  /** The result for a hot read-only request, or undefined when the SDK must serve it. */
  answerDirectly(
    principal: Principal,
    method: string,
    params: Record<string, unknown> | undefined,
    signal: AbortSignal,
  ): Promise<unknown> | undefined;
}

/** What a tool call carries besides its arguments: cancellation, progress, tasks and questions, as the client can take them. */
interface CallContext {
  signal: AbortSignal;
  progressToken?: string | number | undefined;
  notify?: (notification: ServerNotification) => Promise<void>;
  taskWire?: TaskWire;
  userInput?: UserInput;
  roots?: () => Promise<string[] | undefined>;
}

/**
 * How this call can ask the user (form elicitation): on 2026-07-28 through input-required results, when the
 * request's capabilities list elicitation; on the 2025 wire by elicitation/create over the live connection, when
 * the client declared it at initialize (a stateless HTTP request has no such connection).
 */
function userInputOf(era: Era, server: Server, ctx: ServerContext): UserInput {
  const declared = (era === 'modern' ? clientCapabilitiesOf(ctx) : server.getClientCapabilities())
    ?.elicitation as { form?: unknown; url?: unknown } | undefined;
  // `elicitation: {}` means form (the 2025-06-18 shape); a client listing only url cannot show a form.
  if (!declared || (declared.form === undefined && declared.url !== undefined)) return NO_USER_INPUT;
  if (era === 'modern') return { kind: 'retry', responses: ctx.mcpReq.inputResponses };
  return { kind: 'request', elicit: (params, options) => ctx.mcpReq.elicitInput(params, options) };
}

/** A task record as an MCP task (one id space): processing reads as working, an ended task carries its result. */
function recordView(record: TaskRecord): McpTask {
  return {
    taskId: record.taskUUID,
    ownerId: record.ownerId,
    tool: 'run',
    status: record.status === 'processing' ? 'working' : 'completed',
    createdAt: record.createdAt,
    lastUpdatedAt: record.completedAt ?? record.updatedAt,
    ttlMs: TASK_RECORD_TTL_MS,
    ...(record.status === 'processing' ? {} : { result: renderTask(record) }),
  };
}

/** How long a client may take to answer roots/list before the configured roots are used instead. */
const ROOTS_TIMEOUT_MS = 5000;

/**
 * The client's MCP roots as absolute folder paths, asked once per connection and again after
 * notifications/roots/list_changed; undefined when the client declares no roots or does not answer.
 */
function clientRoots(server: Server, deps: ToolDeps): () => Promise<string[] | undefined> {
  let cached: Promise<string[] | undefined> | undefined;
  server.setNotificationHandler('notifications/roots/list_changed', () => {
    cached = undefined;
  });
  const ask = async () => {
    if (!server.getClientCapabilities()?.roots) return undefined;
    try {
      const { roots } = await server.listRoots(undefined, { timeout: ROOTS_TIMEOUT_MS });
      return roots.flatMap((r) => {
        try {
          return [fileURLToPath(r.uri)];
        } catch {
          return []; // not a local file:// URI: names nothing this server can read
        }
      });
    } catch (error) {
      deps.logger.warn({ err: (error as Error).message }, 'roots/list failed; using RUNWARE_FILE_ROOTS');
      cached = undefined;
      return undefined;
    }
  };
  return () => (cached ??= ask());
}

/** One missing required argument and one unknown argument: almost always the same value under the wrong name. */
function renameHint(errors: ErrorObject[]): string {
  const missing = errors.filter((e) => e.keyword === 'required' && !e.instancePath);
  const unknown = errors.filter((e) => e.keyword === 'additionalProperties' && !e.instancePath);
  if (missing.length !== 1 || unknown.length !== 1) return '';
  const wanted = (missing[0]!.params as { missingProperty: string }).missingProperty;
  const given = (unknown[0]!.params as { additionalProperty: string }).additionalProperty;
  return `\nRename "${given}" to "${wanted}" and call again.`;
}

/** Whether a JSON value nests arrays/objects more than `limit` levels (iterative: the value may be very deep). */
function nestedDeeperThan(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const [node, depth] = item;
    if (node === null || typeof node !== 'object') continue;
    if (depth >= limit) return true;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return false;
}

function getPrompt(name: string, args: Record<string, string>) {
  const prompt = PROMPTS.find((p) => p.name === name);
  if (!prompt)
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown prompt "${name}"; see prompts/list.`);
  const missing = prompt.arguments.filter((a) => a.required && !args[a.name]).map((a) => a.name);
  if (missing.length)
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Prompt ${name} needs: ${missing.join(', ')}.`);
  return {
    description: prompt.description,
    messages: [{ role: 'user' as const, content: { type: 'text' as const, text: prompt.render(args) } }],
  };
}

async function readSchemaResource(deps: ToolDeps, uri: string) {
  const match = SCHEMA_URI.exec(uri);
  const air = match ? safeDecode(match[1]!) : undefined;
  const schema = air ? (await deps.catalog.displaySchema(air))?.schema : undefined;
  if (!air || !schema) {
    // `data.uri` names the resource that was not found (SEP-2164).
    throw new ProtocolError(
      ProtocolErrorCode.InvalidParams,
      `Unknown resource ${uri}. Resources are runware://models/{air}/schema; see resources/list.`,
      { uri },
    );
  }
  return {
    contents: [
      { uri, mimeType: 'application/schema+json', text: JSON.stringify(Catalog.agentSchema(schema)) },
    ],
  };
}

/** decodeURIComponent without the URIError on a malformed escape (`%E0%A4%A`): such a URI names no resource. */
function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}
