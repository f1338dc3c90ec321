import { createWriteStream } from 'node:fs';
import { mkdir, rename, stat, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream } from 'node:stream/web';
import type { ToolContext } from '../mcp/tool-definition.js';
import type { TaskOutput, TaskRecord } from '../tasks/task-service.js';

/** Per file: a slow CDN or a huge video must not hold the answer for long; the URL is in the result anyway. */
const DOWNLOAD_TIMEOUT_MS = 30_000;

/** Where an output went: `path` when it is on disk, `error` (in words) when the download failed. */
export interface SavedOutput {
  path?: string;
  error?: string;
}

/**
 * stdio only: RUNWARE_OUTPUT_DIR, else the first MCP root the client lists, else ~/Runware; undefined when
 * saving is off (`0`/`off`) or the server is hosted (it has no disk of the user's to write to).
 */
export async function outputDirFor(ctx: ToolContext): Promise<string | undefined> {
  if (ctx.principal.mode !== 'stdio') return undefined;
  const configured = ctx.deps.config.outputDir;
  if (configured === 'off') return undefined;
  if (configured) return configured;
  return (await ctx.roots?.())?.[0] ?? join(homedir(), 'Runware');
}

/**
 * Downloads every output file of a finished task into `dir`, named
 * `<yyyy-mm-dd>-<model-slug>-<taskUUID 8>-<n>.<ext>` (n counts the task's files from 1); the answer is aligned
 * with record.outputs. A file already there is kept (get_task_details asks again without downloading twice).
 * Never throws: a failed download is reported in words and the run still succeeds.
 */
export async function saveOutputs(
  record: TaskRecord,
  dir: string,
  modelSlug: string,
): Promise<Array<SavedOutput | undefined>> {
  const files = record.outputs.filter((o) => o.url);
  if (record.status !== 'success' || files.length === 0) return [];
  const failed = await mkdir(dir, { recursive: true }).then(
    () => undefined,
    (error: NodeJS.ErrnoException) => `cannot create ${dir} (${error.code ?? error.message})`,
  );
  return Promise.all(
    record.outputs.map((output) => {
      const n = files.indexOf(output) + 1;
      if (n === 0) return undefined;
      if (failed) return { error: failed };
      return download(output.url!, join(dir, outputFileName(record, modelSlug, n, output)));
    }),
  );
}

export function outputFileName(record: TaskRecord, modelSlug: string, n: number, output: TaskOutput): string {
  const created = new Date(record.createdAt);
  const day = [created.getFullYear(), created.getMonth() + 1, created.getDate()]
    .map((part) => String(part).padStart(2, '0'))
    .join('-');
  const slug =
    modelSlug
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'model';
  return `${day}-${slug}-${record.taskUUID.slice(0, 8)}-${n}.${extensionOf(output)}`;
}

/** The URL's extension (Runware names files by format), else the MIME type's, else bin. */
function extensionOf(output: TaskOutput): string {
  const fromUrl = /\.([a-z0-9]{2,5})$/i.exec(URL.parse(output.url!)?.pathname ?? '')?.[1];
  if (fromUrl) return fromUrl.toLowerCase();
  const subtype = output.mimeType
    ?.split('/')[1]
    ?.replace(/^(svg\+xml)$/, 'svg')
    .replace('jpeg', 'jpg');
  return subtype && /^[a-z0-9]+$/.test(subtype) ? subtype : 'bin';
}

async function download(url: string, path: string): Promise<SavedOutput> {
  if ((await stat(path).catch(() => undefined))?.size) return { path };
  const part = `${path}.part`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS) });
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      return { error: `download failed (HTTP ${res.status})` };
    }
    await pipeline(Readable.fromWeb(res.body as ReadableStream), createWriteStream(part));
    await rename(part, path);
    return { path };
  } catch (error) {
    await unlink(part).catch(() => undefined);
    const e = error as NodeJS.ErrnoException;
    const reason =
      e.name === 'TimeoutError' ? `timed out after ${DOWNLOAD_TIMEOUT_MS / 1000} s` : (e.code ?? e.message);
    return { error: `download failed (${reason})` };
  }
}
