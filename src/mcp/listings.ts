import { ALL_TOOLS, APP_TOOLS } from '../tools/index.js';
import { VERSION } from '../version.js';
import { PROMPTS } from './prompts.js';
import type { ToolDefinition } from './tool-definition.js';

/**
 * What the server says about itself before any tool runs: identity, capabilities and the static lists.
 * Plain data with no SDK import, so the stdio front can answer the handshake before the SDK is loaded.
 */
export const SERVER_INFO = { name: 'runware', title: 'Runware', version: VERSION };

export const CAPABILITIES = { tools: {}, resources: { subscribe: true }, prompts: {}, logging: {} };

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
