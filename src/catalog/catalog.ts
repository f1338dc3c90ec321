import type { Logger } from '../config/logger.js';
import type { ContentClient, ContentModel } from '../runware/content-client.js';
import type { RegistryData, SchemaClient } from '../runware/schema-client.js';
import {
  type Capability,
  type Creator,
  categoryOf,
  type JsonSchema,
  type ModelExample,
  type ModelFile,
  type ModelRecord,
  nameOf,
  type PricingExample,
  toModelRecord,
} from './model-record.js';
import { editDistance, type ModelQuery, SearchIndex } from './search-index.js';
import { loadSnapshot, type Snapshot } from './snapshot.js';

export interface ListResult {
  models: ModelRecord[];
  total: number;
  nextCursor?: string;
}

export interface CatalogOptions {
  snapshot?: Snapshot;
  /** Live services: Runware's truth, asked first; absent in offline mode. */
  live?: { content: ContentClient; schemas: SchemaClient } | undefined;
  logger?: Logger;
}

/** A request schema and how far it may be trusted. */
export interface ResolvedRequestSchema {
  schema: JsonSchema;
  /** `live`: from Runware's schema service just now; `snapshot`: the bundled copy (service unreachable/offline). */
  from: 'live' | 'snapshot';
  /** Written by Runware for this model: validate fully. Otherwise only definite type errors are refused. */
  strict: boolean;
}

/** Fields the agent should not be asked for: the server fills them in. */
export const TRANSPORT_FIELDS = [
  'taskType',
  'taskUUID',
  'webhookURL',
  'deliveryMethod',
  'includeCost',
] as const;

/** After the live services fail, they are left alone this long (a run must not wait on a dead service each time). */
const LIVE_BACKOFF_MS = 30_000;

/**
 * The curated catalog. Runware's live content and schema services are the source of truth: their models,
 * prices and schemas win; the shipped snapshot answers at once, offline, and whenever the services cannot.
 */
export class Catalog {
  private state!: {
    snapshot: Snapshot;
    index: SearchIndex;
    byId: Map<string, ModelFile>;
    capabilityIds: Set<string>;
  };
  private readonly bundled: Map<string, ModelFile>;
  private revalidation: Promise<void> | undefined;
  /** Per service: after a failure it is left alone a while (a run must not wait on a dead service each time). */
  private readonly downUntil = { content: 0, schemas: 0 };
  /** Revalidation counts what it had to skip: odd upstream records never abort it. */
  readonly skipped: string[] = [];

  constructor(private readonly options: CatalogOptions = {}) {
    const snapshot = options.snapshot ?? loadSnapshot();
    this.bundled = new Map(snapshot.models.map((m) => [m.air.toLowerCase(), m]));
    this.apply(snapshot);
  }

  /** Swaps in a new snapshot atomically: readers see the old or the new one, never a mix. */
  private apply(snapshot: Snapshot): void {
    const byId = new Map<string, ModelFile>();
    for (const m of snapshot.models) {
      byId.set(m.air.toLowerCase(), m);
      byId.set(m.model.toLowerCase(), m);
    }
    this.state = {
      snapshot,
      index: new SearchIndex(snapshot.models),
      byId,
      capabilityIds: new Set(snapshot.capabilities.map((c) => c.id)),
    };
  }

  get size(): number {
    return this.state.snapshot.models.length;
  }

  models(): readonly ModelFile[] {
    return this.state.snapshot.models;
  }

  capabilities(): readonly Capability[] {
    return this.state.snapshot.capabilities;
  }

  creators(): readonly Creator[] {
    return this.state.snapshot.creators;
  }

  hasCapability(id: string): boolean {
    return this.state.capabilityIds.has(id);
  }

  hasCreator(id: string): boolean {
    return this.state.snapshot.creators.some((c) => c.id === id);
  }

  /** By AIR or slug, case-insensitive. */
  getModel(id: string): ModelFile | undefined {
    return this.state.byId.get(id.trim().toLowerCase());
  }

  /** Filtered, ranked, paginated; the cursor is an opaque offset bound to nothing but the list. */
  list(query: ModelQuery & { limit?: number | undefined; cursor?: string | undefined }): ListResult {
    const all = this.state.index.query(query);
    const offset = query.cursor ? decodeCursor(query.cursor) : 0;
    const limit = Math.min(100, Math.max(1, query.limit ?? 20));
    const page = all.slice(offset, offset + limit);
    const result: ListResult = { models: page.map(toModelRecord), total: all.length };
    if (offset + limit < all.length) result.nextCursor = encodeCursor(offset + limit);
    return result;
  }

  /** Closest AIRs/slugs/names to something that matched nothing, best first (edit distance, then rank). */
  suggest(input: string, max = 5): ModelFile[] {
    const text = input.trim().toLowerCase();
    const distance = (m: ModelFile) =>
      Math.min(
        editDistance(text, m.air.toLowerCase()),
        editDistance(text, m.model),
        editDistance(text, nameOf(m).toLowerCase()),
      );
    return this.state.snapshot.models
      .map((m) => ({ m, d: distance(m) }))
      .sort((a, b) => a.d - b.d || (b.m.weight ?? 0) - (a.m.weight ?? 0))
      .slice(0, max)
      .map((x) => x.m);
  }

