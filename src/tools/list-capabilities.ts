import type { ToolDefinition } from '../mcp/tool-definition.js';
import { toolResult } from './tool-result.js';

export const listCapabilitiesTool: ToolDefinition<{ kind?: 'io' | 'op' | 'form' }> = {
  name: 'list_capabilities',
  title: 'List capabilities',
  description:
    'The capability taxonomy used by list_models filters: io:* (input to output), op:* (operations), form:* (strengths).',
  inputSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { kind: { type: 'string', enum: ['io', 'op', 'form'], description: 'only this family' } },
  },
  outputSchema: {
    type: 'object',
    required: ['capabilities'],
    properties: {
      capabilities: {
        type: 'array',
        items: {
          type: 'object',
          required: ['id', 'label'],
          properties: { id: { type: 'string' }, label: { type: 'string' }, description: { type: 'string' } },
        },
      },
    },
  },
  annotations: { readOnlyHint: true, openWorldHint: false, idempotentHint: true },
  requiresKey: false,
  async handler({ kind }, ctx) {
    const capabilities = ctx.deps.catalog.capabilities().filter((c) => !kind || c.id.startsWith(`${kind}:`));
    return toolResult({ capabilities }, capabilities.map((c) => `${c.id} — ${c.label}`).join('\n'));
  },
};
