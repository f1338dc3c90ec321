import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanSourceTree, type Installed, installTarball, pack } from './support/packed-install.js';
import { PATH_WITH_SERVER_NODE, SERVER_NODE } from './support/server-node.js';
import { type SimulatorProcess, spawnSimulator } from './support/simulator-process.js';
import { connectStdio, type StdioSession } from './support/stdio-client.js';

// What a user gets: `npm pack` from a clean tree (no dist/), the tarball installed into an empty folder, its bin run
// over stdio by a real client. Runs again with the server on Node 22 and 24 (scripts/test-other-nodes.mjs).
const run = promisify(execFile);
const KEY = 'rw-packed-install-key-31c7';
const VERSION = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
let installed: Installed;
let withoutSharp: Installed;
let tarball: string;
let sim: SimulatorProcess;
const sessions: StdioSession[] = [];

beforeAll(async () => {
  const source = await cleanSourceTree();
  expect(existsSync(join(source, 'dist'))).toBe(false);
  tarball = await pack(source);
  [installed, sim] = await Promise.all([
    installTarball(tarball),
    spawnSimulator({ keys: [KEY], asyncDelayMs: 500 }),
  ]);
  // What a user gets where sharp's prebuilt binary does not install (or with optional dependencies omitted).
  withoutSharp = await installTarball(tarball, ['--omit=optional']);
}, 180_000);
afterAll(async () => {
  for (const session of sessions) await session.close().catch(() => undefined);
  await sim?.stop();
});

async function connect(bin: string, env: Record<string, string> = {}, from = installed) {
  const session = await connectStdio(env, { bin: from.bin(bin) });
  sessions.push(session);
  return session;
}

describe('the packed tarball installed into an empty folder', () => {
  it("is the package plus sharp's prebuilt binaries: everything else is bundled, nothing to fetch or compile", () => {
    expect(installed.packages).toEqual(expect.arrayContaining(['runware-mcp-server', 'sharp']));
    // sharp (optional, for previews) brings its platform's prebuilt binding and libvips and two small helpers.
    const others = installed.packages.filter((p) => p !== 'runware-mcp-server');
    expect(others.filter((p) => !/^(sharp|@img\/[a-z0-9-]+|detect-libc|semver)$/.test(p))).toEqual([]);
    expect(installed.installScripts).toEqual([]);
    expect(withoutSharp.packages).toEqual(['runware-mcp-server']);
    for (const [label, i] of [
      ['install', installed],
      ['install --omit=optional', withoutSharp],
    ] as const) {
      console.log(
        `${label}: ${i.seconds.toFixed(1)} s, ${i.packages.length} packages, ${(i.bytes / 1e6).toFixed(1)} MB`,
      );
    }
  });

  it('loads sharp from the installed package for previews; without it, small images inline and large ones say why', async () => {
    const env = { RUNWARE_API_KEY: KEY, RUNWARE_API_URL: sim.apiUrl };
    const big = { model: 'runware:101@1', positivePrompt: 'noise', width: 1216, height: 1216 };
    type Result = { content: Array<{ type: string; mimeType?: string; text?: string }> };
    const previewOf = async (from: Installed, args: Record<string, unknown>, large = true) => {
      const session = await connect('runware-mcp-server', env, from);
      await sim.admin.faults({ largeImageCount: large ? 1 : 0 });
      return (await session.client.callTool({ name: 'run', arguments: args })) as Result;
    };
    const withSharp = await previewOf(installed, big);
    expect(withSharp.content.find((c) => c.type === 'image')?.mimeType).toBe('image/webp');
    const bare = await previewOf(withoutSharp, big);
    expect(bare.content.filter((c) => c.type === 'image')).toEqual([]);
    expect(bare.content[0]!.text).toMatch(
      /No preview of image 1: it is larger than RUNWARE_INLINE_IMAGE_MAX_BYTES \(262144\) and the optional sharp package, which downscales previews, is not installed\./,
    );
    const small = await previewOf(withoutSharp, { ...big, width: 512, height: 512 }, false);
    expect(small.content.find((c) => c.type === 'image')?.mimeType).toBe('image/png');
  });

  it('answers tools/list over stdio through its bin, and the runware-mcp alias is the same program', async () => {
    const session = await connect('runware-mcp-server');
    const { tools } = await session.client.listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['run', 'list_models', 'model_search']));
    const env = { ...process.env, PATH: PATH_WITH_SERVER_NODE };
    const alias = await run(installed.bin('runware-mcp'), ['--version'], { env });
    expect(alias.stdout).toBe(`${VERSION}\n`);
  });

  it('serves Runware Studio from the installed package (dist/studio.html is shipped and found)', async () => {
    const session = await connect('runware-mcp-server');
    const { contents } = await session.client.readResource({ uri: 'ui://runware/studio' });
    const app = contents[0] as { mimeType: string; text: string };
    expect(app.mimeType).toBe('text/html;profile=mcp-app');
    expect(app.text).toContain('<title>Runware Studio</title>');
  });

  it('runs straight from the tarball with npx, both ways the README shows', async () => {
    const options = { env: { ...process.env, PATH: PATH_WITH_SERVER_NODE }, cwd: dirname(tarball) };
    const relative = await run('npx', ['-y', `./${basename(tarball)}`, '--version'], options);
    expect(relative.stdout).toBe(`${VERSION}\n`);
    const absolute = await run('npx', ['-y', '-p', tarball, 'runware-mcp-server', '--version'], options);
    expect(absolute.stdout).toBe(`${VERSION}\n`);
  });

  it('runs a model and finds the task again, with tasks in SQLite where a driver loads and in memory (one warning) where none does', async () => {
    const { stdout: nodeVersion } = await run(SERVER_NODE, ['-p', 'process.versions.node']);
    const [major, minor] = nodeVersion.trim().split('.').map(Number) as [number, number];
    const hasNodeSqlite = major > 22 || (major === 22 && minor >= 13);
    const session = await connect('runware-mcp-server', {
      RUNWARE_API_KEY: KEY,
      RUNWARE_API_URL: sim.apiUrl,
      RUNWARE_SCHEMAS_URL: sim.schemasUrl,
    });
    const result = (await session.client.callTool({
      name: 'run',
      arguments: { model: 'runware:101@1', positivePrompt: 'a lighthouse at dusk', width: 512, height: 512 },
    })) as { isError?: boolean; structuredContent?: { status: string; taskUUID: string } };
    expect(result.isError, JSON.stringify(result)).toBeFalsy();
    expect(result.structuredContent?.status).toBe('success');
    const again = (await session.client.callTool({
      name: 'get_task_details',
      arguments: { taskUUID: result.structuredContent!.taskUUID },
    })) as typeof result;
    expect(again.structuredContent).toMatchObject({
      status: 'success',
      taskUUID: result.structuredContent!.taskUUID,
    });

    const stderr = session.stderr();
    expect(stderr).not.toContain('ExperimentalWarning');
    if (hasNodeSqlite) {
      expect(stderr).toContain('"driver":"node:sqlite"');
      expect(stderr).not.toContain('No SQLite driver');
      expect(existsSync(join(session.dataDir, 'runware-mcp.db'))).toBe(true);
    } else {
      // Node 20 without better-sqlite3 next to the package: the install a Node 20 user gets by default.
      expect(
        stderr.match(/No SQLite driver[^"]*tasks are kept in memory until this server exits/g),
      ).toHaveLength(1);
      expect(stderr).toContain('-p better-sqlite3@12');
      expect(existsSync(join(session.dataDir, 'runware-mcp.db'))).toBe(false);
    }
  });
});
