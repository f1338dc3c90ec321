import { existsSync, readFileSync } from 'node:fs';
import type { McpUiResourceMeta } from '@modelcontextprotocol/ext-apps';
import {
  getUiCapability,
  RESOURCE_MIME_TYPE,
  RESOURCE_URI_META_KEY,
} from '@modelcontextprotocol/ext-apps/server';
import type { CallToolResult } from '@modelcontextprotocol/server';
import type { Catalog } from '../catalog/catalog.js';
import { nameOf } from '../catalog/model-record.js';
import type { Config } from '../config/config.js';

/**
 * Runware Studio, the MCP App (SEP-1865, `io.modelcontextprotocol/ui`) that shows results: one bundled HTML
 * resource linked from run, get_task_details and list_models. Hosts without the extension never see it: they
 * get the tools and results exactly as before (docs/decisions.md, "Runware Studio").
 */
export const STUDIO_URI = 'ui://runware/studio';

/** The tool `_meta` that links a tool to the app: the nested key, plus the flat one older hosts read. */
export const STUDIO_TOOL_META = { ui: { resourceUri: STUDIO_URI }, [RESOURCE_URI_META_KEY]: STUDIO_URI };

/** An app-only tool: the app calls it through the host, the host never offers it to the model. */
export const APP_ONLY_TOOL_META = { ui: { resourceUri: STUDIO_URI, visibility: ['app'] } };

/** Where the result `_meta` the app reads lives (facts for display that the model does not need). */
export const STUDIO_RESULT_META_KEY = 'ai.runware/studio';

/** Hosts Runware serves media from: images and 3D (im), video (vm), audio (am), covers and examples (assets), community model images (mim). */
const RUNWARE_MEDIA_ORIGINS = [
  'https://im.runware.ai',
  'https://vm.runware.ai',
  'https://am.runware.ai',
  'https://assets.runware.ai',
  'https://mim.runware.ai',
];
const RUNWARE_API_ORIGIN = 'https://api.runware.ai';

/** Whether the client declared MCP Apps support for HTML apps (initialize, or the 2026 per-request envelope). */
export function declaresStudio(capabilities: unknown): boolean {
  const ui = getUiCapability(capabilities as Parameters<typeof getUiCapability>[0]);
  return Array.isArray(ui?.mimeTypes) && ui.mimeTypes.includes(RESOURCE_MIME_TYPE);
}

/**
 * The app may load media from Runware's media hosts and from the configured API host when it is not Runware's
 * own (a simulator or a proxy that serves the media itself); no other origin, and no fetch/XHR at all.
 */
export function studioResourceMeta(config: Pick<Config, 'apiUrl'>): { ui: McpUiResourceMeta } {
  const api = new URL(config.apiUrl).origin;
  const resourceDomains = [...RUNWARE_MEDIA_ORIGINS, ...(api === RUNWARE_API_ORIGIN ? [] : [api])];
  return { ui: { csp: { resourceDomains }, prefersBorder: true } };
}

export function studioResourceListing(config: Pick<Config, 'apiUrl'>) {
  return {
    uri: STUDIO_URI,
    name: 'runware-studio',
    title: 'Runware Studio',
    description: 'Shows run results (images, video, audio, 3D), live task progress and model cards.',
    mimeType: RESOURCE_MIME_TYPE,
    _meta: studioResourceMeta(config),
  };
}

let html: string | undefined;

/** The built app (`dist/studio.html`, next to the bundle; from a source checkout, the last build's). */
export function readStudioResource(config: Pick<Config, 'apiUrl'>) {
  if (html === undefined) {
    const file = ['./studio.html', '../../dist/studio.html']
      .map((path) => new URL(path, import.meta.url))
      .find((url) => existsSync(url));
    if (!file)
      throw new Error('Runware Studio is not built (dist/studio.html is missing): run npm run build.');
    html = readFileSync(file, 'utf8');
  }
  return {
    contents: [
      { uri: STUDIO_URI, mimeType: RESOURCE_MIME_TYPE, text: html, _meta: studioResourceMeta(config) },
    ],
  };
}

/**
 * A result for a client that declared the extension. claude.ai delivers no result at all to an app when it
 * contains a `resource_link` (anthropics/claude-ai-mcp#753), so those blocks are dropped: every URL is still in
 * the text and in structuredContent. The model's name rides in `_meta` for the app, outside the model's context.
 */
export function studioResult(result: CallToolResult, catalog: Catalog): CallToolResult {
  const content = result.content.filter((block) => block.type !== 'resource_link');
  const air = (result.structuredContent as { model?: unknown } | undefined)?.model;
  const model = typeof air === 'string' && air ? catalog.getModel(air) : undefined;
  return {
    ...result,
    content,
    ...(model ? { _meta: { ...result._meta, [STUDIO_RESULT_META_KEY]: { modelName: nameOf(model) } } } : {}),
  };
}
