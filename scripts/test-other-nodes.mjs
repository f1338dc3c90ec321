// Part of `npm test`: the stdio and hosted end-to-end tests again with the server under Node 22 and 24 (users run
// those; Vitest itself stays on the machine's Node). The binaries come from the registry's `node` package into
// npx's cache, never into node_modules/.bin, where a `node` would shadow the machine's in every npm script.
import { execFileSync, spawnSync } from 'node:child_process';

const NODES = ['22.23.3', '24.21.0'];
const FILES = [
  'test/stdio-browse',
  'test/stdio-handshake',
  'test/run-tool',
  'test/hosted-',
  'test/packed-install',
  'test/cli-manners',
  'test/true-to-runware',
  'test/studio-metadata',
  'test/mcp-tasks',
  'test/spend-confirmation',
  'test/local-files',
  'test/budgets',
];

for (const version of NODES) {
  const node = execFileSync('npx', ['-y', '-p', `node@${version}`, 'node', '-p', 'process.execPath'], {
    encoding: 'utf8',
  }).trim();
  console.log(`\nEnd-to-end tests with the server on Node ${version} (${node})`);
  const { status } = spawnSync('npx', ['vitest', 'run', ...FILES], {
    stdio: 'inherit',
    env: { ...process.env, RUNWARE_MCP_TEST_NODE: node },
  });
  if (status !== 0) process.exit(status ?? 1);
}
