// What installing costs a user: the package packed from a clean tree and installed from its tarball into an empty
// folder (from the local npm cache), beside the previous release (main, packed and installed the same way, same
// run), and this tree without optional dependencies (no sharp: what a platform without its prebuilt binary gets).
// Run: npm run bench:install [-- <git ref of the previous release>]. Goal: < 15 s, < 20 packages, and no install
// script (nothing to compile) on Node 22+.
import { cleanSourceTree, installTarball, pack } from '../test/support/packed-install.js';

const previous = process.argv[2] ?? 'main';

async function measure(label: string, ref?: string, npmArgs: string[] = []) {
  const tarball = await pack(await cleanSourceTree(ref), { build: true });
  const installed = await installTarball(tarball, npmArgs);
  console.log(
    `${label.padEnd(28)} ${installed.seconds.toFixed(1).padStart(6)} s  packages ${String(installed.packages.length).padStart(4)}  ${(installed.bytes / 1e6).toFixed(1).padStart(6)} MB  install scripts: ${installed.installScripts.join(', ') || 'none'}`,
  );
  return installed;
}

console.log(`npm install <tarball> into an empty folder, Node ${process.versions.node}`);
const ours = await measure('this tree');
await measure('this tree, --omit=optional', undefined, ['--omit=optional']);
const before = await measure(`previous release (${previous})`, previous);
console.log(
  `ratio this/previous: ${(ours.seconds / before.seconds).toFixed(2)}x time, ${(ours.packages.length / before.packages.length).toFixed(2)}x packages, ${(ours.bytes / before.bytes).toFixed(2)}x size (goal: < 15 s, < 20 packages)`,
);
