// `npm run catalog:build`: writes the offline catalog snapshot (catalog/models, capabilities.json, creators/) from
// what Runware publishes, recorded under catalog/sources/: the curated model list (AIR, slug, task type) of
// Runware's SDK, the readings of each model's runware.ai/docs page, the parameter types the SDK generates from
// Runware's schema bundle, and price rules checked against each page's pricing examples. Every field it writes
// names its source. The live services replace all of it at run time (`catalog refresh` rewrites it from them).
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Capability,
  type Creator,
  categoryOf,
  type JsonSchema,
  type ModelExample,
  type ModelFile,
  type Source,
} from '../src/catalog/model-record.js';
import type { PriceRule } from '../src/catalog/price-rule.js';

const ROOT = new URL('..', import.meta.url).pathname;
const SOURCES = join(ROOT, 'catalog', 'sources');
const OUT = join(ROOT, 'catalog');

interface Reading {
  air: string;
  slug: string;
  taskType: string;
  sources: Array<{ url: string; read: string; gave: string[] }>;
  notFound?: string[];
  facts: Record<string, unknown> & {
    name?: string;
    status?: string;
    creator?: string;
    creatorId?: string;
    creatorLogo?: string;
    releasedAt?: string;
    capabilities?: string[];
    capabilityIds?: string[];
    coverImage?: string;
    pricingOverview?: string;
    pricingExamples?: Array<{ configuration: string; price: string }>;
    dimensions?: Array<{ label?: string; width: number; height: number }>;
    rules?: string[];
    parameters?: Record<string, Record<string, unknown>>;
    examples?: Array<Record<string, unknown>>;
  };
  ownWords?: { headline?: string; description?: string };
  gaps?: string[];
}

interface SdkTypes {
  source: string;
  params: Record<string, JsonSchema>;
  keys: Record<string, { params: string; result: string }>;
}

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;
const curated = readJson<{
  source: string;
  read: string;
  models: Record<string, { id: string; taskType: string }>;
}>(join(SOURCES, 'curated-models.json'));
const sdk = readJson<SdkTypes>(join(SOURCES, 'sdk-types.json'));
const readingOf = (slug: string): Reading | undefined => {
  const file = join(SOURCES, 'readings', `${slug}.json`);
  return existsSync(file) ? readJson<Reading>(file) : undefined;
};
const priceRuleOf = (
  slug: string,
):
  | (PriceRule & { notes?: string; unreproducible?: Array<{ configuration: string; why: string }> })
  | undefined => {
  const file = join(SOURCES, 'prices', `${slug}.json`);
  return existsSync(file) ? readJson(file) : undefined;
};
const LIST_SOURCE = `${curated.source}`;

/** The SDK's architecture keys whose own curated base model is exactly this slug (the same model by name). */
const ARCHITECTURE_OF: Record<string, string> = {
  'bfl-flux-1-dev': 'flux-1-dev',
  'bfl-flux-1-kontext-dev': 'flux-1-kontext-dev',
  'bfl-flux-1-schnell': 'flux-1-schnell',
  'alibaba-z-image': 'z-image',
  'alibaba-z-image-turbo': 'z-image-turbo',
};
const MODALITY: Record<string, string> = {
  imageInference: 'image',
  videoInference: 'video',
  audioInference: 'audio',
  textInference: 'text',
  '3dInference': '3d',
};

const slugify = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

/** A capability label as the docs write it ("Text to Video") and its id in Runware's io:/op: taxonomy. */
function capabilityId(label: string): string {
  const slug = slugify(label);
  return /^[a-z0-9]+-to-[a-z0-9]+$/.test(slug) ? `io:${slug}` : `op:${slug}`;
}

/** Video utilities take a video in: their page lists a video-to-* capability. */
const takesVideo = (r: Reading | undefined) =>
  (r?.facts.capabilities ?? []).some((c) => /^video to/i.test(c)) ||
  (r?.facts.capabilityIds ?? []).some((c) => c.startsWith('video-to'));

