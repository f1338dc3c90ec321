import type { SimCatalog, SimModel } from './catalog-data.js';

export interface JsonReply {
  status: number;
  body: unknown;
}

const notFound = (what: string): JsonReply => ({
  status: 404,
  body: { error: 'not_found', message: `${what} not found` },
});

/** Fields of a model record the content service lists (examples and schemas live on their own routes). */
function listed(m: SimModel): Record<string, unknown> {
  const {
    examples: _e,
    requestSchema: _r,
    responseSchema: _s,
    pricing: _p,
    taskType: _t,
    category: _c,
    ...record
  } = m;
  return record;
}

function find(catalog: SimCatalog, id: string): SimModel | undefined {
  return catalog.bySlug.get(id) ?? catalog.byAir.get(id);
}

/** GET /content/...: the public catalog service, served from the snapshot. */
export function contentService(catalog: SimCatalog, path: string, query: URLSearchParams): JsonReply {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const [root, id, sub] = parts;
  if (root === 'models' && !id) return listModels(catalog, query);
  if (root === 'models' && id) {
    const model = find(catalog, id);
    if (!model) return notFound(`model ${id}`);
    if (!sub) return { status: 200, body: listed(model) };
    if (sub === 'examples') {
      const capability = query.get('capability');
      const examples = (model.examples ?? [])
        .filter((e) => !capability || e.capability === capability)
        .map((e) => ({ ...e, model: model.model }));
      return { status: 200, body: examples };
    }
    if (sub === 'pricing') {
      return {
        status: 200,
        body: {
          model: model.model,
          air: model.air,
          name: model.name,
          status: model.status,
          coverImage: model.coverImage,
          releasedAt: model.releasedAt,
          pricingOverview: model.pricingOverview,
          pricingExamples: model.pricingExamples,
          category: [model.category],
        },
      };
    }
    if (sub === 'guides') return { status: 200, body: [] };
    return notFound(path);
  }
  if (root === 'capabilities' && !id) return { status: 200, body: catalog.capabilities };
  if (root === 'creators') {
    if (!id) return { status: 200, body: catalog.creators };
    const creator = catalog.creators.find((c) => c.id === id);
    return creator
      ? {
          status: 200,
          body: { ...creator, models: catalog.models.filter((m) => m.creator === id).map(listed) },
        }
      : notFound(`creator ${id}`);
  }
  if (root === 'collections') {
    // Curated groupings: one per category, as the live service groups its catalog.
    const collections = [...new Set(catalog.models.map((m) => m.category))].map((category) => ({
      id: `${category}-models`,
      title: `${category[0]!.toUpperCase()}${category.slice(1)} models`,
      category,
      models: catalog.models.filter((m) => m.category === category).map((m) => m.model),
    }));
    if (!id) {
      const category = query.get('category');
      return { status: 200, body: collections.filter((c) => !category || c.category === category) };
    }
    const collection = collections.find((c) => c.id === id);
    return collection ? { status: 200, body: collection } : notFound(`collection ${id}`);
  }
  return notFound(path);
}

function listModels(catalog: SimCatalog, query: URLSearchParams): JsonReply {
  const capability = query.get('capability');
  const category = query.get('category');
  const creator = query.get('creator');
  const status = query.get('status');
  const q = query.get('q')?.toLowerCase();
  let models = catalog.models.filter(
    (m) =>
      (!capability || m.capabilities.includes(capability)) &&
      (!category || m.category === category) &&
      (!creator || m.creator === creator) &&
      (!status || m.status === status) &&
      (!q ||
        `${m.name} ${m.air} ${m.model} ${m.creator} ${String(m.headline ?? '')}`.toLowerCase().includes(q)),
  );
  const sort = query.get('sort') ?? 'weight';
  const desc =
    (query.get('order') ?? (sort === 'weight' || sort === 'releasedAt' ? 'desc' : 'asc')) === 'desc';
  const key = (m: SimModel): string | number =>
    sort === 'releasedAt' || sort === 'newest'
      ? m.releasedAt
      : sort === 'name' || sort === 'alpha'
        ? m.name
        : sort === 'creator'
          ? m.creator
          : m.weight;
  models = [...models].sort((a, b) => {
    const x = key(a);
    const y = key(b);
    return (x < y ? -1 : x > y ? 1 : 0) * (desc ? -1 : 1);
  });
  const items = models.map(listed);
  if (query.get('paginate') !== 'true') return { status: 200, body: items };
  const limit = Math.min(100, Math.max(1, Number(query.get('limit') ?? 20) || 20));
  const offset = Math.max(0, Number(query.get('offset') ?? 0) || 0);
  return {
    status: 200,
    body: { total: items.length, limit, offset, items: items.slice(offset, offset + limit) },
  };
}

/** GET /schemas/...: the public schema service. */
export function schemaService(catalog: SimCatalog, path: string): JsonReply {
  if (path === '/registry.json') {
    const models = Object.fromEntries(
      catalog.models.map((m) => [m.air, { taskType: m.taskType, id: m.model }]),
    );
    return { status: 200, body: { models } };
  }
  const resolve = /^\/resolve\/(.+)$/.exec(path);
  if (resolve) {
    const air = decodeURIComponent(resolve[1]!);
    const model = catalog.byAir.get(air) ?? catalog.bySlug.get(air);
    if (!model?.requestSchema) return notFound(`schema for ${air}`);
    return {
      status: 200,
      body: {
        requestSchema: model.requestSchema,
        responseSchema: model.responseSchema ?? null,
        documentation: `https://runware.ai/docs/models/${model.model}`,
      },
    };
  }
  return notFound(path);
}
