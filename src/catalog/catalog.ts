import type { Logger } from '../config/logger.js';
import type { ContentClient } from '../runware/content-client.js';
import type { SchemaClient } from '../runware/schema-client.js';
import {
  type Capability,
  type Creator,
  type JsonSchema,
  type ModelFile,
  type ModelRecord,
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
  /** Live services for stale-while-revalidate; absent in offline mode. */
  live?: { content: ContentClient; schemas: SchemaClient } | undefined;
  logger?: Logger;
}

/** Fields the agent should not be asked for: the server fills them in. */
export const TRANSPORT_FIELDS = [
  'taskType',
  'taskUUID',
  'webhookURL',
  'deliveryMethod',
  'includeCost',
] as const;

/**
 * The curated catalog: the shipped snapshot, indexed once, answering at once; the live content and schema
 * services refresh it in the background (stale-while-revalidate) unless offline.
 */
export class Catalog {
  private state!: {
    snapshot: Snapshot;
    index: SearchIndex;
    byId: Map<string, ModelFile>;
    capabilityIds: Set<string>;
  };
  private readonly liveSchemas = new Map<string, JsonSchema>();
  private revalidation: Promise<void> | undefined;

  constructor(private readonly options: CatalogOptions = {}) {
    this.apply(options.snapshot ?? loadSnapshot());
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

  /** Closest AIRs/slugs/names to something that matched nothing, best first (edit distance, then weight). */
  suggest(input: string, max = 5): ModelFile[] {
    const text = input.trim().toLowerCase();
    const distance = (m: ModelFile) =>
      Math.min(
        editDistance(text, m.air.toLowerCase()),
        editDistance(text, m.model),
        editDistance(text, m.name.toLowerCase()),
      );
    return this.state.snapshot.models
      .map((m) => ({ m, d: distance(m) }))
      .sort((a, b) => a.d - b.d || b.m.weight - a.m.weight)
      .slice(0, max)
      .map((x) => x.m);
  }

  taskType(air: string): string | undefined {
    return this.getModel(air)?.taskType;
  }

  /** The request schema from the snapshot, else from the live schema service (cached). */
  async requestSchema(air: string): Promise<JsonSchema | undefined> {
    const local = this.getModel(air)?.requestSchema;
    if (local) return local;
    const cached = this.liveSchemas.get(air);
    if (cached) return cached;
    const live = this.options.live;
    if (!live) return undefined;
    try {
      const resolved = await live.schemas.resolve(air);
      if (resolved?.requestSchema) this.liveSchemas.set(air, resolved.requestSchema as JsonSchema);
      return resolved?.requestSchema as JsonSchema | undefined;
    } catch (error) {
      this.options.logger?.debug({ err: (error as Error).message, air }, 'schema service unreachable');
      return undefined;
    }
  }

  /**
   * Background refresh from the live services: new and changed models replace snapshot entries, keeping the
   * snapshot's own records (examples, schemas) where the live service has no richer data. Never throws.
   */
  revalidate(): Promise<void> {
    const live = this.options.live;
    if (!live) return Promise.resolve();
    this.revalidation ??= (async () => {
      try {
        const [models, capabilities] = await Promise.all([
          live.content.listModels(),
          live.content.listCapabilities(),
        ]);
        if (models.length === 0) return;
        const current = this.state.snapshot;
        const merged = current.models.map((m) => {
          const fresh = models.find((x) => x.air === m.air);
          return fresh
            ? ({ ...m, ...fresh, requestSchema: m.requestSchema, examples: m.examples } as ModelFile)
            : m;
        });
        this.apply({
          ...current,
          models: merged,
          capabilities: capabilities.length ? capabilities : current.capabilities,
        });
        this.options.logger?.debug({ models: merged.length }, 'catalog revalidated from the content service');
      } catch (error) {
        this.options.logger?.debug({ err: (error as Error).message }, 'catalog revalidation skipped');
      } finally {
        this.revalidation = undefined;
      }
    })();
    return this.revalidation;
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
