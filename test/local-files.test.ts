import { mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { renderMp4, renderPng } from '../simulator/media.js';
import { type SimulatorProcess, spawnSimulator } from './support/simulator-process.js';
import { connectStdio, type StdioSession } from './support/stdio-client.js';
import { openToolSession, type ToolSession } from './support/tool-session.js';

// Items 3-5 of issue 17, over a real stdio child against the simulator: local files in (under the allowed roots
// only), every output saved with the documented name, and inline previews that always fit.
const KEY = 'rw-local-files-key-7d21';
const FLUX = { model: 'runware:101@1', positivePrompt: 'a lighthouse', width: 512, height: 512 };
const VEO = { model: 'google:3@3', positivePrompt: 'the lighthouse at night', duration: 8 };

type Result = {
  isError?: boolean;
  content: Array<{
    type: string;
    text?: string;
    uri?: string;
    data?: string;
    mimeType?: string;
    name?: string;
  }>;
  structuredContent?: Record<string, unknown> & {
    outputs?: Array<Record<string, unknown>>;
    taskUUID?: string;
  };
};
const text = (r: Result) => r.content.map((c) => c.text ?? '').join('\n');
const tmp = (name: string) => mkdtempSync(join(tmpdir(), `runware-${name}-`));

let sim: SimulatorProcess;
let root: string;
let outside: string;
let png: Buffer;
const sessions: Array<{ close(): Promise<void> }> = [];

async function start(env: Record<string, string> = {}, roots?: string[]): Promise<StdioSession> {
  const session = await connectStdio(
    { RUNWARE_API_KEY: KEY, RUNWARE_API_URL: sim.apiUrl, ...env },
    roots ? { roots } : {},
  );
  sessions.push(session);
  return session;
}
const call = async (session: StdioSession, name: string, args: Record<string, unknown>) =>
  (await session.client.callTool({ name, arguments: args })) as Result;
const sentTasks = async () =>
  (await sim.admin.requests()).flatMap((r) => r.tasks as Array<Record<string, unknown>>);

beforeAll(async () => {
  sim = await spawnSimulator({ keys: [KEY], balance: 1000, asyncDelayMs: 300 });
  root = tmp('root');
  outside = tmp('outside');
  png = renderPng(7, 1024, 768);
  writeFileSync(join(root, 'first frame.png'), png);
  writeFileSync(join(outside, 'secret.png'), png);
  symlinkSync(join(outside, 'secret.png'), join(root, 'link.png'));
});
afterAll(async () => {
  for (const session of sessions) await session.close().catch(() => undefined);
  await sim?.stop();
});
beforeEach(() => sim.admin.reset());

describe('local files in (stdio)', () => {
  it('a local PNG under an MCP root runs image-to-video: uploaded through mediaStorage, its UUID sent', async () => {
    // The root is under /tmp, not the home folder (RUNWARE_FILE_ROOTS' default): only the MCP root allows it.
    const session = await start({}, [root]);
    const file = join(root, 'first frame.png');
    const result = await call(session, 'run', {
      ...VEO,
      inputs: { frameImages: [{ image: file, frame: 'first' }] },
    });
    expect(result.isError, text(result)).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ status: 'success', taskType: 'videoInference' });

    const tasks = await sentTasks();
    const upload = tasks.find((t) => t.taskType === 'mediaStorage')!;
    expect(upload).toMatchObject({
      operation: 'upload',
      media: `data:image/png;base64,${png.toString('base64')}`,
    });
    const video = tasks.find((t) => t.taskType === 'videoInference')!;
    const uuid = (video.inputs as { frameImages: Array<{ image: string; frame: string }> }).frameImages[0]!;
    expect(uuid.frame).toBe('first');
    expect(uuid.image).toMatch(/^[0-9a-f-]{36}$/);
    // What Runware stored under that UUID is the file, byte for byte.
    const stored = await fetch(`${sim.url}/media/${uuid.image}.png`);
    expect(Buffer.from(await stored.arrayBuffer()).equals(png)).toBe(true);
  });

  it('refuses a path outside the roots, and a link inside a root that points outside; nothing is sent', async () => {
    const session = await start({}, [root]);
    const out = await call(session, 'run', { ...FLUX, inputs: { seedImage: join(outside, 'secret.png') } });
    expect(out.isError).toBe(true);
    expect(text(out)).toContain(
      `inputs.seedImage: ${join(outside, 'secret.png')} is outside the folders this server may read: ${root} (the client's MCP roots)`,
    );
    const link = await call(session, 'run', { ...FLUX, inputs: { seedImage: join(root, 'link.png') } });
    expect(link.isError).toBe(true);
    expect(text(link)).toContain(`(a link to ${join(outside, 'secret.png')}) is outside the folders`);
    // media_storage's path follows the same rule.
    const stored = await call(session, 'media_storage', { path: join(outside, 'secret.png') });
    expect(stored.isError).toBe(true);
    expect(text(stored)).toMatch(/is outside the folders this server may read/);
    expect(await sentTasks()).toEqual([]);
  });

  it('asks for the roots again after notifications/roots/list_changed', async () => {
    const roots = [outside];
    const session = await start({}, roots);
    const file = join(root, 'first frame.png');
    expect(text(await call(session, 'run', { ...FLUX, inputs: { seedImage: file } }))).toMatch(
      /is outside the folders this server may read/,
    );
    roots.splice(0, 1, root);
    await session.client.sendRootsListChanged();
    const result = await call(session, 'run', { ...FLUX, inputs: { seedImage: file } });
    expect(result.isError, text(result)).toBeFalsy();
  });

  it('checks existence, type and size with errors that name the field and say what to do', async () => {
    const session = await start({}, [root]);
    const dir = mkdtempSync(join(root, 'bad-'));
    writeFileSync(join(dir, 'notes.png'), 'not an image at all');
    writeFileSync(join(dir, 'clip.mp4'), renderMp4());
    writeFileSync(join(dir, 'huge.png'), Buffer.concat([png, Buffer.alloc(21 * 1024 * 1024)]));
    const cases: Array<[unknown, RegExp]> = [
      [{ seedImage: join(dir, 'missing.png') }, /inputs\.seedImage: there is no file at .*missing\.png/],
      [{ seedImage: join(dir, 'notes.png') }, /notes\.png is not a media file Runware takes \(PNG, JPEG/],
      [
        { seedImage: join(dir, 'clip.mp4') },
        /inputs\.seedImage takes an image, but .*clip\.mp4 is a video \(video\/mp4\)/,
      ],
      [
        { seedImage: join(dir, 'huge.png') },
        /huge\.png is 21\.0 MB; the largest file this server uploads is 20\.0 MB/,
      ],
      [{ seedImage: dir }, /is not a file/],
    ];
    for (const [inputs, message] of cases) {
      const result = await call(session, 'run', { ...FLUX, inputs });
      expect(result.isError, JSON.stringify(inputs)).toBe(true);
      expect(text(result)).toMatch(message);
    }
    expect(await sentTasks()).toEqual([]);
  });

  it('without MCP roots RUNWARE_FILE_ROOTS decides; a file:// URL works as seedImage', async () => {
    const session = await start({ RUNWARE_FILE_ROOTS: root });
    const url = pathToFileURL(join(root, 'first frame.png')).href;
    const result = await call(session, 'run', { ...FLUX, inputs: { seedImage: url }, strength: 0.6 });
    expect(result.isError, text(result)).toBeFalsy();
    const sent = (await sentTasks()).find((t) => t.taskType === 'imageInference')!;
    expect((sent.inputs as { seedImage: string }).seedImage).toMatch(/^[0-9a-f-]{36}$/);
    const out = await call(session, 'run', { ...FLUX, inputs: { seedImage: join(outside, 'secret.png') } });
    expect(text(out)).toContain(
      `is outside the folders this server may read: ${root} (RUNWARE_FILE_ROOTS). Move the file into one of them, or add its folder to RUNWARE_FILE_ROOTS.`,
    );
  });

  it('hosted mode refuses local paths with the reason, and still previews images (no saving)', async () => {
    const hosted: ToolSession = await openToolSession('sqlite', { apiUrl: sim.apiUrl, apiKey: KEY });
    sessions.push(hosted);
    const refused = await hosted.call('run', {
      ...FLUX,
      inputs: { seedImage: join(root, 'first frame.png') },
    });
    expect(refused.result.isError).toBe(true);
    expect(refused.text).toMatch(
      /inputs\.seedImage names a local file .* this server is hosted and cannot read your disk\. Pass a public URL/,
    );
    const uploaded = await hosted.call('media_storage', { path: join(root, 'first frame.png') });
    expect(uploaded.text).toMatch(/only work with the local \(stdio\) server/);
    expect((await sentTasks()).filter((t) => t.taskType !== 'accountManagement')).toEqual([]);

    const ran = await hosted.call('run', FLUX);
    expect(ran.result.isError, ran.text).toBeFalsy();
    expect(ran.result.content.filter((c) => c.type === 'image')).toHaveLength(1);
    expect(ran.result.content.some((c) => c.uri?.startsWith('file:'))).toBe(false);
    expect(
      (ran.result.structuredContent!.outputs as Array<Record<string, unknown>>)[0]!.path,
    ).toBeUndefined();
  });
});

