import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/config.js';
import { ContentClient, type ContentModel } from '../runware/content-client.js';
import { type RegistryData, SchemaClient, type SchemaMapEntry } from '../runware/schema-client.js';
import {
  CATEGORIES,
  type Category,
  categoryOf,
  type JsonSchema,
  type ModelExample,
  type ModelFile,
  type PricingExample,
  type Source,
} from './model-record.js';
import { catalogDir, loadSnapshot, type Snapshot } from './snapshot.js';
import { validateSnapshot } from './snapshot-validation.js';

const USAGE = `Usage: runware-mcp catalog refresh [--out <dir>] [--content-url <url>] [--schemas-url <url>]
Rewrites the catalog snapshot (models, examples, pricing, schemas, capabilities, creators) from Runware's live
content and schema services. --out defaults to the snapshot this server loads.
`;

/** `runware-mcp catalog refresh`: rewrites the shipped snapshot from the live services. */
export async function runCatalogCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      'content-url': { type: 'string' },
      'schemas-url': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help || positionals[0] !== 'refresh') {
    process.stdout.write(USAGE);
    if (!values.help) process.exitCode = 2;
    return;
  }
  const config = loadConfig([
    ...(values['content-url'] ? ['--content-url', values['content-url']] : []),
    ...(values['schemas-url'] ? ['--schemas-url', values['schemas-url']] : []),
  ]);
  const current = catalogDir();
  const out = resolve(values.out ?? current);
  const progress = progressReporter();
  const { snapshot, skipped } = await fetchSnapshot(
    new ContentClient({ baseUrl: config.contentUrl, timeoutMs: 15_000 }),
    new SchemaClient({ baseUrl: config.schemasUrl, timeoutMs: 15_000 }),
    safeLoad(current),
    progress,
  );
  if (snapshot.models.length === 0)
    throw new Error('The content service listed no usable models; the snapshot was not changed.');
  const dropped = writeSnapshot(snapshot, out, current);
  for (const s of [...skipped, ...dropped])
    process.stderr.write(`catalog refresh: skipped ${s.id}: ${s.why}\n`);
  progress.done(
    `Wrote ${snapshot.models.length - dropped.length} models, ${snapshot.capabilities.length} capabilities, ${snapshot.creators.length} creators to ${out}; skipped ${skipped.length + dropped.length} records\n`,
  );
}

function safeLoad(dir: string): Snapshot | undefined {
  try {
    return loadSnapshot(dir);
  } catch {
    return undefined;
  }
}

/** A model record that could not be used: skipped with a warning, never aborting the refresh. */
export interface Skipped {
  id: string;
  why: string;
}

/**
 * Everything the content and schema services know, as a snapshot. Runware's records are open and partly optional:
 * a record that cannot be used (no AIR, no task type, a malformed answer) is skipped and reported, never fatal.
 * Our price rules are kept for models whose published prices did not change; schemas are Runware's own.
 */
export async function fetchSnapshot(
  content: ContentClient,
  schemas: SchemaClient,
  previous: Snapshot | undefined,
  progress: { step(done: number, total: number): void } = { step() {} },
): Promise<{ snapshot: Snapshot; skipped: Skipped[] }> {
  const [list, capabilities, creators, registry, bundle] = await Promise.all([
    content.listModels(),
    content.listCapabilities(),
    content.listCreators(),
    schemas.registry(),
    schemas.schemaMap().catch(() => []),
  ]);
  const fromBundle = new Map(bundle.filter((e) => e.air && e.requestSchema).map((e) => [e.air!, e]));
  const before = new Map((previous?.models ?? []).map((m) => [m.air, m]));
  const models: ModelFile[] = [];
  const skipped: Skipped[] = [];
  const read = new Date().toISOString().slice(0, 10);
  let done = 0;
  const queue = [...list];
  // A few requests at a time: fast, without hammering the services.
  await Promise.all(
    Array.from({ length: 6 }, async () => {
      for (let item = queue.shift(); item; item = queue.shift()) {
        try {
          const model = await fetchModel(item, { content, schemas, registry, fromBundle, before, read });
          models.push(model);
        } catch (error) {
          skipped.push({
            id: String(item?.air ?? item?.model ?? '(record without an id)'),
            why: (error as Error).message,
          });
        }
        progress.step(++done, list.length);
      }
    }),
  );
  models.sort((a, b) => a.model.localeCompare(b.model));
  const creatorRecords = (creators as Array<Record<string, unknown>>)
    .filter((c) => typeof c.id === 'string' && typeof c.name === 'string')
    .map((c) => ({
      id: String(c.id),
      name: String(c.name),
      ...(typeof c.logo === 'string' ? { logo: c.logo } : {}),
      sources: [{ url: `${content.baseUrl}/creators`, read, fields: ['name'] }],
    }));
  return {
    snapshot: {
      models,
      capabilities: capabilities.filter((c) => typeof c?.id === 'string' && typeof c.label === 'string'),
      creators: creatorRecords,
    },
    skipped,
  };
}

interface FetchContext {
  content: ContentClient;
  schemas: SchemaClient;
  registry: RegistryData;
  fromBundle: Map<string, SchemaMapEntry>;
  before: Map<string, ModelFile>;
  read: string;
}

