import { loadConfig, renderHelp } from '../config/config.js';
import { startStdioFront } from './stdio-front.js';

const TERMINAL_HINT =
  'runware-mcp-server: an MCP server waiting for JSON-RPC on stdin. Start it from an MCP client instead: command "npx", args ["-y", "runware-mcp-server"], env RUNWARE_API_KEY (see --help; "serve" runs it over HTTP). Ctrl-C quits.\n';

/** `runware-mcp` with no command: MCP over stdin/stdout; the SDK is loaded by the front when first needed. */
export async function runStdio(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(renderHelp('stdio'));
    return;
  }
  const config = loadConfig(argv, process.env, 'stdio');
  // Started by hand: say what this is instead of waiting silently for JSON-RPC.
  if (process.stdin.isTTY) process.stderr.write(TERMINAL_HINT);
  let server: { close(): Promise<void> } | undefined;
  const stop = () => void (server?.close() ?? Promise.resolve()).finally(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  startStdioFront({
    input: process.stdin,
    output: process.stdout,
    startSdk: async (inbound, outbound) => {
      const { serveLocal } = await import('./stdio-server.js');
      server = serveLocal(config, inbound, outbound);
    },
    onEnd: stop,
  });
}
