import type { ToolContext, ToolDefinition } from '../mcp/tool-definition.js';
import { allowedRoots, readLocalFile } from './local-inputs.js';
import { errorResult, ToolFailure, toolResult } from './tool-result.js';
import { withinDeadline } from './upstream-deadline.js';

interface Args {
  operation?: 'upload' | 'delete';
  media?: string;
  path?: string;
}

export const mediaStorageTool: ToolDefinition<Args> = {
  name: 'media_storage',
  title: 'Upload or delete media',
  description:
    'Store an input file on Runware and get a mediaUUID/URL to pass to run (seed images, masks, references, audio). upload: media = public URL, data URI or base64; or path = a local file (local stdio mode only). delete: media = mediaUUID.',
  inputSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      operation: { type: 'string', enum: ['upload', 'delete'], default: 'upload' },
      media: {
        type: 'string',
        minLength: 1,
        description: 'URL, data URI, base64, or (delete) the mediaUUID',
      },
      path: {
        type: 'string',
        minLength: 1,
        maxLength: 4096,
        description: 'local file path (stdio mode only)',
      },
    },
  },
  outputSchema: {
    type: 'object',
    required: ['operation', 'mediaUUID'],
    properties: {
      operation: { type: 'string' },
      mediaUUID: { type: 'string' },
      mediaURL: { type: 'string' },
    },
  },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
  requiresKey: true,
  async handler(args, ctx) {
    const operation = args.operation ?? 'upload';
    try {
      const media = operation === 'delete' ? requireMedia(args) : await mediaToUpload(args, ctx);
      const stored = await withinDeadline(ctx, (signal) =>
        ctx.deps.runware(ctx.principal.apiKey!).mediaStorage({ operation, media }, { signal }),
      );
      const mediaUUID = String(stored.mediaUUID ?? stored.imageUUID ?? '');
      const mediaURL = (stored.mediaURL ?? stored.imageURL) as string | undefined;
      return toolResult(
        { operation, mediaUUID, ...(mediaURL ? { mediaURL } : {}) },
        operation === 'delete'
          ? `Deleted media ${mediaUUID}.`
          : `Uploaded. mediaUUID: ${mediaUUID}${mediaURL ? `\nURL: ${mediaURL}` : ''}\nPass the mediaUUID (or URL) as an image/media input of run.`,
      );
    } catch (error) {
      return errorResult(error, ctx.principal);
    }
  },
};

function requireMedia(args: Args): string {
  if (!args.media) throw new ToolFailure('Give "media": the mediaUUID to delete.');
  return args.media;
}

async function mediaToUpload(args: Args, ctx: ToolContext): Promise<string> {
  if (args.media && args.path) throw new ToolFailure('Give either "media" or "path", not both.');
  if (args.media) return args.media;
  if (!args.path)
    throw new ToolFailure(
      'Give "media" (public URL, data URI or base64) or, in local mode, "path" (a local file).',
    );
  if (ctx.principal.mode !== 'stdio') {
    throw new ToolFailure(
      'Local file paths only work with the local (stdio) server: this server cannot read your disk. Upload the file somewhere public and pass its URL as "media".',
    );
  }
  // The same rule as run's local inputs: only under the client's MCP roots, else RUNWARE_FILE_ROOTS.
  const { bytes, type } = await readLocalFile(args.path, await allowedRoots(ctx), 'path', 'any');
  return `data:${type.mime};base64,${bytes.toString('base64')}`;
}
