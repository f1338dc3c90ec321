import { loadConfig, renderHelp } from '../config/config.js';
import { startStdioFront } from './stdio-front.js';

/** `runware-mcp` with no command: MCP over stdin/stdout; the SDK is loaded by the front when first needed. */
export async function runStdio(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(renderHelp('stdio'));
    return;
  }
  const config = loadConfig(argv);
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