async function fetchModel(item: ContentModel, ctx: FetchContext): Promise<ModelFile> {
  if (typeof item?.air !== 'string' || typeof item.model !== 'string') throw new Error('no air or model id');
  const { air, model: slug } = item;
  const old = ctx.before.get(air);
  const taskType = ctx.registry.models[air]?.taskType ?? old?.taskType;
  if (!taskType) throw new Error('the registry has no task type for it');
  const [record, examples, pricing] = await Promise.all([
    ctx.content.getModel(slug),
    ctx.content.getExamples(slug),
    ctx.content.getPricing(slug),
  ]);
  const schema =
    ctx.fromBundle.get(air)?.requestSchema ?? (await ctx.schemas.resolve(air))?.requestSchema ?? undefined;
  const fresh = { ...item, ...(record ?? {}) } as Record<string, unknown>;
  const pricingExamples = (
    (pricing?.pricingExamples ?? fresh.pricingExamples ?? []) as Array<Record<string, unknown>>
  ).filter(
    (p) => typeof p?.configuration === 'string' && typeof p.price === 'string',
  ) as unknown as PricingExample[];
  const pricingOverview = pricing?.pricingOverview ?? fresh.pricingOverview;
  const category = ((pricing?.category as string[] | undefined)?.[0] ?? old?.category) as
    | Category
    | undefined;
  const samePrices =
    JSON.stringify(old?.pricingExamples ?? []) ===
    JSON.stringify(pricingExamples.map(({ configuration, price }) => ({ configuration, price })));
  const sources: Source[] = [
    { url: `${ctx.content.baseUrl}/models/${encodeURIComponent(slug)}`, read: ctx.read, fields: ['*'] },
  ];
  if (schema)
    sources.push({
      url: `${ctx.schemas.baseUrl}/resolve/${encodeURIComponent(air)}`,
      read: ctx.read,
      fields: ['requestSchema'],
    });
  const out: ModelFile = {
    ...withoutNulls(fresh),
    model: slug,
    air,
    taskType,
    category:
      category && (CATEGORIES as readonly string[]).includes(category) ? category : categoryOf(taskType),
    capabilities: Array.isArray(fresh.capabilities)
      ? ((fresh.capabilities as unknown[]).filter((c) => typeof c === 'string') as string[])
      : [],
    ...(typeof pricingOverview === 'string' ? { pricingOverview } : {}),
    ...(pricingExamples.length ? { pricingExamples } : {}),
    // Our rule was checked against the previous prices: it stays only while Runware's prices are the same.
    ...(old?.pricing && samePrices ? { pricing: old.pricing } : {}),
    examples: examples.filter(isExample).map(({ model: _m, ...e }) => e as unknown as ModelExample),
    ...(schema
      ? {
          requestSchema: schema as JsonSchema,
          schemaSource: { kind: 'runware' as const, from: `${ctx.schemas.baseUrl}`, read: ctx.read },
        }
      : {}),
    sources:
      old?.pricing && samePrices
        ? [...sources, ...(old.sources ?? []).filter((s) => s.fields.includes('pricing'))]
        : sources,
  };
  return out;
}

const isExample = (e: unknown): e is Record<string, unknown> =>
  typeof e === 'object' && e !== null && typeof (e as { request?: unknown }).request === 'object';

function withoutNulls(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== null && v !== undefined));
}

/**
 * Writes into a fresh folder next to the target, validates it, then swaps it in: a failed refresh changes
 * nothing. A record the validation faults is left out (returned, to be reported); the rest is still written.
 */
function writeSnapshot(snapshot: Snapshot, out: string, schemaSource: string): Skipped[] {
  const staging = `${out}.refresh-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(join(staging, 'models'), { recursive: true });
  mkdirSync(join(staging, 'creators'), { recursive: true });
  mkdirSync(join(staging, 'schema'), { recursive: true });
  const write = (file: string, value: unknown) =>
    writeFileSync(join(staging, file), `${JSON.stringify(value, null, 2)}\n`);
  for (const m of snapshot.models) write(join('models', `${m.model}.json`), m);
  for (const c of snapshot.creators) write(join('creators', `${c.id}.json`), c);
  write('capabilities.json', snapshot.capabilities);
  writeFileSync(join(staging, 'schema', 'model-record.schema.json'), readSchema(schemaSource));
  const dropped: Skipped[] = [];
  for (const problem of validateSnapshot(snapshot, staging)) {
    const id = /^([a-z0-9][a-z0-9.-]*): /.exec(problem)?.[1];
    const model = id ? snapshot.models.find((m) => m.model === id) : undefined;
    if (model) {
      if (!dropped.some((d) => d.id === model.air))
        dropped.push({ id: model.air, why: problem.slice(id!.length + 2) });
      rmSync(join(staging, 'models', `${model.model}.json`), { force: true });
    }
  }
  mkdirSync(dirname(out), { recursive: true });
  const old = `${out}.old-${process.pid}`;
  try {
    renameSync(out, old);
  } catch {
    // no previous snapshot at --out
  }
  renameSync(staging, out);
  rmSync(old, { recursive: true, force: true });
  return dropped;
}

function readSchema(dir: string): string {
  return readFileSync(join(dir, 'schema', 'model-record.schema.json'), 'utf8');
}

/** A progress bar on a terminal; plain lines every 10% otherwise (CI logs stay readable). */
function progressReporter() {
  const tty = process.stderr.isTTY;
  let lastTenth = -1;
  return {
    step(done: number, total: number) {
      if (tty) {
        const width = 30;
        const filled = Math.round((done / total) * width);
        process.stderr.write(
          `\r[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${total} models`,
        );
      } else if (Math.floor((done / total) * 10) > lastTenth) {
        lastTenth = Math.floor((done / total) * 10);
        process.stderr.write(`catalog refresh: ${done}/${total} models\n`);
      }
    },
    done(message: string) {
      if (tty) process.stderr.write('\n');
      process.stdout.write(message);
    },
  };
}
