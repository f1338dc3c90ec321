import { open, realpath } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ToolContext } from '../mcp/tool-definition.js';
import { KNOWN_INPUT_TYPES, type MediaType, sniffMediaType } from '../tasks/media-type.js';
import { ToolFailure } from './tool-result.js';
import { withinDeadline } from './upstream-deadline.js';

/** The largest local file sent as an input (the simulator's and media_storage's limit: 20 MiB). */
export const MAX_INPUT_BYTES = 20 * 1024 * 1024;

/**
 * Runware's schemas give media inputs no type (`seedImage: {}`), only their names: image, images, seedImage,
 * maskImage, referenceImages, frameImages[].image, guideImage, video, audio, ... A string under such a name that
 * reads as a path (absolute, ~/, ./, ../ or file://) is a local file.
 */
const MEDIA_KEY =
  /^(image|images|video|videos|audio|audios|media|mask)$|(Image|Images|Video|Videos|Audio|Audios|Mask|Media)$/;
/** Raw base64 may start with "/" (JPEG's is "/9j/"): long runs of base64 alphabet only are data, not paths. */
const BASE64_DATA = /^[A-Za-z0-9+/]{256,}={0,2}$/;

type Where = Array<string | number>;
export type InputKind = 'image' | 'video' | 'audio' | 'any';

/** One local file named in a task's parameters, checked and read, waiting to be uploaded. */
export interface LocalInput {
  at: Where;
  /** As the agent wrote it (shown in errors). */
  given: string;
  file: string;
  bytes: Buffer;
  type: MediaType;
}

/**
 * Finds every local path among a task's media inputs, checks it against the allowed roots, its size and its
 * type, and reads it. Throws a ToolFailure naming the field and what to do; nothing is uploaded yet.
 */
export async function readLocalInputs(
  params: Record<string, unknown>,
  ctx: ToolContext,
): Promise<LocalInput[]> {
  const found = findLocalPaths(params);
  if (found.length === 0) return [];
  if (ctx.principal.mode !== 'stdio') {
    const first = found[0]!;
    throw new ToolFailure(
      `${fieldName(first.at)} names a local file (${first.given}), but this server is hosted and cannot read your disk. Pass a public URL, a data URI or base64, or upload it first with media_storage {"media": "<public URL>"} and pass the mediaUUID. Local paths work with the local server (npx -y runware-mcp-server).`,
    );
  }
  const roots = await allowedRoots(ctx);
  return Promise.all(
    found.map(async ({ at, given, kind }) => ({
      at,
      given,
      ...(await readLocalFile(given, roots, fieldName(at), kind)),
    })),
  );
}

/** Uploads each local input through mediaStorage (one upload per file) and puts its mediaUUID in its place. */
export async function uploadLocalInputs(
  task: Record<string, unknown>,
  inputs: LocalInput[],
  ctx: ToolContext,
): Promise<void> {
  const uploads = new Map<string, Promise<string>>();
  const upload = (input: LocalInput) =>
    withinDeadline(ctx, async (signal) => {
      const media = `data:${input.type.mime};base64,${input.bytes.toString('base64')}`;
      const stored = await ctx.deps
        .runware(ctx.principal.apiKey!)
        .mediaStorage({ operation: 'upload', media }, { signal });
      const uuid = stored.mediaUUID ?? stored.imageUUID;
      if (typeof uuid !== 'string')
        throw new ToolFailure(`Runware stored ${input.given} but answered no mediaUUID. Try again.`);
      return uuid;
    });
  await Promise.all(
    inputs.map(async (input) => {
      if (!uploads.has(input.file)) uploads.set(input.file, upload(input));
      setAt(task, input.at, await uploads.get(input.file)!);
    }),
  );
}

export interface AllowedRoots {
  dirs: string[];
  /** Where the list came from, for messages. */
  source: string;
}

/** The client's MCP roots when it lists any, else RUNWARE_FILE_ROOTS (default: the user's home). */
export async function allowedRoots(ctx: ToolContext): Promise<AllowedRoots> {
  const listed = await ctx.roots?.();
  if (listed && listed.length > 0) return { dirs: listed, source: "the client's MCP roots" };
  return { dirs: ctx.deps.config.fileRoots, source: 'RUNWARE_FILE_ROOTS' };
}

/**
 * Resolves a local path (symlinks included) and reads it if it lies under an allowed root, is a regular file
 * of at most MAX_INPUT_BYTES, and is a media file of the kind the field takes.
 */