  /** The live content service, unless offline or it failed a moment ago. */
  private content(): ContentClient | undefined {
    return Date.now() < this.downUntil.content ? undefined : this.options.live?.content;
  }

  /** The live schema service, unless offline or it failed a moment ago. */
  private schemas(): SchemaClient | undefined {
    return Date.now() < this.downUntil.schemas ? undefined : this.options.live?.schemas;
  }

  private failed(service: 'content' | 'schemas', error: unknown, what: string): void {
    this.downUntil[service] = Date.now() + LIVE_BACKOFF_MS;
    this.options.logger?.debug(
      { err: (error as Error).message },
      `${what}: the ${service} service did not answer`,
    );
  }

  /** Runware's registry (AIR -> taskType, architecture and modality maps), cached with its ETag; undefined offline. */
  async registry(): Promise<RegistryData | undefined> {
    const schemas = this.schemas();
    if (!schemas) return undefined;
    try {
      return await schemas.registry();
    } catch (error) {
      this.failed('schemas', error, 'registry');
      return undefined;
    }
  }

  /** The model's task type: the live registry first (as Runware's SDK resolves it at run time), then the snapshot. */
  async taskType(air: string): Promise<string | undefined> {
    const registry = await this.registry();
    const live = registry?.models[air]?.taskType ?? findSlug(registry, air)?.taskType;
    return live ?? this.getModel(air)?.taskType;
  }

  /**
   * The request schema a run is checked against: Runware's schema service first (cached a few minutes and
   * revalidated with its ETag); the snapshot only when the service cannot be reached or in offline mode.
   * Undefined when Runware publishes no schema for the model: then Runware alone validates the request.
   */
  async requestSchema(air: string): Promise<ResolvedRequestSchema | undefined> {
    const schemas = this.schemas();
    if (schemas) {
      try {
        const resolved = await schemas.resolve(air);
        return resolved?.requestSchema
          ? { schema: resolved.requestSchema as JsonSchema, from: 'live', strict: true }
          : undefined;
      } catch (error) {
        this.failed('schemas', error, 'schema');
      }
    }
    return this.snapshotSchema(air);
  }

  /** A model's examples: the content service's when it answers, else the snapshot's. */
  async examples(model: ModelFile): Promise<ModelExample[]> {
    const content = this.content();
    if (content) {
      try {
        return ((await content.getExamples(model.model)) as unknown[]).filter(isExample);
      } catch (error) {
        this.failed('content', error, 'examples');
      }
    }
    return model.examples ?? [];
  }

  /** A model's published prices: the content service's when it answers, else the snapshot's. */
  async prices(
    model: ModelFile,
  ): Promise<Pick<ModelFile, 'pricingOverview' | 'pricingExamples'> & { from: 'live' | 'snapshot' }> {
    const content = this.content();
    if (content) {
      try {
        const answer = await content.getPricing(model.model);
        if (answer) {
          return {
            from: 'live',
            ...(typeof answer.pricingOverview === 'string'
              ? { pricingOverview: answer.pricingOverview }
              : {}),
            ...(Array.isArray(answer.pricingExamples)
              ? { pricingExamples: (answer.pricingExamples as PricingExample[]).filter(isPricingExample) }
              : {}),
          };
        }
      } catch (error) {
        this.failed('content', error, 'pricing');
      }
    }
    return {
      from: 'snapshot',
      ...(model.pricingOverview ? { pricingOverview: model.pricingOverview } : {}),
      ...(model.pricingExamples ? { pricingExamples: model.pricingExamples } : {}),
    };
  }

  /**
   * The schema to show an agent (model_schema, the schema resources): Runware's when it publishes one, else the
   * snapshot's, marked as such. Showing it helps even where run leaves validation to Runware.
   */
  async displaySchema(air: string): Promise<ResolvedRequestSchema | undefined> {
    return (await this.requestSchema(air)) ?? this.snapshotSchema(air);
  }

  /** The snapshot's request schema of a model, whatever the live service says. */
  snapshotSchema(air: string): ResolvedRequestSchema | undefined {
    const local = this.getModel(air);
    if (!local?.requestSchema) return undefined;
    return { schema: local.requestSchema, from: 'snapshot', strict: local.schemaSource?.kind === 'runware' };
  }

  /**
   * Background refresh from the content service: live records, prices and models win; models the snapshot
   * lacks are added. A record that cannot be used is skipped and counted, never aborting the rest. Never throws.
   */
  revalidate(): Promise<void> {
    const content = this.content();
    if (!content) return Promise.resolve();
    this.revalidation ??= (async () => {
      try {
        const [models, capabilities, registry] = await Promise.all([
          content.listModels(),
          content.listCapabilities(),
          this.registry(),
        ]);
        if (models.length === 0) return;
        this.skipped.length = 0;
        const current = this.state.snapshot;
        const merged = new Map(current.models.map((m) => [m.air.toLowerCase(), m]));
        for (const fresh of models) {
          const model = this.fromLive(fresh, registry);
          if (model) merged.set(model.air.toLowerCase(), model);
        }
        this.apply({
          ...current,
          models: [...merged.values()],
          capabilities: mergeCapabilities(current.capabilities, capabilities),
          creators: mergeCreators(current.creators, models),
        });
        this.options.logger?.debug(
          { models: merged.size, skipped: this.skipped.length },
          'catalog revalidated from the content service',
        );
      } catch (error) {
        this.failed('content', error, 'catalog revalidation');
      } finally {
        this.revalidation = undefined;
      }
    })();
    return this.revalidation;
  }

