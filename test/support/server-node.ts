import { delimiter, dirname } from 'node:path';

/**
 * The Node that runs the server under test: the machine's, or RUNWARE_MCP_TEST_NODE, which `npm test` sets to
 * Node 22 and 24 for a second and third pass of the end-to-end tests (scripts/test-other-nodes.mjs).
 */
export const SERVER_NODE = process.env.RUNWARE_MCP_TEST_NODE || process.execPath;

/** PATH with SERVER_NODE first, for a bin whose `#!/usr/bin/env node` must find it (as under `npx -p node@22`). */
export const PATH_WITH_SERVER_NODE = `${dirname(SERVER_NODE)}${delimiter}${process.env.PATH ?? ''}`;
