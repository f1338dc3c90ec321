import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { PROMPTS } from '../../src/mcp/prompts.js';
import { ALL_TOOLS } from '../../src/tools/index.js';

/**
 * fast-check arbitraries for the fuzz test: JSON-RPC messages as they go on the wire, from well-formed requests
 * with hostile tool arguments to plain garbage. Every message says what a correct server must do with it:
 *   reply  a valid request: exactly one response carrying its id
 *   none   a valid notification: no response at all
 *   maybe  not valid JSON-RPC: at most one response (the stdio transport drops these silently)
 */
export type Expect = 'reply' | 'none' | 'maybe';

export interface FuzzMessage {
  kind: string;
  expect: Expect;
  /** The wire text (one line: no raw newlines). */
  text: string;
  /** The ids the message carries: one for a request, several for a batch, none for garbage. */
  ids: Array<string | number>;
  /** For messages that must never succeed (e.g. a method smuggled under `__proto__`). */
  neverResult?: boolean;
}

interface Draft {
  kind: string;
  expect: Expect;
  /** A message object (stringified) or raw wire text; `ID` marks where a fresh request id goes. */
  body?: unknown;
  raw?: string;
  idSuffix: string | undefined;
  neverResult?: boolean;
}

/** Placeholder for a request id, filled from a sequence so ids never collide (replies are matched by id). */
const ID = '\u0000id\u0000';
const ID_TEXT = JSON.stringify(ID);
/** Placeholders for values too deep to build as objects (JSON.stringify overflows the stack near 5,000 levels). */
const deepMarker = (shape: 'array' | 'object', depth: number) => `\u0000deep:${shape}:${depth}\u0000`;
const DEEP_TEXT = /"\\u0000deep:(array|object):(\d+)\\u0000"/g;

// ---------------------------------------------------------------------------------------------------------
// Leaves: strings, numbers, keys

const PROTO_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  '__defineGetter__',
  'then',
];
const protoKey = fc.constantFrom(...PROTO_KEYS);

const nastyConstants = fc.constantFrom(
  '',
  ' ',
  '\u0000',
  '\ud800',
  '\udfff\ud800',
  '\u202e\u2066',
  '\ufeff',
  '👩‍👩‍👧‍👦',
  'Ω≈ç√∫',
  'ﷺ',
  '../../../../etc/passwd',
  '%00%ff%',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, meant literally
  '${{7*7}}',
  '<script>alert(1)</script>',
  "'; DROP TABLE tasks; --",
  'runware:101@1',
  'runware://models/runware%3A101%401/schema',
  'null',
  'NaN',
  '1e309',
  '__proto__',
);

/** Text: Unicode graphemes, arbitrary code points (lone surrogates included) and known troublemakers. */
const text = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 2, arbitrary: nastyConstants },
);

/** Strings big enough to hurt: up to 200k UTF-16 units of one character (multi-byte ones included). */
const hugeText = fc
  .tuple(
    fc.integer({ min: 5_000, max: 200_000 }),
    fc.constantFrom('a', 'é', '😀', '\u0000', '"', '\\', '\ud800', ' '),
  )
  .map(([n, c]) => c.repeat(n));

const number = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -0, -1, 0.5, 2 ** 31, 2 ** 53, -(2 ** 53), 1e308, -1e308, 5e-324, 1e21),
);

const key = fc.oneof(
  { weight: 2, arbitrary: protoKey },
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
);

/** An object with exactly these own keys: `__proto__` stays an own key, as JSON.parse makes it on the server. */
function objectOf(entries: Array<[string, unknown]>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries)
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
}

const deep = fc
  .tuple(fc.constantFrom('array' as const, 'object' as const), fc.integer({ min: 64, max: 20_000 }))
  .map(([shape, depth]) => deepMarker(shape, depth));

/** Any JSON value: nested arrays and objects with hostile keys, occasionally a 20,000-level-deep one. */
const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 4 },
    { weight: 50, arbitrary: text },
    { weight: 20, arbitrary: number },
    { weight: 10, arbitrary: fc.boolean() },
    { weight: 10, arbitrary: fc.constant(null) },
    { weight: 20, arbitrary: fc.array(tie('value'), { maxLength: 4 }) },
    { weight: 30, arbitrary: fc.array(fc.tuple(key, tie('value')), { maxLength: 4 }).map(objectOf) },
    { weight: 1, arbitrary: deep },
  ),
}));