  /** One live record as a catalog model, over the bundled one when there is one; undefined (counted) if unusable. */
  private fromLive(fresh: ContentModel, registry: RegistryData | undefined): ModelFile | undefined {
    const air = typeof fresh.air === 'string' ? fresh.air : undefined;
    const slug = typeof fresh.model === 'string' ? fresh.model : undefined;
    if (!air || !slug) {
      this.skipped.push(`a record without air or model (${JSON.stringify(fresh).slice(0, 80)})`);
      return undefined;
    }
    const bundled = this.bundled.get(air.toLowerCase());
    const taskType = registry?.models[air]?.taskType ?? bundled?.taskType;
    if (!taskType) {
      this.skipped.push(`${air}: no task type in the registry`);
      return undefined;
    }
    const pricingExamples = Array.isArray(fresh.pricingExamples)
      ? (fresh.pricingExamples as PricingExample[]).filter(isPricingExample)
      : undefined;
    const model: ModelFile = {
      ...(bundled ?? { examples: [] }),
      ...withoutNulls(fresh),
      model: slug,
      air,
      taskType,
      category:
        bundled?.category ??
        categoryOf(taskType, Array.isArray(fresh.capabilities) ? fresh.capabilities : []),
      capabilities: Array.isArray(fresh.capabilities)
        ? fresh.capabilities.filter((c) => typeof c === 'string')
        : [],
      ...(pricingExamples ? { pricingExamples } : {}),
      sources: [
        {
          url: `${this.options.live?.content.baseUrl}/models/${encodeURIComponent(slug)}`,
          read: today(),
          fields: ['*'],
        },
      ],
    };
    // Our price rule was checked against the bundled examples: when Runware's prices changed, it is dropped
    // (estimates then come from Runware's dry run).
    if (bundled?.pricing && !samePrices(bundled.pricingExamples, model.pricingExamples)) delete model.pricing;
    return model;
  }

  /** The request schema as the agent should see it: transport fields removed. */
  static agentSchema(schema: JsonSchema): JsonSchema {
    const properties = { ...(schema.properties ?? {}) };
    for (const field of TRANSPORT_FIELDS) delete properties[field];
    const required = Array.isArray(schema.required)
      ? (schema.required as string[]).filter((r) => !(TRANSPORT_FIELDS as readonly string[]).includes(r))
      : undefined;
    const { $schema: _s, $id: _i, ...rest } = schema;
    return { ...rest, properties, ...(required ? { required } : {}) };
  }
}

const today = () => new Date().toISOString().slice(0, 10);

function findSlug(registry: RegistryData | undefined, slug: string) {
  if (!registry) return undefined;
  return Object.values(registry.models).find((m) => m.id === slug);
}

const isPricingExample = (p: PricingExample) =>
  typeof p?.configuration === 'string' && typeof p?.price === 'string';
const isExample = (e: unknown): e is ModelExample =>
  typeof e === 'object' && e !== null && typeof (e as ModelExample).request === 'object';

function withoutNulls(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== null && v !== undefined));
}

function samePrices(a: PricingExample[] | undefined, b: PricingExample[] | undefined): boolean {
  const key = (list: PricingExample[] | undefined) =>
    JSON.stringify((list ?? []).map((p) => [p.configuration, p.price]));
  return key(a) === key(b);
}

function mergeCapabilities(current: readonly Capability[], fresh: Capability[]): Capability[] {
  const byId = new Map(current.map((c) => [c.id, c]));
  for (const c of fresh) if (typeof c?.id === 'string' && typeof c.label === 'string') byId.set(c.id, c);
  return [...byId.values()];
}

function mergeCreators(current: readonly Creator[], models: ContentModel[]): Creator[] {
  const byId = new Map(current.map((c) => [c.id, c]));
  for (const m of models)
    if (typeof m.creator === 'string' && !byId.has(m.creator))
      byId.set(m.creator, { id: m.creator, name: m.creator });
  return [...byId.values()];
}

export class InvalidCursorError extends Error {
  override readonly name = 'InvalidCursorError';
}

const encodeCursor = (offset: number) => Buffer.from(JSON.stringify({ o: offset })).toString('base64url');

function decodeCursor(cursor: string): number {
  try {
    const { o } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { o: unknown };
    if (typeof o === 'number' && Number.isInteger(o) && o >= 0) return o;
  } catch {
    // fall through
  }
  throw new InvalidCursorError('The cursor is not one this server returned; start again without a cursor.');
}
