import type { ToolDefinition } from '../mcp/tool-definition.js';
import { errorResult, toolResult } from './tool-result.js';

type Args = {
  category: string;
  architecture: string;
  format?: string;
  name: string;
  version: string;
  downloadURL: string;
  air?: string;
} & Record<string, unknown>;

export const modelUploadTool: ToolDefinition<Args> = {
  name: 'model_upload',
  title: 'Upload a custom model',
  description:
    'Upload your own model (checkpoint, LoRA, LyCORIS, VAE, embeddings) to Runware from a public safetensors downloadURL; returns its AIR for run once ready.',
  inputSchema: {
    type: 'object',
    additionalProperties: true,
    required: ['category', 'architecture', 'name', 'version', 'downloadURL'],
    properties: {
      category: {
        type: 'string',
        enum: ['checkpoint', 'lora', 'lycoris', 'vae', 'embeddings', 'controlnet'],
      },
      architecture: { type: 'string', maxLength: 50, description: 'e.g. flux1d, sdxl, sd1x' },
      format: { type: 'string', enum: ['safetensors'], default: 'safetensors' },
      name: { type: 'string', minLength: 1, maxLength: 200 },
      version: { type: 'string', minLength: 1, maxLength: 50 },
      downloadURL: { type: 'string', format: 'uri', pattern: '^https?://' },
      air: {
        type: 'string',
        pattern: '^[a-z0-9_-]+:[A-Za-z0-9._-]+@[A-Za-z0-9._-]+$',
        description: 'optional AIR to publish under (your AIRSource prefix)',
      },
      private: { type: 'boolean', default: true },
    },
  },
  outputSchema: {
    type: 'object',
    required: ['status'],
    properties: {
      air: { type: 'string' },
      status: { type: 'string' },
      statuses: { type: 'array', items: { type: 'string' } },
    },
  },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  requiresKey: true,
  async handler(args, ctx) {
    try {
      const items = await ctx.deps
        .runware(ctx.principal.apiKey!)
        .modelUpload({ format: 'safetensors', ...args }, { signal: ctx.signal });
      const statuses = items.map((i) => String(i.status ?? 'unknown'));
      const last = items.at(-1);
      const air = items.find((i) => typeof i.air === 'string')?.air as string | undefined;
      const status = statuses.at(-1) ?? 'unknown';
      return toolResult(
        { status, statuses, ...(air ? { air } : {}) },
        `Model upload ${status}${air ? `: ${air}` : ''}. ${String(last?.message ?? '')}`.trim(),
      );
    } catch (error) {
      return errorResult(error, ctx.principal);
    }
  },
};