const dictionary = (values: fc.Arbitrary<unknown> = value) =>
  fc.array(fc.tuple(key, values), { maxLength: 5 }).map(objectOf);

// ---------------------------------------------------------------------------------------------------------
// Tool arguments, shaped by each tool's own input schema

interface PropSchema {
  type?: string;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  properties?: Record<string, PropSchema>;
}

const CATALOG = new URL('../../catalog/models/', import.meta.url);
/** A few real models and their parameter schemas, so some calls get past the model lookup into validation. */
const MODELS = readdirSync(CATALOG)
  .filter((f) => f.endsWith('.json'))
  .slice(0, 12)
  .map((f) => {
    const record = JSON.parse(readFileSync(new URL(f, CATALOG), 'utf8')) as {
      air: string;
      requestSchema?: { properties?: Record<string, PropSchema> };
    };
    return { air: record.air, params: Object.entries(record.requestSchema?.properties ?? {}) };
  });
const air = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...MODELS.map((m) => m.air)) },
  { weight: 1, arbitrary: text },
  { weight: 1, arbitrary: fc.constantFrom('civitai:1@1', 'runware:0@0', 'a:b@c', 'x'.repeat(201)) },
);

/** A value near what the schema allows: in range, at the edges, just past them, or of the wrong type. */
function plausible(name: string, schema: PropSchema): fc.Arbitrary<unknown> {
  if (schema.enum) return fc.oneof(fc.constantFrom(...schema.enum), text);
  if (['model', 'air'].includes(name)) return air;
  if (name === 'taskUUID') return fc.oneof(fc.uuid(), text);
  switch (schema.type) {
    case 'integer':
    case 'number': {
      const lo = schema.minimum ?? -1000;
      const hi = schema.maximum ?? 1000;
      // fc.integer works on 32-bit ranges (some schemas allow up to 2^63)
      return fc.oneof(
        fc.integer({ min: Math.max(Math.ceil(lo), -(2 ** 31)), max: Math.min(Math.floor(hi), 2 ** 31 - 1) }),
        fc.constantFrom(lo - 1, hi + 1, lo + 0.5, -0),
        fc.double({ min: lo, max: hi, noNaN: true }),
        number,
      );
    }
    case 'string':
      return fc.oneof(
        fc.string({ unit: 'grapheme', minLength: schema.minLength ?? 0, maxLength: schema.maxLength ?? 40 }),
        fc.constant('x'.repeat((schema.maxLength ?? 4096) + 1)),
        text,
      );
    case 'boolean':
      return fc.oneof(fc.boolean(), fc.constantFrom('true', 0, 1));
    default:
      return value;
  }
}

/** Arguments for one tool: each declared property absent, plausible or hostile, plus stray and proto keys. */
function argumentsFor(props: Array<[string, PropSchema]>): fc.Arbitrary<Record<string, unknown>> {
  const entries = props.map(([name, schema]) =>
    fc
      .option(fc.oneof({ weight: 3, arbitrary: plausible(name, schema) }, { weight: 1, arbitrary: value }), {
        freq: 3,
        nil: undefined,
      })
      .map((v): Array<[string, unknown]> => (v === undefined ? [] : [[name, v]])),
  );
  const stray = fc.oneof(
    { weight: 30, arbitrary: fc.constant([] as Array<[string, unknown]>) },
    { weight: 15, arbitrary: fc.array(fc.tuple(key, value), { maxLength: 3 }) },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.constantFrom('prompt', 'positivePrompt', 'media'), hugeText).map((e) => [e]),
    },
  );
  return fc.tuple(fc.tuple(...entries), stray).map(([own, extra]) => objectOf([...own.flat(), ...extra]));
}

const toolArguments = fc.oneof(
  ...ALL_TOOLS.filter((t) => t.name !== 'run').map((t) =>
    fc.record({
      name: fc.constant(t.name),
      arguments: argumentsFor(Object.entries((t.inputSchema as PropSchema).properties ?? {})),
    }),
  ),
  // run takes the model's own parameters at the top level: fuzz those of a real model.
  fc.constantFrom(...MODELS).chain((m) =>
    fc.record({
      name: fc.constant('run'),
      arguments: argumentsFor([['model', { type: 'string' }], ...m.params]),
    }),
  ),
);

// ---------------------------------------------------------------------------------------------------------
// Messages