describe('outputs saved (stdio)', () => {
  const namePattern = (record: Result['structuredContent'], slug: string, n: number, ext: string) => {
    const created = new Date(String(record!.createdAt));
    const day = [created.getFullYear(), created.getMonth() + 1, created.getDate()]
      .map((p) => String(p).padStart(2, '0'))
      .join('-');
    return `${day}-${slug}-${String(record!.taskUUID).slice(0, 8)}-${n}.${ext}`;
  };

  it('downloads every output to RUNWARE_OUTPUT_DIR as <date>-<model-slug>-<taskUUID 8>-<n>.<ext>, path in text and structuredContent, file:// link beside the URL', async () => {
    const dir = tmp('out');
    const session = await start({ RUNWARE_OUTPUT_DIR: dir });
    const result = await call(session, 'run', { ...FLUX, numberResults: 2 });
    expect(result.isError, text(result)).toBeFalsy();
    const sc = result.structuredContent!;
    const names = [1, 2].map((n) => namePattern(sc, 'bfl-flux-1-dev', n, 'png'));
    expect(readdirSync(dir).sort()).toEqual(names);
    for (const [i, output] of sc.outputs!.entries()) {
      const path = join(dir, names[i]!);
      expect(output.path).toBe(path);
      expect(text(result)).toContain(`  saved: ${path}`);
      const remote = Buffer.from(await (await fetch(String(output.url))).arrayBuffer());
      expect(readFileSync(path).equals(remote)).toBe(true);
      const links = result.content.filter((c) => c.type === 'resource_link');
      const at = links.findIndex((l) => l.uri === output.url);
      expect(links[at + 1]).toMatchObject({
        uri: pathToFileURL(path).href,
        name: names[i],
        mimeType: 'image/png',
      });
    }
    // Asking again neither downloads twice nor leaves partial files.
    const again = await call(session, 'get_task_details', { taskUUID: sc.taskUUID });
    expect((again.structuredContent!.outputs as Array<{ path: string }>).map((o) => o.path)).toEqual(
      names.map((n) => join(dir, n)),
    );
    expect(readdirSync(dir).sort()).toEqual(names);
  });

  it('defaults to the first MCP root, else ~/Runware; 0 or off saves nothing', async () => {
    const withRoots = await start({ RUNWARE_OUTPUT_DIR: '' }, [root, outside]);
    const inRoot = await call(withRoots, 'run', FLUX);
    const path = String(inRoot.structuredContent!.outputs![0]!.path);
    expect(path).toBe(join(root, namePattern(inRoot.structuredContent, 'bfl-flux-1-dev', 1, 'png')));
    expect(statSync(path).size).toBeGreaterThan(0);

    const home = tmp('home');
    const noRoots = await start({ RUNWARE_OUTPUT_DIR: '', HOME: home });
    const inHome = await call(noRoots, 'run', { ...VEO, width: 1280, height: 720 });
    expect(inHome.structuredContent!.outputs![0]!.path).toBe(
      join(home, 'Runware', namePattern(inHome.structuredContent, 'google-veo-3-1-fast', 1, 'mp4')),
    );

    for (const off of ['0', 'off']) {
      const dir = tmp('off');
      const session = await start({ RUNWARE_OUTPUT_DIR: off, HOME: dir });
      const result = await call(session, 'run', FLUX);
      expect(result.isError, text(result)).toBeFalsy();
      expect(result.structuredContent!.outputs![0]!.path).toBeUndefined();
      expect(text(result)).not.toMatch(/saved:/);
      expect(result.content.some((c) => c.uri?.startsWith('file:'))).toBe(false);
      expect(readdirSync(dir)).toEqual([]);
    }
  });

  it('a failed download never fails the run; get_task_details saves it later', async () => {
    const dir = tmp('flaky');
    const session = await start({ RUNWARE_OUTPUT_DIR: dir });
    await sim.admin.faults({ mediaErrorCount: 2 }); // the download, then the preview's own fetch
    const result = await call(session, 'run', FLUX);
    expect(result.isError, text(result)).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ status: 'success' });
    expect(result.structuredContent!.outputs![0]!.path).toBeUndefined();
    expect(text(result)).toContain('  not saved: download failed (HTTP 503); the URL above still works');
    expect(readdirSync(dir)).toEqual([]);
    const again = await call(session, 'get_task_details', { taskUUID: result.structuredContent!.taskUUID });
    expect(String((again.structuredContent!.outputs as Array<{ path?: string }>)[0]!.path)).toContain(dir);
    expect(readdirSync(dir)).toHaveLength(1);
  });
});

