import { ALL_TOOLS, APP_TOOLS } from '../tools/index.js';
import { VERSION } from '../version.js';
import { PROMPTS } from './prompts.js';
import type { ToolDefinition } from './tool-definition.js';

/**
 * What the server says about itself before any tool runs: identity, capabilities and the static lists.
 * Plain data with no SDK import, so the stdio front can answer the handshake before the SDK is loaded.
 */
export const SERVER_INFO = { name: 'runware', title: 'Runware', version: VERSION };

/** The tasks extension of the 2026-07-28 revision (SEP-2663). */
export const TASKS_EXTENSION = 'io.modelcontextprotocol/tasks';

const BASE_CAPABILITIES = { tools: {}, resources: { subscribe: true }, prompts: {}, logging: {} };
/** 2025-era capabilities (initialize): the 2025-11-25 experimental tasks for tools/call included. */
export const CAPABILITIES = {
  ...BASE_CAPABILITIES,
  tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } },
};
/** 2026-07-28 capabilities (server/discover): tasks are the extension there, never the 2025 `tasks` slot. */
export const MODERN_CAPABILITIES = { ...BASE_CAPABILITIES, extensions: { [TASKS_EXTENSION]: {} } };

export const INSTRUCTIONS =
  'Runware generates images, video, audio, 3D and text. Flow: list_models (filter by capability/category or search) -> model_schema and model_pricing for the chosen AIR -> run {model, ...parameters} -> if status is "processing", get_task_details {taskUUID}. Results carry output URLs and the cost in USD. Browse tools need no API key.';

const listed = (t: ToolDefinition) => ({
  name: t.name,
  title: t.title,
  description: t.description,
  inputSchema: t.inputSchema,
  ...(t.outputSchema ? { outputSchema: t.outputSchema } : {}),
  annotations: { title: t.title, ...t.annotations },
  ...(t._meta ? { _meta: t._meta } : {}),
  ...(t.taskSupport ? { execution: { taskSupport: t.taskSupport } } : {}),
});

/**
 * `toolList` is what every client sees; `studioToolList` adds the app-only tools, for clients that declared the
 * MCP Apps extension (their hosts keep those tools away from the model).
 */
export function buildListings(tools: ToolDefinition[] = ALL_TOOLS, appTools: ToolDefinition[] = APP_TOOLS) {
  const toolList = { tools: tools.map(listed) };
  return {
    toolList,
    studioToolList: { tools: [...toolList.tools, ...appTools.map(listed)] },
    resourceTemplates: {
      resourceTemplates: [
        {
          uriTemplate: 'runware://models/{air}/schema',
          name: 'model-schema',
          title: 'Model parameter schema',
          description: "JSON Schema of a model's run parameters (AIR URL-encoded)",
          mimeType: 'application/schema+json',
        },
      ],
    },
    promptList: {
      prompts: PROMPTS.map((p) => ({
        name: p.name,
        title: p.title,
        description: p.description,
        arguments: p.arguments,
      })),
    },
  };
}
