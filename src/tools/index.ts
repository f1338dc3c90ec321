import type { ToolDefinition } from '../mcp/tool-definition.js';
import { accountTool } from './account.js';
import { getTaskDetailsTool } from './get-task-details.js';
import { listCapabilitiesTool } from './list-capabilities.js';
import { listModelsTool } from './list-models.js';
import { mediaStorageTool } from './media-storage.js';
import { modelDetailsTool } from './model-details.js';
import { modelExamplesTool } from './model-examples.js';
import { modelPricingTool } from './model-pricing.js';
import { modelSchemaTool } from './model-schema.js';
import { modelSearchTool } from './model-search.js';
import { modelUploadTool } from './model-upload.js';
import { runTool } from './run.js';
import { studioTaskStatusTool } from './studio-task-status.js';

/** The canonical list of tools, in the order tools/list shows them. */
export const ALL_TOOLS = [
  runTool,
  listModelsTool,
  modelDetailsTool,
  modelExamplesTool,
  modelPricingTool,
  listCapabilitiesTool,
  modelSchemaTool,
  getTaskDetailsTool,
  modelSearchTool,
  mediaStorageTool,
  modelUploadTool,
  accountTool,
] as unknown as ToolDefinition[];

/** Tools only an MCP App calls (`visibility: ["app"]`): listed only to clients that declared the Apps extension. */
export const APP_TOOLS = [studioTaskStatusTool] as unknown as ToolDefinition[];