const meta = fc.option(
  fc.oneof(
    { weight: 4, arbitrary: fc.record({ progressToken: fc.oneof(text, fc.integer()) }) },
    { weight: 4, arbitrary: dictionary() },
    // a 2026-07-28 envelope claim inside a 2025 session (HTTP answers it 400 with a JSON-RPC error)
    {
      weight: 1,
      arbitrary: fc.record({
        'io.modelcontextprotocol/protocolVersion': fc.oneof(text, fc.constant('2026-07-28')),
      }),
    },
  ),
  { freq: 4, nil: undefined },
);
const withMeta = (params: Record<string, unknown>, m: unknown) =>
  m === undefined ? params : objectOf([...Object.entries(params), ['_meta', m]]);

const request = (method: string, params?: Record<string, unknown>) => ({
  jsonrpc: '2.0',
  id: ID,
  method,
  ...(params === undefined ? {} : { params }),
});

const idSuffix = fc.oneof(
  { weight: 15, arbitrary: fc.constant(undefined) },
  { weight: 15, arbitrary: text },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1000, maxLength: 3000 }) },
);

const draft = (kind: string, expect: Expect, body: fc.Arbitrary<unknown>, extra: Partial<Draft> = {}) =>
  fc
    .record({ body, idSuffix })
    .map(({ body, idSuffix }): Draft => ({ kind, expect, body, idSuffix, ...extra }));

/** tools/call with hostile arguments for real tools, odd tool names and non-object arguments. */
const toolCall = draft(
  'tools/call',
  'reply',
  fc
    .tuple(
      fc.oneof(
        { weight: 8, arbitrary: toolArguments },
        { weight: 1, arbitrary: fc.record({ name: fc.oneof(text, protoKey), arguments: dictionary() }) },
        {
          weight: 1,
          arbitrary: fc.record({ name: fc.oneof(text, number, fc.constant(null)), arguments: value }),
        },
        {
          weight: 1,
          arbitrary: fc.record({
            name: fc.constantFrom('list_models', 'run'),
            arguments: fc.constant(undefined),
          }),
        },
      ),
      meta,
    )
    .map(([params, m]) => request('tools/call', withMeta(params as Record<string, unknown>, m))),
);

const promptName = fc.oneof(fc.constantFrom(...PROMPTS.map((p) => p.name)), text, protoKey);
const uri = fc.oneof(
  fc.constantFrom(...MODELS.map((m) => `runware://models/${encodeURIComponent(m.air)}/schema`)),
  text.map((t) => `runware://models/${t}/schema`),
  fc.constantFrom('runware://models/%E0%A4%A/schema', 'runware://models/%/schema', 'file:///etc/passwd', ''),
  text,
);

/** Every other method the server knows (and some it does not), with fuzzed params. */
const otherRequest = draft(
  'method',
  'reply',
  fc.oneof(
    fc
      .constantFrom('ping', 'tools/list', 'resources/list', 'resources/templates/list', 'prompts/list')
      .chain((m) => fc.option(dictionary(), { nil: undefined }).map((p) => request(m, p))),
    fc.record({ cursor: fc.oneof(text, number) }).map((p) => request('tools/list', p)),
    fc.tuple(uri, meta).map(([u, m]) => request('resources/read', withMeta({ uri: u }, m))),
    uri.map((u) => request('resources/subscribe', { uri: u })),
    fc
      .record({ name: promptName, arguments: fc.oneof(dictionary(text), dictionary()) })
      .map((p) => request('prompts/get', p)),
    fc
      .oneof(fc.constantFrom('debug', 'error', 'emergency'), text)
      .map((level) => request('logging/setLevel', { level })),
    fc
      .record({
        ref: fc.oneof(fc.record({ type: fc.constant('ref/prompt'), name: promptName }), dictionary()),
        argument: fc.record({ name: text, value: text }),
      })
      .map((p) => request('completion/complete', p)),
    fc
      .record({
        protocolVersion: fc.oneof(fc.constantFrom('2025-06-18', '2025-03-26', '1999-01-01'), text),
        capabilities: dictionary(),
        clientInfo: fc.oneof(fc.record({ name: text, version: text }), value),
      })
      .map((p) => request('initialize', p)),
    fc
      .tuple(
        fc.oneof(
          text,
          protoKey,
          fc.constantFrom('tools/call/', 'notifications/initialized', 'tasks/get', 'rpc.discover'),
        ),
        fc.option(dictionary(), { nil: undefined }),
      )
      .map(([m, p]) => request(m, p)),
  ),
);

