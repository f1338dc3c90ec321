import type { SimData, SimModel } from './fixtures.js';

export interface JsonReply {
  status: number;
  body: unknown;
}

const notFound = (what: string): JsonReply => ({
  status: 404,
  body: { error: 'not_found', message: `${what} not found` },
});

const curated = (data: SimData) => data.models.filter((m) => m.curated !== false);

function find(data: SimData, id: string): SimModel | undefined {
  const model = data.bySlug.get(id) ?? data.byAir.get(id);
  return model?.curated === false ? undefined : model;
}

/**
 * GET /content/...: Runware's public content service (content.runware.ai) as Runware's SDKs read it
 * (runware-typescript src/content.ts and src/types/content.ts, runware-cli internal/api/content.go): open
 * records, optional fields, prices as strings, every status (the SDKs hide `openai-compatible` client-side).
 */
export function contentService(data: SimData, path: string, query: URLSearchParams): JsonReply {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const [root, id, sub] = parts;
  if (root === 'models' && !id) return listModels(data, query);
  if (root === 'models' && id) {
    const model = find(data, id);
    if (!model) return notFound(`model ${id}`);
    if (!sub) return { status: 200, body: model.record };
    if (sub === 'examples') {
      const capability = query.get('capability');
      const examples = (model.examples ?? []).filter((e) => !capability || e.capability === capability);
      return { status: 200, body: examples.map((e) => ({ ...e, model: model.record.model })) };
    }
    if (sub === 'pricing') return pricing(model);
    if (sub === 'guides') return { status: 200, body: [] };
    return notFound(path);
  }
  if (root === 'capabilities' && !id) return { status: 200, body: data.capabilities };
  if (root === 'creators') {
    const withModels = (c: SimData['creators'][number]) => ({
      ...c,
      models: curated(data)
        .filter((m) => m.record.creator === c.id)
        .map((m) => m.record),
    });
    if (!id) return { status: 200, body: data.creators.map(withModels) };
    const creator = data.creators.find((c) => c.id === id);
    return creator ? { status: 200, body: withModels(creator) } : notFound(`creator ${id}`);
  }
  if (root === 'collections') {
    const collections = collectionsOf(data);
    if (!id) {
      const category = query.get('category');
      return { status: 200, body: collections.filter((c) => !category || c.category.includes(category)) };
    }
    const collection = collections.find((c) => c.id === id);
    return collection ? { status: 200, body: collection } : notFound(`collection ${id}`);
  }
  return notFound(path);
}

/** The pricing answer: optional overview and examples, prices as strings, exactly as the model publishes them. */
function pricing(model: SimModel): JsonReply {
  const r = model.record;
  return {
    status: 200,
    body: {
      model: r.model,
      air: r.air,
      name: r.name,
      status: r.status,
      ...(r.coverImage ? { coverImage: r.coverImage } : {}),
      ...(r.releasedAt ? { releasedAt: r.releasedAt } : {}),
      ...(r.pricingOverview ? { pricingOverview: r.pricingOverview } : {}),
      ...(r.pricingExamples ? { pricingExamples: r.pricingExamples } : {}),
      category: model.category,
    },
  };
}

/** One collection per category, resolved to full model records (one level), as the live service does. */
function collectionsOf(data: SimData) {
  const categories = [...new Set(curated(data).flatMap((m) => m.category))].sort();
  return categories.map((category, order) => ({
    id: `${category}-models`,
    name: `${category[0]!.toUpperCase()}${category.slice(1)} models`,
    order,
    category: [category],
    models: curated(data)
      .filter((m) => m.category.includes(category))
      .map((m) => m.record),
  }));
}

function listModels(data: SimData, query: URLSearchParams): JsonReply {
  const capability = query.get('capability');
  const category = query.get('category');
  const creator = query.get('creator');
  const status = query.get('status');
  const q = query.get('q')?.toLowerCase();
  let models = curated(data).filter(
    (m) =>
      (!capability || (m.record.capabilities as string[] | undefined)?.includes(capability)) &&
      (!category || m.category.includes(category)) &&
      (!creator || m.record.creator === creator) &&
      (!status || m.record.status === status) &&
      (!q ||
        [m.record.name, m.record.air, m.record.model, m.record.creator, m.record.headline]
          .join(' ')
          .toLowerCase()
          .includes(q)),
  );
  const sort = query.get('sort') ?? 'weight';
  const desc =
    (query.get('order') ?? (['weight', 'releasedAt', 'newest'].includes(sort) ? 'desc' : 'asc')) === 'desc';
  const key = (m: SimModel): string | number => {
    const r = m.record as Record<string, unknown>;
    if (sort === 'releasedAt' || sort === 'newest') return String(r.releasedAt ?? '');
    if (sort === 'name' || sort === 'alpha') return String(r.name ?? '');
    if (sort === 'creator') return String(r.creator ?? '');
    return typeof r.weight === 'number' ? r.weight : 0;
  };
  models = [...models].sort((a, b) => {
    const x = key(a);
    const y = key(b);
    return (x < y ? -1 : x > y ? 1 : 0) * (desc ? -1 : 1);
  });
  const unfiltered = !capability && !category && !creator && !status && !q;
  const items = [...models.map((m) => m.record), ...(unfiltered ? data.oddRecords : [])];
  if (query.get('paginate') !== 'true') return { status: 200, body: items };
  const limit = Math.min(100, Math.max(1, Number(query.get('limit') ?? 20) || 20));
  const offset = Math.max(0, Number(query.get('offset') ?? 0) || 0);
  return {
    status: 200,
    body: { total: items.length, limit, offset, items: items.slice(offset, offset + limit) },
  };
}
