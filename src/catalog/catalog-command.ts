import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/config.js';
import { ContentClient } from '../runware/content-client.js';
import { SchemaClient } from '../runware/schema-client.js';
import type { Category, Creator, ModelFile } from './model-record.js';
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
  const snapshot = await fetchSnapshot(
    new ContentClient({ baseUrl: config.contentUrl, timeoutMs: 15_000 }),
    new SchemaClient({ baseUrl: config.schemasUrl, timeoutMs: 15_000 }),
    safeLoad(current),
    progress,
  );
  writeSnapshot(snapshot, out, current);
  progress.done(
    `Wrote ${snapshot.models.length} models, ${snapshot.capabilities.length} capabilities, ${snapshot.creators.length} creators to ${out}\n`,
  );
}

function safeLoad(dir: string): Snapshot | undefined {
  try {
    return loadSnapshot(dir);
  } catch {
    return undefined;
  }
}

/** Everything the content and schema services know, merged with what the current snapshot adds (price rules). */
export async function fetchSnapshot(
  content: ContentClient,
  schemas: SchemaClient,
  previous: Snapshot | undefined,
  progress: { step(done: number, total: number): void } = { step() {} },
): Promise<Snapshot> {
  const [list, capabilities, creators, registry] = await Promise.all([
    content.listModels(),
    content.listCapabilities(),
    content.listCreators(),
    schemas.registry(),
  ]);
  const before = new Map((previous?.models ?? []).map((m) => [m.air, m]));
  const models: ModelFile[] = [];
  let done = 0;
  const queue = [...list];
  // A few requests at a time: fast, without hammering the services.
  await Promise.all(
    Array.from({ length: 6 }, async () => {
      for (let item = queue.shift(); item; item = queue.shift()) {
        const [record, examples, pricing, schema] = await Promise.all([
          content.getModel(item.model),
          content.getExamples(item.model),
          content.getPricing(item.model),
          schemas.resolve(item.air),
        ]);
        const old = before.get(item.air);
        const pricingExamples = (pricing?.pricingExamples ??
          old?.pricingExamples ??
          []) as ModelFile['pricingExamples'];
        models.push({
          ...(old ?? {}),
          ...(record ?? item),
          taskType: registry[item.air]?.taskType ?? old?.taskType ?? 'imageInference',
          category: ((pricing?.category as string[] | undefined)?.[0] ??
            old?.category ??
            'image') as Category,
          pricingOverview: String(
            pricing?.pricingOverview ??
              record?.pricingOverview ??
              old?.pricingOverview ??
              'See runware.ai/pricing',
          ),
          pricingExamples,
          // The live service publishes prices per configuration, not a formula: keep ours, else price per request.
          pricing: old?.pricing ?? { unit: 'request', usd: pricingExamples[0]?.price ?? 0 },
          examples: examples.map(({ model: _m, ...e }) => e) as unknown as ModelFile['examples'],
          requestSchema: (schema?.requestSchema ??
            old?.requestSchema ?? { type: 'object', properties: {} }) as ModelFile['requestSchema'],
        } as ModelFile);
        progress.step(++done, list.length);
      }
    }),
  );
  models.sort((a, b) => a.model.localeCompare(b.model));
  return { models, capabilities, creators: creators as Creator[] };
}

/** Writes into a fresh folder next to the target, validates it, then swaps it in: a failed refresh changes nothing. */
function writeSnapshot(snapshot: Snapshot, out: string, schemaSource: string): void {
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
  const problems = validateSnapshot(snapshot, staging);
  if (problems.length > 0) {
    rmSync(staging, { recursive: true, force: true });
    throw new Error(
      `The refreshed catalog is invalid; the snapshot was not changed:\n${problems.slice(0, 20).join('\n')}`,
    );
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
