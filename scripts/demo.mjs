// `npm run demo`: the Runware simulator and the hosted server pointed at it, so browsing, running models and the
// sign-in page all work with no Runware key and no internet. Flags: --port (server, 8787), --simulator-port (8788).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const KEY = 'rw-demo-key';
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8787' },
    'simulator-port': { type: 'string', default: '8788' },
  },
});

/** Starts a child and resolves with the first match of `ready` in its stdout; its stderr passes through. */
function start(name, args, env, ready) {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  return new Promise((resolve) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = ready.exec(out);
      if (match) resolve(match[1]);
    });
    child.once('exit', (code) => {
      process.stderr.write(`demo: the ${name} exited (${code}); stopping.\n`);
      stop(1);
    });
  });
}

const children = [];
function stop(code = 0) {
  for (const child of children) child.removeAllListeners('exit').kill('SIGTERM');
  process.exit(code);
}
process.once('SIGINT', () => stop());
process.once('SIGTERM', () => stop());

const sim = await start(
  'simulator',
  ['--import', 'tsx', 'simulator/main.ts', '--port', values['simulator-port'], '--key', KEY],
  {},
  /listening on (http:\/\/\S+)/,
);
const upstream = {
  RUNWARE_API_URL: `${sim}/v1`,
  RUNWARE_CONTENT_URL: `${sim}/content`,
  RUNWARE_SCHEMAS_URL: `${sim}/schemas`,
};
const server = await start(
  'server',
  [CLI, 'serve', '--port', values.port, '--data-dir', '.runware-mcp-data/demo'],
  { ...upstream, LOG_LEVEL: 'error' },
  /listening on (http:\/\/\S+)/,
);
const env = Object.entries({ RUNWARE_API_KEY: KEY, ...upstream })
  .map(([k, v]) => `${k}=${v}`)
  .join(' ');
process.stdout.write(`
Demo running: the MCP server against the Runware simulator (no key, no internet). Ctrl-C stops both.

  hosted MCP endpoint  ${server}/mcp
  sign-in key          ${KEY}   (paste it into the page your client opens)
  simulator            ${sim}   (plays Runware's inference, content and schema services)

Connect a client to the endpoint (Claude Code: claude mcp add --transport http runware-demo ${server}/mcp), or
browse and run over stdio with the same simulator:
  ${env} node dist/cli.js
`);