/** The SDK schema key a model's parameters start from: its architecture, else its operation, else its modality. */
function schemaKeyOf(slug: string, taskType: string, r: Reading | undefined): string | undefined {
  if (ARCHITECTURE_OF[slug]) return ARCHITECTURE_OF[slug];
  const video = takesVideo(r);
  switch (taskType) {
    case 'upscale':
      return video ? 'upscale-video' : 'upscale-image';
    case 'removeBackground':
      return video ? 'remove-background-video' : 'remove-background-image';
    case 'caption':
      return video ? 'caption-video' : 'caption-image';
    case 'controlNetPreprocess':
      return 'controlnet-preprocess';
    case 'imageMasking':
      return 'masking';
    case 'promptEnhance':
      return 'prompt-enhance';
    case 'vectorize':
      return 'vectorize';
    case 'training':
      return 'training';
    default:
      return MODALITY[taskType];
  }
}

const JSON_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'object', 'array']);

/** Walks (creating) the schema node of a dotted request path. */
function nodeAt(schema: JsonSchema, path: string): JsonSchema {
  let node = schema;
  for (const part of path.split('.')) {
    node.type ??= 'object';
    node.properties ??= {};
    node.properties[part] ??= {};
    node = node.properties[part]!;
  }
  return node;
}

function requireAt(schema: JsonSchema, path: string): void {
  const parts = path.split('.');
  const leaf = parts.pop()!;
  const parent = parts.length ? nodeAt(schema, parts.join('.')) : schema;
  parent.required = [...new Set([...((parent.required as string[] | undefined) ?? []), leaf])];
}

/** A schema that requires every path in `paths`: each segment of a dotted path is required at its level. */
function requiring(paths: string[]): JsonSchema {
  const s: JsonSchema = {};
  for (const p of paths) {
    const parts = p.split('.');
    for (let i = 1; i <= parts.length; i++) requireAt(s, parts.slice(0, i).join('.'));
  }
  return s;
}

/** What the docs page states about parameters, as schema constraints (only well-formed facts are used). */
function applyParameters(schema: JsonSchema, parameters: Reading['facts']['parameters']): string[] {
  const used: string[] = [];
  for (const [path, fact] of Object.entries(parameters ?? {})) {
    if (path === 'taskType') continue;
    const node = nodeAt(schema, path);
    let changed = false;
    const t = fact.type === 'float' ? 'number' : fact.type;
    if (typeof t === 'string' && JSON_TYPES.has(t)) {
      node.type = t;
      changed = true;
    }
    if (Array.isArray(fact.enum) && fact.enum.length > 0) {
      delete node.const;
      node.enum = fact.enum;
      changed = true;
    }
    for (const [from, to] of [
      ['min', 'minimum'],
      ['max', 'maximum'],
      ['minItems', 'minItems'],
      ['maxItems', 'maxItems'],
      ['minLength', 'minLength'],
      ['maxLength', 'maxLength'],
      ['multipleOf', 'multipleOf'],
    ] as const) {
      if (typeof fact[from] === 'number') {
        node[to] = fact[from];
        changed = true;
      }
    }
    if (fact.default !== undefined && typeof fact.default !== 'object') {
      node.default = fact.default;
      changed = true;
    }
    if (fact.required === true) {
      requireAt(schema, path);
      changed = true;
    }
    if (fact.byDimensions && typeof fact.byDimensions === 'object') {
      schema.allOf = [
        ...((schema.allOf as JsonSchema[] | undefined) ?? []),
        ...byDimensions(path, fact.byDimensions),
      ];
      changed = true;
    }
    if (changed) used.push(path);
  }
  return used;
}

/** "allowed values depend on dimensions": {"1920x1080": [6, 8], "Other": [6, 8, 10]} as if/then. */
function byDimensions(path: string, table: object): JsonSchema[] {
  const rows = Object.entries(table as Record<string, unknown>);
  const sizes = rows
    .filter(([k]) => /^\d+x\d+$/.test(k))
    .map(([k, v]) => [k.split('x').map(Number), v] as const);
  const other = rows.find(([k]) => k === 'Other')?.[1];
  const allowed = (v: unknown): JsonSchema | undefined => (Array.isArray(v) ? { enum: v } : undefined);
  const at = (v: unknown) => {
    const s: JsonSchema = {};
    const constraint = allowed(v);
    if (constraint) Object.assign(nodeAt(s, path), constraint);
    return s;
  };
  const out: JsonSchema[] = [];
  for (const [[w, h], v] of sizes) {
    if (!allowed(v)) continue;
    out.push(
      ifThen(
        { properties: { width: { const: w }, height: { const: h } }, required: ['width', 'height'] },
        at(v),
      ),
    );
  }
  if (allowed(other) && sizes.length) {
    const listed = sizes.map(([[w, h]]) => ({ properties: { width: { const: w }, height: { const: h } } }));
    out.push(ifThen({ required: ['width', 'height'], not: { anyOf: listed } }, at(other)));
  }
  return out;
}

