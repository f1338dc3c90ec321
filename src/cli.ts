import { ConfigError } from './config/config.js';
import { VERSION } from './version.js';

/**
 * Entry point. Each command is imported lazily so the stdio path never loads the HTTP/OAuth stack.
 *   runware-mcp                 stdio MCP server
 *   runware-mcp serve           hosted MCP over Streamable HTTP + OAuth
 *   runware-mcp catalog refresh rewrite the catalog snapshot from the live services
 *   runware-mcp --version       the package version
 */
async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === '--version') {
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  if (command === 'serve') {
    const { runServe } = await import('./http/serve-command.js');
    return runServe(rest);
  }
  if (command === 'catalog') {
    const { runCatalogCommand } = await import('./catalog/catalog-command.js');
    return runCatalogCommand(rest);
  }
  const { runStdio } = await import('./stdio/stdio-command.js');
  return runStdio(argv);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`runware-mcp: ${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`runware-mcp: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
