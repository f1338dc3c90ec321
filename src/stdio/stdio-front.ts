import { PassThrough, type Readable, Writable } from 'node:stream';
import { buildListings, CAPABILITIES, INSTRUCTIONS, SERVER_INFO } from '../mcp/listings.js';
import { declaresStudio } from '../studio/studio-app.js';

/**
 * The stdio front: answers a 2025-era client's handshake (initialize, ping, the static lists) from plain data
 * while the MCP SDK is not loaded yet, so `tools/list` is answered in the time Node needs to start. The first
 * message it cannot answer (a tool call, anything unusual or malformed) loads the SDK and hands it everything
 * in order, starting with a replay of the original `initialize` whose reply is swallowed. A `tools/list` also
 * starts the load in the background: the client reads the list while the SDK loads.
 */

/** Revisions whose `initialize` the front answers; any other (older, modern envelopes) goes to the SDK. */
const DIRECT_VERSIONS = new Set(['2025-03-26', '2025-06-18', '2025-11-25']);
/** Id of the replayed `initialize`; its reply is never written to stdout. */
const REPLAY_ID = 'runware-mcp-front:initialize';

export interface StdioFrontOptions {
  input: Readable;
  output: Writable;
  /** Loads the SDK and serves `inbound`/`outbound` with it; resolves once it reads `inbound`. */
  startSdk: (inbound: Readable, outbound: Writable) => Promise<void>;
  /** The input ended (the client went away). */
  onEnd: () => void;
}

type Message = { jsonrpc?: unknown; id?: unknown; method?: unknown; params?: unknown };

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function startStdioFront(options: StdioFrontOptions): void {
  const { toolList, studioToolList, promptList, resourceTemplates } = buildListings();
  const lists: Record<string, unknown> = {
    ping: {},
    'tools/list': toolList,
    'prompts/list': promptList,
    'resources/templates/list': resourceTemplates,
  };
  let state: 'front' | 'loading' | 'sdk' = 'front';
  let initialized = false;
  let pending: Buffer = Buffer.alloc(0);
  const queue: Buffer[] = [];

  const inbound = new PassThrough();
  let swallowReplay = false;
  const outbound = new Writable({
    write(chunk: Buffer, _encoding, done) {
      // The SDK writes one message per chunk; only the reply to the replayed initialize is dropped.
      if (
        swallowReplay &&
        chunk.includes(REPLAY_ID) &&
        (JSON.parse(chunk.toString()) as Message).id === REPLAY_ID
      ) {
        swallowReplay = false;
        done();
        return;
      }
      options.output.write(chunk, done);
    },
  });

  const reply = (id: unknown, result: unknown) => {
    options.output.write(`${JSON.stringify({ jsonrpc: '2.0', id, result })}\n`);
  };

  const loadSdk = () => {
    if (state !== 'front') return;
    state = 'loading';
    options.startSdk(inbound, outbound).then(
      () => {
        state = 'sdk';
        for (const line of queue) inbound.write(line);
        queue.length = 0;
        if (pending.length) inbound.write(pending);
        pending = Buffer.alloc(0);
      },
      (error: unknown) => {
        process.stderr.write(
          `runware-mcp: could not start the MCP server: ${(error as Error)?.stack ?? error}\n`,
        );
        process.exit(1);
      },
    );
  };

  /** The front's own answer to one message, or false when the SDK must have it. */
  const answer = (message: Message): boolean => {
    if (message.jsonrpc !== '2.0' || typeof message.method !== 'string') return false;
    if (typeof message.id !== 'number' && typeof message.id !== 'string') return false;
    if (message.method === 'initialize') {
      const params = message.params;
      if (initialized || !isPlainObject(params) || params._meta !== undefined) return false;
      const client = params.clientInfo;
      if (typeof params.protocolVersion !== 'string' || !DIRECT_VERSIONS.has(params.protocolVersion))
        return false;
      if (!isPlainObject(params.capabilities) || !isPlainObject(client)) return false;
      if (typeof client.name !== 'string' || typeof client.version !== 'string') return false;
      initialized = true;
      // The SDK server lists the app-only tools to clients that declared MCP Apps: so does the front.
      if (declaresStudio(params.capabilities)) lists['tools/list'] = studioToolList;
      swallowReplay = true;
      queue.push(Buffer.from(`${JSON.stringify({ ...message, id: REPLAY_ID })}\n`));
      reply(message.id, {
        protocolVersion: params.protocolVersion,
        capabilities: CAPABILITIES,
        serverInfo: SERVER_INFO,
        instructions: INSTRUCTIONS,
      });
      return true;
    }
    const result = lists[message.method];
    if (!initialized || result === undefined) return false;
    if (
      message.params !== undefined &&
      !(isPlainObject(message.params) && Object.keys(message.params).length === 0)
    )
      return false;
    reply(message.id, result);
    if (message.method === 'tools/list') setImmediate(loadSdk);
    return true;
  };

  const take = (line: Buffer) => {
    if (state === 'front') {
      let message: unknown;
      try {
        message = JSON.parse(line.toString());
      } catch {
        message = undefined;
      }
      if (isPlainObject(message)) {
        if (answer(message)) return;
        // The handshake's notification waits for the replay without loading the SDK.
        if (initialized && message.method === 'notifications/initialized' && message.id === undefined) {
          queue.push(line);
          return;
        }
      }
    }
    queue.push(line);
    loadSdk();
  };

  options.input.on('data', (chunk: Buffer) => {
    if (state === 'sdk') {
      inbound.write(chunk);
      return;
    }
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    for (let nl = pending.indexOf(10); nl !== -1; nl = pending.indexOf(10)) {
      take(pending.subarray(0, nl + 1));
      pending = pending.subarray(nl + 1);
    }
    // A line this long is not a handshake: the SDK applies its own size limit to it.
    if (pending.length > 1 << 16) loadSdk();
  });
  options.input.once('end', options.onEnd);
}