export async function readLocalFile(
  given: string,
  roots: AllowedRoots,
  field: string,
  kind: InputKind,
): Promise<{ file: string; bytes: Buffer; type: MediaType }> {
  const named = toAbsolute(given, roots.dirs[0] ?? homedir());
  const file = await realpath(named).catch(() => {
    throw new ToolFailure(
      `${field}: there is no file at ${named}. Check the path (it must be absolute, ~/..., or file://).`,
    );
  });
  const realRoots = (await Promise.all(roots.dirs.map((d) => realpath(d).catch(() => undefined)))).filter(
    (d): d is string => d !== undefined,
  );
  if (!realRoots.some((root) => isInside(root, file))) {
    const link = file === named ? '' : ` (a link to ${file})`;
    throw new ToolFailure(
      `${field}: ${named}${link} is outside the folders this server may read: ${roots.dirs.join(', ') || '(none)'} (${roots.source}). Move the file into one of them${roots.source === 'RUNWARE_FILE_ROOTS' ? ', or add its folder to RUNWARE_FILE_ROOTS' : ", or add its folder to the client's workspace"}.`,
    );
  }
  const handle = await open(file, 'r').catch((error: NodeJS.ErrnoException) => {
    throw new ToolFailure(`${field}: ${named} cannot be read (${error.code ?? error.message}).`);
  });
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new ToolFailure(`${field}: ${named} is not a file.`);
    if (info.size === 0) throw new ToolFailure(`${field}: ${named} is empty.`);
    if (info.size > MAX_INPUT_BYTES) {
      throw new ToolFailure(
        `${field}: ${named} is ${megabytes(info.size)}; the largest file this server uploads is ${megabytes(MAX_INPUT_BYTES)}. Make it smaller, or upload it somewhere public and pass its URL.`,
      );
    }
    const bytes = await handle.readFile();
    const type = sniffMediaType(bytes);
    if (!type) {
      throw new ToolFailure(`${field}: ${named} is not a media file Runware takes (${KNOWN_INPUT_TYPES}).`);
    }
    if (kind !== 'any' && type.kind !== kind) {
      throw new ToolFailure(
        `${field} takes ${withArticle(kind)}, but ${named} is ${withArticle(type.kind)} (${type.mime}).`,
      );
    }
    return { file, bytes, type };
  } finally {
    await handle.close();
  }
}

/** Every string under a media-named key that reads as a local path, with where it sits and what it must be. */
export function findLocalPaths(
  params: Record<string, unknown>,
): Array<{ at: Where; given: string; kind: InputKind }> {
  const found: Array<{ at: Where; given: string; kind: InputKind }> = [];
  const walk = (value: unknown, at: Where, mediaKey: string | undefined) => {
    if (typeof value === 'string') {
      if (mediaKey && looksLikePath(value)) found.push({ at, given: value, kind: kindOf(mediaKey) });
    } else if (Array.isArray(value)) {
      for (const [i, item] of value.entries()) walk(item, [...at, i], mediaKey);
    } else if (value && typeof value === 'object') {
      for (const [key, child] of Object.entries(value))
        walk(child, [...at, key], MEDIA_KEY.test(key) ? key : undefined);
    }
  };
  walk(params, [], undefined);
  return found;
}

export function looksLikePath(value: string): boolean {
  if (value.length > 4096 || value.includes('\n')) return false;
  if (value.startsWith('file://') || /^(~|\.{1,2})[/\\]/.test(value) || /^[A-Za-z]:[\\/]/.test(value))
    return true;
  return value.startsWith('/') && !BASE64_DATA.test(value);
}

function toAbsolute(given: string, base: string): string {
  if (given.startsWith('file://')) {
    try {
      return fileURLToPath(given);
    } catch {
      throw new ToolFailure(`${given} is not a local file URL (file:///absolute/path).`);
    }
  }
  if (given.startsWith('~/') || given.startsWith('~\\')) return resolve(homedir(), given.slice(2));
  // Relative paths are read from the first allowed root: a client's workspace, not the server's cwd.
  return isAbsolute(given) ? resolve(given) : resolve(base, given);
}

const isInside = (root: string, file: string) => {
  const rel = relative(root, file);
  return rel === '' ? false : !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
};

const kindOf = (key: string): InputKind =>
  /video/i.test(key) ? 'video' : /audio/i.test(key) ? 'audio' : /image|mask/i.test(key) ? 'image' : 'any';

/** `inputs.frameImages[0].image`, the way the agent wrote it. */
const fieldName = (at: Where) =>
  at.map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? part : `.${part}`)).join('');

function setAt(target: Record<string, unknown>, at: Where, value: unknown): void {
  let node: Record<string | number, unknown> = target;
  for (const part of at.slice(0, -1)) node = node[part] as Record<string | number, unknown>;
  node[at[at.length - 1]!] = value;
}

const withArticle = (kind: InputKind) =>
  ({ image: 'an image', video: 'a video', audio: 'audio', any: 'media' })[kind];

const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
