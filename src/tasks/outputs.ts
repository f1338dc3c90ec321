import type { ResultItem } from '../runware/types.js';
import type { TaskOutput } from './task-service.js';

const MIME_BY_EXT: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  svg: 'image/svg+xml',
  mp4: 'video/mp4',
  webm: 'video/webm',
  mov: 'video/quicktime',
  mp3: 'audio/mpeg',
  wav: 'audio/wav',
  flac: 'audio/flac',
  ogg: 'audio/ogg',
  glb: 'model/gltf-binary',
  ply: 'application/octet-stream',
};

export const mimeOf = (url: string | undefined) =>
  url ? MIME_BY_EXT[/\.([a-z0-9]+)(?:\?|$)/i.exec(url)?.[1]?.toLowerCase() ?? ''] : undefined;

/** Media fields upstream results carry, by output kind (URL form; base64 forms are never copied). */
const MEDIA: Array<[prefix: string, type: TaskOutput['type']]> = [
  ['image', 'image'],
  ['video', 'video'],
  ['audio', 'audio'],
  ['guideImage', 'image'],
  ['maskImage', 'image'],
  ['media', 'file'],
];

/** Turns upstream result items into outputs an agent can use: URLs, UUIDs, seeds, text. Never base64. */
export function extractOutputs(items: ResultItem[]): TaskOutput[] {
  const outputs: TaskOutput[] = [];
  for (const item of items) {
    const seed = typeof item.seed === 'number' ? item.seed : undefined;
    let found = false;
    for (const [prefix, type] of MEDIA) {
      const url = item[`${prefix}URL`] as string | undefined;
      const uuid = item[`${prefix}UUID`] as string | undefined;
      const dataUri = item[`${prefix}DataURI`] as string | undefined;
      if (!url && !uuid) continue;
      found = true;
      const mimeType = mimeOf(url) ?? (dataUri ? /^data:([^;,]+)/.exec(dataUri)?.[1] : undefined);
      outputs.push({
        type,
        ...(url ? { url } : {}),
        ...(uuid ? { uuid } : {}),
        ...(seed !== undefined ? { seed } : {}),
        ...(mimeType ? { mimeType } : {}),
        ...(item.NSFWContent !== undefined ? { nsfw: Boolean(item.NSFWContent) } : {}),
        // Masking answers the boxes it found (ImageMaskingResult.detections).
        ...(Array.isArray(item.detections) ? { detections: item.detections } : {}),
      });
      break;
    }
    const files = (item.outputs as { files?: Array<{ uuid?: string; url?: string }> } | undefined)?.files;
    for (const file of files ?? []) {
      found = true;
      const mimeType = mimeOf(file.url);
      outputs.push({
        type: mimeType === 'model/gltf-binary' ? '3d' : 'file',
        ...(file.url ? { url: file.url } : {}),
        ...(file.uuid ? { uuid: file.uuid } : {}),
        ...(mimeType ? { mimeType } : {}),
      });
    }
    if (typeof item.text === 'string') {
      found = true;
      outputs.push({
        type: 'text',
        text: item.text,
        ...(item.finishReason ? { finishReason: item.finishReason } : {}),
      });
    }
    // A training run answers the trained model's AIR beside its files: the AIR is what the agent runs next.
    if (typeof item.air === 'string') outputs.push({ type: 'model', air: item.air });
    if (item.structuredData && !found)
      outputs.push({ type: 'text', text: JSON.stringify(item.structuredData) });
  }
  return outputs;
}

/** Token usage of text results (TextInferenceResult.usage), summed over the items. */
export function totalUsage(items: ResultItem[]): Record<string, number> | undefined {
  let usage: Record<string, number> | undefined;
  for (const item of items) {
    if (!item.usage || typeof item.usage !== 'object') continue;
    usage ??= {};
    for (const [k, v] of Object.entries(item.usage as Record<string, unknown>)) {
      if (typeof v === 'number') usage[k] = (usage[k] ?? 0) + v;
    }
  }
  return usage;
}

export function totalCost(items: ResultItem[]): number | undefined {
  const costs = items.map((i) => i.cost).filter((c): c is number => typeof c === 'number');
  return costs.length ? Math.round(costs.reduce((a, b) => a + b, 0) * 1e6) / 1e6 : undefined;
}
