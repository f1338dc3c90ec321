import { execFile } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

// The package as a user gets it: packed from a clean source tree (no dist/), installed from the tarball into an
// empty folder. Used by test/packed-install.test.ts and bench/install.ts.
const run = promisify(execFile);
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * A clean copy of the source: the working tree's tracked and unignored files (what a fresh clone of this change
 * holds), or `ref`'s tree from git. The repository's node_modules is linked in for the build tools.
 */
export async function cleanSourceTree(ref?: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'runware-src-'));
  if (ref) {
    await run('sh', ['-c', `git archive ${ref} | tar -x -C "${dir}"`], { cwd: ROOT });
  } else {
    const { stdout } = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
      cwd: ROOT,
      maxBuffer: 16 * 1024 * 1024,
    });
    // Files deleted in the working tree are still listed as tracked: a clone of this change would not have them.
    for (const file of stdout.split('\0').filter((f) => f && existsSync(join(ROOT, f)))) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      cpSync(join(ROOT, file), join(dir, file));
    }
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

/** `npm pack` in a source tree (its prepack builds dist/; `build` first for a tree without one); the tarball's path. */
export async function pack(sourceDir: string, options: { build?: boolean } = {}): Promise<string> {
  if (options.build) await run('npm', ['run', 'build'], { cwd: sourceDir });
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', sourceDir], {
    cwd: sourceDir,
    maxBuffer: 16 * 1024 * 1024,
  });
  const [result] = JSON.parse(stdout) as Array<{ filename: string }>;
  return join(sourceDir, result!.filename);
}

export interface Installed {
  dir: string;
  seconds: number;
  /** Installed packages, the product included. */
  packages: string[];
  /** Installed packages that run an install script (something compiled or fetched at install). */
  installScripts: string[];
  bytes: number;
  /** The installed package's `bin/<name>` links. */
  bin: (name: string) => string;
}

/**
 * Installs a tarball into an empty folder from the local npm cache, as `npm install <tarball>` would for a user
 * (`npmArgs`: e.g. --omit=optional, an install without sharp).
 */
export async function installTarball(tarball: string, npmArgs: string[] = []): Promise<Installed> {
  const dir = mkdtempSync(join(tmpdir(), 'runware-install-'));
  writeFileSync(join(dir, 'package.json'), '{ "name": "install-check", "private": true }\n');
  const started = performance.now();
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...npmArgs, tarball], {
    cwd: dir,
    maxBuffer: 16 * 1024 * 1024,
  });
  const seconds = (performance.now() - started) / 1000;
  const lock = JSON.parse(readFileSync(join(dir, 'node_modules', '.package-lock.json'), 'utf8')) as {
    packages: Record<string, { hasInstallScript?: boolean }>;
  };
  const name = (path: string) => path.replace(/^.*node_modules\//, '');
  const { stdout } = await run('du', ['-sb', join(dir, 'node_modules')]);
  return {
    dir,
    seconds,
    packages: Object.keys(lock.packages).map(name),
    installScripts: Object.entries(lock.packages)
      .filter(([, p]) => p.hasInstallScript)
      .map(([path]) => name(path)),
    bytes: Number(stdout.split('\t')[0]),
    bin: (name) => join(dir, 'node_modules', '.bin', name),
  };
}
