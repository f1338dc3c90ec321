import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Client, type ClientCapabilities } from '@modelcontextprotocol/client';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { PATH_WITH_SERVER_NODE, SERVER_NODE } from './server-node.js';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

export interface StdioSession {
  client: Client;
  /** Everything the server wrote to stderr so far (its logs). */
  stderr: () => string;
  dataDir: string;
  close(): Promise<void>;
}

/**
 * The simulator plays all three Runware services: given its inference URL (`<base>/v1`), the content and schema
 * services are `<base>/content` and `<base>/schemas`, and the server runs online against them, live first as
 * against Runware. Without one it runs offline on the bundled snapshot.
 */
export function runwareEnv(env: Record<string, string | undefined>): Record<string, string> {
  const base = /^(.*)\/v1$/.exec(env.RUNWARE_API_URL ?? '')?.[1];
  const online = base
    ? { RUNWARE_CONTENT_URL: `${base}/content`, RUNWARE_SCHEMAS_URL: `${base}/schemas` }
    : { RUNWARE_OFFLINE: '1' };
  return Object.fromEntries(
    Object.entries({ ...online, ...env }).filter((e): e is [string, string] => e[1] !== undefined),
  );
}

/**
 * Spawns the built CLI as a real stdio child and connects the official SDK client to it. Outputs are saved under
 * the data dir unless the test says otherwise (never into the machine's ~/Runware).
 */
export async function connectStdio(
  env: Record<string, string> = {},
  /**
   * bin: an installed package's bin link to run instead of this checkout's dist/cli.js. roots: folders the
   * client lists as its MCP roots (it then declares the roots capability and answers roots/list).
   */
  options: {
    dataDir?: string;
    bin?: string;
    capabilities?: ClientCapabilities;
    /** Handlers to set before connecting (e.g. elicitation/create). */
    beforeConnect?: (client: Client) => void;
    roots?: string[];
  } = {},
): Promise<StdioSession> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'runware-mcp-'));
  const transport = new StdioClientTransport({
    command: options.bin ?? SERVER_NODE,
    args: options.bin ? [] : [CLI],
    env: {
      ...getDefaultEnvironment(),
      PATH: PATH_WITH_SERVER_NODE,
      RUNWARE_MCP_DATA_DIR: dataDir,
      RUNWARE_OUTPUT_DIR: join(dataDir, 'outputs'),
      LOG_LEVEL: 'debug',
      ...runwareEnv(env),
    },
    stderr: 'pipe',
  });
  let err = '';
  transport.stderr?.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const { roots } = options;
  const capabilities = { ...options.capabilities, ...(roots ? { roots: { listChanged: true } } : {}) };
  const client = new Client(
    { name: 'runware-mcp-tests', version: '1.0.0' },
    Object.keys(capabilities).length ? { capabilities } : {},
  );
  if (roots) {
    client.setRequestHandler('roots/list', () => ({
      roots: roots.map((dir) => ({ uri: pathToFileURL(dir).href, name: dir })),
    }));
  }
  options.beforeConnect?.(client);
  await client.connect(transport);
  return { client, stderr: () => err, dataDir, close: () => client.close() };
}
