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
}, 180_000);
afterAll(async () => {
  for (const session of sessions) await session.close().catch(() => undefined);
  await sim?.stop();
});

async function connect(bin: string, env: Record<string, string> = {}) {
  const session = await connectStdio(env, { bin: installed.bin(bin) });
  sessions.push(session);
  return session;
}

describe('the packed tarball installed into an empty folder', () => {
  it('is one package: every dependency is bundled, nothing to fetch or compile', () => {
    expect(installed.packages).toEqual(['runware-mcp-server']);
    console.log(
      `install: ${installed.seconds.toFixed(1)} s, ${installed.packages.length} package, ${(installed.bytes / 1e6).toFixed(1)} MB`,
    );
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