describe('previews that always fit', () => {
  const images = (r: Result) => r.content.filter((c) => c.type === 'image');

  it('a 4 MB output image yields a WebP preview within the byte cap; no base64 in structuredContent', async () => {
    const cap = 200_000;
    const dir = tmp('big');
    const session = await start({ RUNWARE_OUTPUT_DIR: dir, RUNWARE_INLINE_IMAGE_MAX_BYTES: String(cap) });
    await sim.admin.faults({ largeImageCount: 1 });
    const result = await call(session, 'run', { ...FLUX, width: 1216, height: 1216 });
    expect(result.isError, text(result)).toBeFalsy();
    const saved = String(result.structuredContent!.outputs![0]!.path);
    expect(statSync(saved).size).toBeGreaterThan(4_000_000);
    const [preview] = images(result);
    expect(preview?.mimeType).toBe('image/webp');
    const bytes = Buffer.from(preview!.data!, 'base64');
    expect(bytes.length).toBeLessThanOrEqual(cap);
    const meta = await sharp(bytes).metadata();
    expect(meta.format).toBe('webp');
    expect(Math.max(meta.width!, meta.height!)).toBeLessThanOrEqual(1568);
    expect(JSON.stringify(result.structuredContent)).not.toContain(preview!.data!.slice(0, 64));
    expect(JSON.stringify(result.structuredContent).length).toBeLessThan(2000);
  });

  it('downscales to exactly 1568 px on the long edge when the bytes allow it', async () => {
    const session = await start({ RUNWARE_INLINE_IMAGE_MAX_BYTES: String(20 * 1024 * 1024) });
    await sim.admin.faults({ largeImageCount: 1 });
    const result = await call(session, 'run', { ...FLUX, width: 2048, height: 1024 });
    const meta = await sharp(Buffer.from(images(result)[0]!.data!, 'base64')).metadata();
    expect([meta.width, meta.height]).toEqual([1568, 784]);
  });

  it('inlines small images as they are, at most 4 previews per result, none when the cap is 0', async () => {
    const session = await start({ RUNWARE_OUTPUT_DIR: 'off' });
    const five = await call(session, 'run', { ...FLUX, numberResults: 5 });
    expect(five.structuredContent!.outputs).toHaveLength(5);
    expect(images(five)).toHaveLength(4);
    const first = Buffer.from(images(five)[0]!.data!, 'base64');
    const original = Buffer.from(
      await (await fetch(String(five.structuredContent!.outputs![0]!.url))).arrayBuffer(),
    );
    expect(first.equals(original)).toBe(true);
    expect(images(five)[0]!.mimeType).toBe('image/png');

    const none = await start({ RUNWARE_INLINE_IMAGE_MAX_BYTES: '0' });
    expect(images(await call(none, 'run', FLUX))).toEqual([]);
  });
});
