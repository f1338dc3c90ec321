import { readFile } from 'node:fs/promises';
import type { ContentBlock } from '@modelcontextprotocol/server';
import type { Sharp, SharpOptions } from 'sharp';
import type { ToolContext } from '../mcp/tool-definition.js';
import { sniffMediaType } from '../tasks/media-type.js';
import type { TaskRecord } from '../tasks/task-service.js';
import type { SavedOutput } from './saved-outputs.js';

/** Claude's vision input is at most 1568 px on the long edge: more is downscaled by the model's side anyway. */
export const PREVIEW_LONG_EDGE = 1568;
export const MAX_PREVIEWS = 4;
/** Clients display these inline as they are; anything else (SVG, TIFF, AVIF...) is re-encoded. */
const INLINE_AS_IS = new Set(['image/png', 'image/jpeg', 'image/webp', 'image/gif']);
/** A preview is not worth fetching a file larger than this (hosted mode fetches; stdio reads the saved file). */
const MAX_SOURCE_BYTES = 50 * 1024 * 1024;
const FETCH_TIMEOUT_MS = 10_000;
/** WebP quality of re-encoded previews: a preview, not an archive (the saved file and the URL are the originals). */
const QUALITY = 75;

type SharpFactory = (input?: Buffer, options?: SharpOptions) => Sharp;
let sharpLoading: Promise<SharpFactory | undefined> | undefined;

/**
 * sharp is an optional dependency with native binaries (prebuilt per platform, nothing compiled): loaded on the
 * first preview, never at start. Where it did not install, previews fall back to small images as they are.
 */
export function loadSharp(): Promise<SharpFactory | undefined> {
  sharpLoading ??= import('sharp').then(
    (m) => (m.default ?? m) as unknown as SharpFactory,
    () => undefined,
  );
  return sharpLoading;
}

export interface Previews {
  blocks: ContentBlock[];
  /** Why an image got no preview, in words (for the text of the result). */
  notes: string[];
}

/**
 * Inline previews of a finished task's images (at most MAX_PREVIEWS): each fits RUNWARE_INLINE_IMAGE_MAX_BYTES
 * and PREVIEW_LONG_EDGE, downscaled and re-encoded as WebP where the original does not. Read from the saved file
 * when there is one. Never throws: the URL (and the saved path) is already in the result.
 */
export async function imagePreviews(
  record: TaskRecord,
  ctx: ToolContext,
  saved: Array<SavedOutput | undefined> = [],
): Promise<Previews> {
  const cap = ctx.deps.config.inlineImageMaxBytes;
  const previews: Previews = { blocks: [], notes: [] };
  if (cap <= 0 || record.status !== 'success') return previews;
  const images = record.outputs
    .map((output, i) => ({ output, path: saved[i]?.path }))
    .filter(({ output }) => output.type === 'image' && output.url)
    .slice(0, MAX_PREVIEWS);
  const made = await Promise.all(
    images.map(async ({ output, path }) => {
      try {
        const bytes = path ? await readFile(path) : await fetchImage(output.url!);
        return bytes ? await fitPreview(bytes, cap) : 'could not be fetched';
      } catch (error) {
        return `could not be made (${(error as Error).message})`;
      }
    }),
  );
  made.forEach((preview, i) => {
    if (typeof preview !== 'string') {
      previews.blocks.push({
        type: 'image',
        data: preview.data.toString('base64'),
        mimeType: preview.mimeType,
      });
    } else {
      previews.notes.push(`No preview of image ${i + 1}: it ${preview}.`);
    }
  });
  return previews;
}

/**
 * The image as it is when it already fits; else downscaled to PREVIEW_LONG_EDGE and encoded as WebP, lowering
 * quality and then size until it fits `cap`. A reason in words when it cannot be made.
 */
export async function fitPreview(
  bytes: Buffer,
  cap: number,
): Promise<{ data: Buffer; mimeType: string } | string> {
  const mime = sniffMediaType(bytes)?.mime;
  const asIs =
    mime && INLINE_AS_IS.has(mime) && bytes.length <= cap ? { data: bytes, mimeType: mime } : undefined;
  const sharp = await loadSharp();
  if (!sharp) {
    return (
      asIs ??
      `is larger than RUNWARE_INLINE_IMAGE_MAX_BYTES (${cap}) and the optional sharp package, which downscales previews, is not installed`
    );
  }
  const { width = 0, height = 0 } = await sharp(bytes).metadata();
  if (asIs && Math.max(width, height) <= PREVIEW_LONG_EDGE) return asIs;
  // Decoded and scaled once; every attempt below only re-encodes (or shrinks) these pixels.
  const { data, info } = await sharp(bytes, { limitInputPixels: 1e9 })
    .rotate()
    .resize({ width: PREVIEW_LONG_EDGE, height: PREVIEW_LONG_EDGE, fit: 'inside', withoutEnlargement: true })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const raw = { width: info.width, height: info.height, channels: info.channels };
  const encode = (edge: number) =>
    sharp(data, { raw })
      .resize({ width: edge, height: edge, fit: 'inside', withoutEnlargement: true })
      .webp({ quality: QUALITY, effort: 0 })
      .toBuffer();
  const full = Math.max(info.width, info.height);
  // A small trial encode says how many bytes a pixel takes, so the first real encode is already near the cap.
  const probeEdge = Math.min(full, 256);
  const probe = await encode(probeEdge);
  if (probe.length <= cap && probeEdge === full) return { data: probe, mimeType: 'image/webp' };
  let edge = Math.min(full, Math.floor(probeEdge * Math.sqrt((cap * 0.9) / probe.length)));
  for (let attempt = 0; attempt < 6 && edge >= 16; attempt++) {
    const out = await encode(edge);
    if (out.length <= cap) return { data: out, mimeType: 'image/webp' };
    // Bytes grow with the area: shrink the edge by the square root of how far off it is (and at least 10%).
    edge = Math.floor(edge * Math.min(0.9, Math.sqrt(cap / out.length) * 0.95));
  }
  return `does not fit in RUNWARE_INLINE_IMAGE_MAX_BYTES (${cap}) even at 16 px`;
}

async function fetchImage(url: string): Promise<Buffer | undefined> {
  const res = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  const declared = Number(res.headers.get('content-length') ?? Number.NaN);
  if (!res.ok || declared > MAX_SOURCE_BYTES) {
    await res.body?.cancel();
    return undefined;
  }
  const bytes = Buffer.from(await res.arrayBuffer());
  return bytes.length > MAX_SOURCE_BYTES ? undefined : bytes;
}
