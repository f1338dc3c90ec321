// What installing costs a user: the package packed from a clean tree and installed from its tarball into an empty
// folder (from the local npm cache), beside the previous release (main, packed and installed the same way, same
// run). Run: npm run bench:install [-- <git ref of the previous release>]. Goal: < 15 s, < 20 packages, and no
// install script (nothing to compile) on Node 22+.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanSourceTree, installTarball, pack } from '../test/support/packed-install.js';

const previous = process.argv[2] ?? 'main';

async function measure(label: string, ref?: string) {
  const tarball = await pack(await cleanSourceTree(ref), { build: true });
  const installed = await installTarball(tarball);
  const lock = JSON.parse(
    readFileSync(join(installed.dir, 'node_modules', '.package-lock.json'), 'utf8'),
  ) as {
    packages: Record<string, { hasInstallScript?: boolean }>;
  };
  const scripts = Object.entries(lock.packages)
    .filter(([, p]) => p.hasInstallScript)
    .map(([path]) => path.replace(/^.*node_modules\//, ''));
  console.log(
    `${label.padEnd(28)} ${installed.seconds.toFixed(1).padStart(6)} s  packages ${String(installed.packages.length).padStart(4)}  ${(installed.bytes / 1e6).toFixed(1).padStart(6)} MB  install scripts: ${scripts.join(', ') || 'none'}`,
  );
  return installed;
}

console.log(`npm install <tarball> into an empty folder, Node ${process.versions.node}`);
const ours = await measure('this tree');
const before = await measure(`previous release (${previous})`, previous);
console.log(
  `ratio this/previous: ${(ours.seconds / before.seconds).toFixed(2)}x time, ${(ours.packages.length / before.packages.length).toFixed(2)}x packages, ${(ours.bytes / before.bytes).toFixed(2)}x size (goal: < 15 s, < 20 packages)`,
);