/** JSON Schema's if/then (a `then` key is what the keyword is called, not a thenable). */
function ifThen(condition: JsonSchema, consequence: JsonSchema): JsonSchema {
  // biome-ignore lint/suspicious/noThenProperty: the JSON Schema keyword
  return { if: condition, then: consequence };
}

/**
 * The "Compatibility & Validation" lines of a page that say one thing mechanically: "`a` and `b` must be used
 * together", "`a` cannot be used with `b`/`b/c`", "When `a` is provided, `b` must be `v`". Optional "(in `x`)"
 * scopes the paths. Other rules stay documented text (`gaps`): nothing is guessed.
 */
function applyRules(schema: JsonSchema, rules: string[] | undefined): { used: string[]; skipped: string[] } {
  const used: string[] = [];
  const skipped: string[] = [];
  for (const rule of rules ?? []) {
    const scope = /\(in `([^`]+)`\)\s*\.?$/.exec(rule)?.[1];
    const constraints = ruleConstraints(rule, (p) => (scope ? `${scope}.${p}` : p));
    if (!constraints) {
      skipped.push(rule);
      continue;
    }
    schema.allOf = [...((schema.allOf as JsonSchema[] | undefined) ?? []), ...constraints];
    used.push(rule);
  }
  return { used, skipped };
}

/** The constraints one rule line states, or undefined when it is not one of the mechanical forms. */
function ruleConstraints(rule: string, inScope: (path: string) => string): JsonSchema[] | undefined {
  const together = /^`([^`]+)` and `([^`]+)` must be used together/.exec(rule);
  if (together) {
    const [a, b] = [inScope(together[1]!), inScope(together[2]!)];
    return [{ anyOf: [requiring([a, b]), { not: { anyOf: [requiring([a]), requiring([b])] } }] }];
  }
  const exclusive = /^`([^`]+)` cannot be used with `([^`]+)`/.exec(rule);
  if (exclusive) {
    const a = inScope(exclusive[1]!);
    const others = exclusive[2]!.split('/').map(inScope);
    return others.includes(a) ? undefined : others.map((b) => ({ not: requiring([a, b]) }));
  }
  const implies = /^When `([^`]+)` is provided, `([^`]+)` must be `([^`]+)`\.?$/.exec(rule);
  if (implies) {
    const [a, b, raw] = [inScope(implies[1]!), inScope(implies[2]!), implies[3]!];
    const value = /^-?\d+(\.\d+)?$/.test(raw)
      ? Number(raw)
      : raw === 'true'
        ? true
        : raw === 'false'
          ? false
          : raw;
    const consequence: JsonSchema = {};
    nodeAt(consequence, b).const = value;
    return [ifThen(requiring([a]), consequence)];
  }
  return undefined;
}

/** A documented size table becomes the only sizes accepted, unless the reading says the table was cut off. */
function applyDimensions(schema: JsonSchema, r: Reading): boolean {
  const dims = r.facts.dimensions ?? [];
  const truncated = (r.gaps ?? []).some((g) =>
    /(size|dimension)[^.]*(cut|trunc|partial)|(cut|trunc)[^.]*(size|dimension)/i.test(g),
  );
  if (dims.length === 0 || truncated) return false;
  const sizes = dims.map((d) => ({ properties: { width: { const: d.width }, height: { const: d.height } } }));
  schema.allOf = [
    ...((schema.allOf as JsonSchema[] | undefined) ?? []),
    ifThen({ required: ['width'] }, { anyOf: sizes }),
  ];
  return true;
}

function requestSchemaOf(
  air: string,
  slug: string,
  taskType: string,
  r: Reading | undefined,
): { schema: JsonSchema; key: string; usedFacts: string[]; skippedRules: string[] } | undefined {
  const key = schemaKeyOf(slug, taskType, r);
  const params = key ? sdk.keys[key]?.params : undefined;
  if (!key || !params || !sdk.params[params]) return undefined;
  const base = structuredClone(sdk.params[params]);
  const schema: JsonSchema = {
    $schema: 'https://json-schema.org/draft/2019-09/schema',
    ...base,
    properties: { taskType: { const: taskType }, taskUUID: { type: 'string' }, ...(base.properties ?? {}) },
  };
  schema.properties!.model = { type: 'string', enum: [air, slug] };
  schema.required = [...new Set(['taskType', 'taskUUID', 'model', ...((base.required as string[]) ?? [])])];
  const usedFacts: string[] = [];
  let skippedRules: string[] = [];
  if (r) {
    if (applyParameters(schema, r.facts.parameters).length) usedFacts.push('parameters');
    const rules = applyRules(schema, r.facts.rules);
    if (rules.used.length) usedFacts.push('rules');
    skippedRules = rules.skipped;
    if (applyDimensions(schema, r)) usedFacts.push('dimensions');
  }
  return { schema, key, usedFacts, skippedRules };
}

function examplesOf(slug: string, capabilities: string[], r: Reading | undefined): ModelExample[] {
  const out: ModelExample[] = [];
  for (const [i, ex] of (r?.facts.examples ?? []).entries()) {
    if (!ex.request || typeof ex.request !== 'object') continue;
    const asset = typeof ex.outputURL === 'string' ? ex.outputURL : null;
    const { request, title, ...rest } = ex as { request: Record<string, unknown>; title?: string };
    out.push({
      id: `${slug}-${i + 1}`,
      ...(typeof title === 'string' ? { title } : {}),
      capability: capabilities[0] ?? 'io:unknown',
      asset,
      request,
      response: rest,
    });
  }
  return out;
}

function build(): void {
  const models: ModelFile[] = [];
  const capabilities = new Map<string, Capability>();
  const creators = new Map<string, Creator>();
  const report = { models: 0, withPage: 0, schemas: 0, rules: 0, skippedRules: 0, priced: 0 };
  const listRead = curated.read;
  for (const [air, { id: slug, taskType }] of Object.entries(curated.models)) {
    const r = readingOf(slug);
    const f = r?.facts ?? {};
    const category = categoryOf(taskType, takesVideo(r) ? ['io:video-to-video'] : []);
    const sources: Source[] = [
      { url: LIST_SOURCE, read: listRead, fields: ['model', 'air', 'taskType'] },
      ...(r?.sources ?? []).map((s) => ({ url: s.url, read: s.read, fields: mapFields(s.gave) })),
    ];
    const caps = f.capabilityIds?.length
      ? f.capabilityIds.map((c) => capabilityId(c))
      : (f.capabilities ?? []).map(capabilityId);
    for (const label of f.capabilities ?? [])
      capabilities.set(capabilityId(label), { id: capabilityId(label), label });
    for (const id of caps) if (!capabilities.has(id)) capabilities.set(id, { id, label: labelOf(id) });
    const creator = f.creatorId ?? (f.creator ? slugify(f.creator) : undefined);
    if (creator && f.creator) {
      const from = r!.sources.filter((s) => s.gave.includes('creator') || s.gave.includes('creatorId'));
      const existing = creators.get(creator);
      creators.set(creator, {
        id: creator,
        name: f.creator,
        ...(f.creatorLogo ? { logo: f.creatorLogo } : existing?.logo ? { logo: existing.logo } : {}),
        sources: [
          ...(existing?.sources ?? []),
          ...from.map((s) => ({ url: s.url, read: s.read, fields: ['name'] })),
        ].slice(0, 3),
      });
    }
    const resolved = requestSchemaOf(air, slug, taskType, r);
    if (resolved) {
      report.schemas++;
      report.skippedRules += resolved.skippedRules.length;
    }
    const rule = priceRuleOf(slug);
    const docPage = r?.sources.find((s) => /^https:\/\/runware\.ai\/docs\/models\/[^/]+(\.md)?$/.test(s.url));
    const record: ModelFile = {
      model: slug,
      air,
      taskType,
      category,
      ...(f.name ? { name: f.name } : {}),
      ...(creator ? { creator } : {}),
      capabilities: caps,
      ...(f.status ? { status: f.status } : {}),
      ...(f.releasedAt ? { releasedAt: f.releasedAt } : {}),
      ...(r?.ownWords?.headline ? { headline: r.ownWords.headline } : {}),
      ...(r?.ownWords?.description ? { description: r.ownWords.description } : {}),
      ...(f.coverImage ? { coverImage: f.coverImage } : {}),
      ...(docPage ? { documentation: docPage.url.replace(/\.md$/, '') } : {}),
      ...(f.pricingOverview ? { pricingOverview: f.pricingOverview } : {}),
      ...(f.pricingExamples?.length ? { pricingExamples: f.pricingExamples } : {}),
      ...(rule
        ? {
            pricing: {
              lines: rule.lines,
              ...(rule.defaults ? { defaults: rule.defaults } : {}),
              examples: rule.examples ?? [],
            },
          }
        : {}),
      examples: examplesOf(slug, caps, r),
      ...(resolved
        ? {
            requestSchema: resolved.schema,
            schemaSource: {
              kind: 'sdk-types' as const,
              from: `${sdk.source}: ${sdk.keys[resolved.key]!.params}${resolved.usedFacts.length ? `; ${resolved.usedFacts.join(', ')} from the model's docs page` : ''}`,
              read: listRead,
            },
          }
        : {}),
      sources: [
        ...sources,
        ...(resolved ? [{ url: sdk.source, read: listRead, fields: ['requestSchema'] }] : []),
        ...(rule
          ? [
              {
                url: 'catalog/sources/prices (checked against pricingExamples)',
                read: listRead,
                fields: ['pricing'],
              },
            ]
          : []),
      ],
      gaps: [
        ...(r ? [] : ['no reading of the docs page']),
        ...(r && Object.keys(f).length === 0
          ? [`no Runware page found (tried ${(r.notFound ?? []).join(', ') || 'the docs'})`]
          : []),
        ...(r?.gaps ?? []),
        ...(resolved?.skippedRules.map((rule) => `rule not encoded in the schema: ${rule}`) ?? []),
        ...(rule?.unreproducible ?? []).map(
          (u) => `price "${u.configuration}" not reproduced by the rule: ${u.why}`,
        ),
      ],
    };
    if (r && Object.keys(f).length) report.withPage++;
    if (rule) report.priced++;
    models.push(record);
    report.models++;
  }
  rmSync(join(OUT, 'models'), { recursive: true, force: true });
  rmSync(join(OUT, 'creators'), { recursive: true, force: true });
  mkdirSync(join(OUT, 'models'), { recursive: true });
  mkdirSync(join(OUT, 'creators'), { recursive: true });
  for (const m of models.sort((a, b) => a.model.localeCompare(b.model)))
    writeFileSync(join(OUT, 'models', `${m.model}.json`), `${JSON.stringify(m, null, 1)}\n`);
  for (const c of creators.values())
    writeFileSync(join(OUT, 'creators', `${c.id}.json`), `${JSON.stringify(c, null, 1)}\n`);
  writeFileSync(
    join(OUT, 'capabilities.json'),
    `${JSON.stringify(
      [...capabilities.values()].sort((a, b) => a.id.localeCompare(b.id)),
      null,
      1,
    )}\n`,
  );
  console.log(
    `catalog:build: ${report.models} models (${report.withPage} with a docs page read), ${report.schemas} request schemas, ${report.priced} price rules, ${capabilities.size} capabilities, ${creators.size} creators; ${report.skippedRules} page rules left as text`,
  );
}

/** The reading's fact keys as the record fields they fill. */
function mapFields(gave: string[]): string[] {
  const map: Record<string, string[]> = {
    name: ['name'],
    airOnPage: ['air'],
    status: ['status'],
    creator: ['creator'],
    creatorId: ['creator'],
    creatorLogo: [],
    releasedAt: ['releasedAt'],
    capabilities: ['capabilities'],
    capabilityIds: ['capabilities'],
    coverImage: ['coverImage'],
    pricingOverview: ['pricingOverview'],
    pricingExamples: ['pricingExamples'],
    dimensions: ['requestSchema'],
    rules: ['requestSchema'],
    parameters: ['requestSchema'],
    examples: ['examples'],
  };
  const out = new Set<string>();
  for (const g of gave) for (const f of map[g] ?? []) out.add(f);
  // The page is what our own words (headline, description) and the documentation link were written from.
  if (gave.length) {
    out.add('headline');
    out.add('description');
    out.add('documentation');
  }
  return [...out];
}

function labelOf(id: string): string {
  return id
    .replace(/^(io|op|form):/, '')
    .split('-')
    .map((w) => (w === 'to' ? w : w === '3d' ? '3D' : w[0]!.toUpperCase() + w.slice(1)))
    .join(' ');
}

if (!existsSync(join(SOURCES, 'readings')) || readdirSync(join(SOURCES, 'readings')).length === 0) {
  throw new Error('catalog/sources/readings is empty');
}
build();
