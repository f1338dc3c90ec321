import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHostedServer } from './support/hosted-server.js';
import { SERVER_NODE } from './support/server-node.js';

// How the CLI behaves for a person at a terminal: versions, one-line errors, a hint instead of silence.
const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli.js');
const VERSION = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
type Outcome = { code: number; stdout: string; stderr: string };
const outcome = (file: string, args: string[], env: Record<string, string> = {}): Promise<Outcome> =>
  run(file, args, { cwd: ROOT, env: { ...process.env, RUNWARE_OFFLINE: '1', ...env } }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: Outcome) => e,
  );
const cli = (args: string[]) => outcome(SERVER_NODE, [CLI, ...args]);

let serverNodeMajor: number;
let taken: Server;
let takenPort: number;
beforeAll(async () => {
  serverNodeMajor = Number((await run(SERVER_NODE, ['-p', 'process.versions.node'])).stdout.split('.')[0]);
  taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  takenPort = (taken.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((resolve) => taken.close(() => resolve())));

/** stderr's lines, without oidc-provider's runtime warning on Node 20 (kept there on purpose: docs/decisions.md). */
const lines = (stderr: string) =>
  stderr
    .split('\n')
    .filter((l) => l && !(serverNodeMajor < 22 && l.includes('oidc-provider WARNING: Unsupported runtime')));

describe('CLI manners', () => {
  it('--version prints the package version', async () => {
    expect(await cli(['--version'])).toMatchObject({ code: 0, stdout: `${VERSION}\n` });
  });

  it('serve on a port in use says so in one line', async () => {
    const result = await cli([
      'serve',
      '--port',
      String(takenPort),
      '--data-dir',
      mkdtempSync(join(tmpdir(), 'cli-')),
    ]);
    expect(result.code).toBe(2);
    expect(lines(result.stderr)).toEqual([
      `runware-mcp: port ${takenPort} on 127.0.0.1 is already in use; stop what listens there or pick another with --port (PORT)`,
    ]);
  });

  it('the simulator on a port in use says so in one line', async () => {
    const result = await outcome(process.execPath, [
      '--import',
      'tsx',
      'simulator/main.ts',
      '--port',
      String(takenPort),
      '--key',
      'k',
    ]);
    expect(result.code).toBe(2);
    expect(lines(result.stderr)).toEqual([
      `simulator: port ${takenPort} on 127.0.0.1 is already in use; stop what listens there or pick another with --port`,
    ]);
  });

  it('stdio refuses serve-only flags instead of ignoring them', async () => {
    const result = await cli(['--port', '8787']);
    expect(result.code).toBe(2);
    expect(lines(result.stderr)).toEqual([
      'runware-mcp: --port is an option of "serve" (MCP over HTTP); the stdio server has no --port. Run: runware-mcp-server serve --port ...',
    ]);
    // The environment may serve both modes (PORT is set by many platforms): not refused.
    const piped = spawnStdio({ PORT: '8787' });
    piped.stdin!.end();
    expect(await exitOf(piped)).toBe(0);
  });

  it('stdio started by hand in a terminal prints a one-line hint on stderr; under a client it stays silent', async () => {
    // `script` gives the server a pseudo-terminal as stdin, as a person's shell would.
    const terminal = spawn('script', ['-qec', `${SERVER_NODE} ${CLI}`, '/dev/null'], {
      env: { ...process.env, RUNWARE_OFFLINE: '1', LOG_LEVEL: 'silent' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let screen = '';
    terminal.stdout!.on('data', (c: Buffer) => {
      screen += c.toString();
    });
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (screen.includes('\n')) resolve(clearInterval(poll));
      }, 50);
    });
    terminal.stdin!.end();
    await exitOf(terminal);
    const shown = screen.split(/\r?\n/).filter(Boolean);
    expect(shown).toHaveLength(1);
    expect(shown[0]).toMatch(
      /^runware-mcp-server: an MCP server waiting for JSON-RPC on stdin\. .*"npx", args \["-y", "runware-mcp-server"\].*Ctrl-C quits\.$/,
    );

    const piped = spawnStdio();
    let stderr = '';
    piped.stderr!.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    piped.stdin!.end();
    await exitOf(piped);
    expect(stderr).toBe('');
  });

  it('serve on Node 22 and 24 prints no "Unsupported runtime" warning', async () => {
    const hosted = await startHostedServer({ apiUrl: 'http://127.0.0.1:9/v1' });
    await hosted.stop();
    if (serverNodeMajor >= 22) expect(hosted.logs()).not.toContain('Unsupported runtime');
    else expect(hosted.logs()).toContain('oidc-provider WARNING: Unsupported runtime');
  });
});

function spawnStdio(env: Record<string, string> = {}): ChildProcess {
  return spawn(SERVER_NODE, [CLI], {
    env: { ...process.env, RUNWARE_OFFLINE: '1', LOG_LEVEL: 'silent', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}