/** Notifications: never answered. Cancellations name ids outside the request id space (see materialize). */
const notification = draft(
  'notification',
  'none',
  fc.oneof(
    fc.constant({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    fc
      .record({
        requestId: fc.oneof(
          fc.integer({ max: -1 }),
          text.map((t) => `~${t}`),
        ),
        reason: text,
      })
      .map((params) => ({ jsonrpc: '2.0', method: 'notifications/cancelled', params })),
    fc
      .record({ progressToken: fc.oneof(text, number), progress: number })
      .map((params) => ({ jsonrpc: '2.0', method: 'notifications/progress', params })),
    fc
      .tuple(
        fc.oneof(text, protoKey, fc.constant('notifications/roots/list_changed')),
        fc.option(dictionary(), { nil: undefined }),
      )
      .map(([method, params]) => ({ jsonrpc: '2.0', method, ...(params === undefined ? {} : { params }) })),
  ),
);

/** A valid request with one part of its envelope broken: wrong version, id, method or params types. */
const badEnvelope = draft(
  'bad-envelope',
  'maybe',
  fc
    .tuple(
      fc.constantFrom('jsonrpc', 'id', 'method', 'params', 'extra', 'response'),
      fc.oneof(value, fc.constantFrom(1.5, null, true, {}, [], '1.0', 2)),
    )
    .map(([part, bad]): unknown => {
      const base: Record<string, unknown> = { jsonrpc: '2.0', id: ID, method: 'ping' };
      switch (part) {
        case 'response':
          return {
            jsonrpc: '2.0',
            id: ID,
            ...(bad === null ? { result: {} } : { error: { code: bad, message: bad } }),
          };
        case 'extra':
          return objectOf([...Object.entries(base), ['result', bad]]);
        case 'params':
          return {
            ...base,
            params: Array.isArray(bad) || typeof bad !== 'object' || bad === null ? bad : [bad],
          };
        case 'jsonrpc':
          return { ...base, jsonrpc: bad === '2.0' ? '2' : bad };
        case 'id':
          // a usable id would make this a valid request: keep only the broken ones
          return { ...base, id: typeof bad === 'string' || Number.isInteger(bad) ? 1.5 : bad };
        default:
          return { ...base, method: typeof bad === 'string' ? null : bad };
      }
    }),
);

/** Top-level JSON that is not a message: scalars, objects, batches (arrays) of requests, deep nesting. */
const notAMessage = fc.oneof(
  draft('json-value', 'maybe', value),
  draft(
    'batch',
    'maybe',
    fc.array(fc.constantFrom(request('ping'), request('tools/list')), { minLength: 1, maxLength: 4 }),
  ),
  draft('empty-batch', 'maybe', fc.constant([])),
  draft('deep', 'maybe', deep),
  // A method smuggled in through `__proto__` must not be served: JSON.parse makes it an own key, not a prototype.
  draft(
    'proto-method',
    'maybe',
    fc.constant(
      objectOf([
        ['jsonrpc', '2.0'],
        ['id', ID],
        ['__proto__', { method: 'tools/list' }],
      ]),
    ),
    { neverResult: true },
  ),
);

/** Text that is not JSON (or barely is): junk, truncated messages, BOMs, duplicate keys, unclosed nesting. */
const garbage = fc.oneof(
  fc
    .string({ unit: 'binary', maxLength: 200 })
    .map((raw): Draft => ({ kind: 'garbage', expect: 'maybe', raw, idSuffix: undefined })),
  fc
    .tuple(fc.constantFrom(`{"jsonrpc":"2.0","id":${ID_TEXT},"method":"tools/list"}`), fc.nat({ max: 50 }))
    .map(
      ([t, n]): Draft => ({ kind: 'truncated', expect: 'maybe', raw: t.slice(0, n), idSuffix: undefined }),
    ),
  fc
    .constantFrom(
      `\ufeff{"jsonrpc":"2.0","id":${ID_TEXT},"method":"ping"}`,
      `{"jsonrpc":"2.0","id":${ID_TEXT},"method":"ping"} trailing`,
      `{"jsonrpc":"2.0","id":${ID_TEXT},"method":"ping",}`,
      `{'jsonrpc':'2.0','id':1,'method':'ping'}`,
      '{"jsonrpc":"2.0","id":1e999,"method":"ping"}',
    )
    .map((raw): Draft => ({ kind: 'malformed', expect: 'maybe', raw, idSuffix: undefined })),
  fc
    .tuple(fc.integer({ min: 1000, max: 30_000 }), fc.constantFrom('[', '{"a":', '"'))
    .map(
      ([n, open]): Draft => ({ kind: 'unclosed', expect: 'maybe', raw: open.repeat(n), idSuffix: undefined }),
    ),
  // Duplicate keys: JSON.parse keeps the last one, so this is a valid ping whose answer carries the second id.
  idSuffix.map(
    (s): Draft => ({
      kind: 'duplicate-keys',
      expect: 'reply',
      raw: `{"jsonrpc":"2.0","id":"dup","method":"nope","id":${ID_TEXT},"method":"ping"}`,
      idSuffix: s,
    }),
  ),
);

/** The whole mix; weights lean on tool calls, the surface that carries user data into the server. */
const fuzzDraft: fc.Arbitrary<Draft> = fc.oneof(
  { weight: 40, arbitrary: toolCall },
  { weight: 20, arbitrary: otherRequest },
  { weight: 10, arbitrary: notification },
  { weight: 12, arbitrary: badEnvelope },
  { weight: 6, arbitrary: notAMessage },
  { weight: 12, arbitrary: garbage },
);

/**
 * Turns drafts into wire messages with fresh ids: integers and strings (`<seq>:<fuzzed suffix>`, so a string id
 * never starts with `~` and never collides with a fuzzed cancellation).
 */
function materialize(drafts: Draft[]): FuzzMessage[] {
  let seq = 1;
  return drafts.map((d) => {
    const ids: Array<string | number> = [];
    const template = d.raw ?? JSON.stringify(d.body) ?? 'undefined';
    const text = template
      .replaceAll(ID_TEXT, () => {
        const n = seq++;
        const id = d.idSuffix === undefined ? n : `${n}:${d.idSuffix}`;
        ids.push(id);
        return JSON.stringify(id);
      })
      .replace(DEEP_TEXT, (_, shape: string, depth: string) =>
        shape === 'array'
          ? `${'['.repeat(+depth)}${']'.repeat(+depth)}`
          : `${'{"a":'.repeat(+depth)}0${'}'.repeat(+depth)}`,
      )
      // one message per line on stdio; JSON never needs a raw newline
      .replace(/[\r\n]/g, ' ');
    return { kind: d.kind, expect: d.expect, text, ids, ...(d.neverResult ? { neverResult: true } : {}) };
  });
}

/** `count` messages from `seed`: the same seed always gives the same messages. */
export function generateMessages(seed: number, count: number): FuzzMessage[] {
  return materialize(fc.sample(fuzzDraft, { seed, numRuns: count }));
}

// ---------------------------------------------------------------------------------------------------------
// HTTP request headers

export interface HeaderVariant {
  /** direct: eligible for the endpoint's own fast path; sdk: left to the SDK transport; odd: broken headers. */
  mode: 'direct' | 'sdk' | 'odd';
  headers: Record<string, string>;
}

const BASE_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
/** Header values must be visible ASCII (Node refuses anything else before it reaches the wire). */
const headerText = fc
  .string({ unit: 'grapheme-ascii', maxLength: 40 })
  .map((s) => s.replace(/[^\x20-\x7e]/g, ''));

export const headerVariant: fc.Arbitrary<HeaderVariant> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .constantFrom('2025-06-18', '2025-03-26', '2025-11-25')
      .map((v) => ({ mode: 'direct' as const, headers: { ...BASE_HEADERS, 'mcp-protocol-version': v } })),
  },
  { weight: 3, arbitrary: fc.constant({ mode: 'sdk' as const, headers: BASE_HEADERS }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.record(
          {
            'content-type': fc.constantFrom(
              'text/plain',
              'application/json; charset=utf-16',
              'application/jsonx',
              '',
            ),
            accept: fc.constantFrom('application/json', 'text/event-stream', '*/*', ''),
            'mcp-protocol-version': fc.oneof(headerText, fc.constantFrom('2026-07-28', '2024-11-05')),
            'mcp-session-id': headerText,
            origin: fc.constantFrom('http://evil.example', 'null', 'http://127.0.0.1'),
          },
          { requiredKeys: [] },
        ),
        // header names that are also Object.prototype keys: the endpoint copies headers into a Headers object
        fc.array(fc.tuple(protoKey, headerText), { maxLength: 2 }),
      )
      .map(([odd, proto]) => ({
        mode: 'odd' as const,
        headers: objectOf([...Object.entries(BASE_HEADERS), ...Object.entries(odd), ...proto]) as Record<
          string,
          string
        >,
      })),
  },
);
