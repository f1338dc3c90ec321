import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2019, type ValidateFunction } from 'ajv/dist/2019.js';
import { CATEGORIES, type ModelFile } from './model-record.js';
import { estimateCost, parsePrice } from './price-rule.js';
import { loadSnapshot, type Snapshot } from './snapshot.js';

type Ajv = InstanceType<typeof Ajv2019>;

/** Validated as the server validates requests (runware-typescript src/validate.ts: 2019-09, not strict, no formats). */
const createAjv = (): Ajv => new Ajv2019({ allErrors: true, strict: false, validateFormats: false });

function compileRecordSchema(ajv: Ajv, dir: string): ValidateFunction {
  const file = join(dir, 'schema', 'model-record.schema.json');
  return ajv.compile(JSON.parse(readFileSync(file, 'utf8')) as object);
}

const label = (m: ModelFile) => m.model ?? m.air ?? '(unnamed model)';

function referenceProblems(m: ModelFile, capabilityIds: Set<string>, creatorIds: Set<string>): string[] {
  const where = label(m);
  const problems: string[] = [];
  for (const c of m.capabilities)
    if (!capabilityIds.has(c)) problems.push(`${where}: capability ${c} is not in the taxonomy`);
  if (m.creator && !creatorIds.has(m.creator))
    problems.push(`${where}: creator ${m.creator} has no creators/${m.creator}.json`);
  return problems;
}

function compileRequestSchema(ajv: Ajv, m: ModelFile, problems: string[]): void {
  if (!m.requestSchema) return;
  try {
    const { $schema: _s, ...schema } = m.requestSchema;
    ajv.compile(schema);
  } catch (error) {
    problems.push(`${label(m)}: requestSchema does not compile: ${(error as Error).message}`);
  }
}

/**
 * Every pricing example the model's page documents must be reproduced by its rule within 1%: the rule's
 * `examples` say which request each documented configuration is. A per-unit rate ("$2 / 1M") is compared with
 * the usd of the line its example selects.
 */
export function pricingProblems(m: ModelFile): { problems: string[]; replayed: number } {
  const problems: string[] = [];
  let replayed = 0;
  if (!m.pricing) return { problems, replayed };
  const mapped = new Map((m.pricing.examples ?? []).map((e) => [e.configuration, e.params]));
  for (const ex of m.pricingExamples ?? []) {
    const written = mapped.get(ex.configuration);
    if (!written) continue; // listed in the record's gaps as not reproducible
    const params = expandText(written) as Record<string, unknown>;
    const want = parsePrice(ex.price) ?? Number(/\d+(?:\.\d+)?/.exec(ex.price)?.[0]);
    const got = (params as { $perUnit?: unknown }).$perUnit
      ? perUnit(m, params)
      : (estimateCost(m.pricing, params) ?? Number.NaN);
    replayed++;
    if (!(Math.abs(got - want) <= want * 0.01 + 1e-9))
      problems.push(
        `${label(m)}: pricing example "${ex.configuration}" is ${ex.price}, the rule gives ${got}`,
      );
  }
  return { problems, replayed };
}

/**
 * An example's long text is written `{"$characters": N}` (N characters), so a tier above 200k tokens can be
 * replayed without shipping 800 kB of prompt in the snapshot.
 */
function expandText(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(expandText);
  if (!v || typeof v !== 'object') return v;
  const n = (v as { $characters?: unknown }).$characters;
  if (typeof n === 'number' && Object.keys(v).length === 1) return 'x'.repeat(n);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, expandText(x)]));
}

function perUnit(m: ModelFile, params: Record<string, unknown>): number {
  const { $perUnit: _u, $part: part, ...request } = params as Record<string, unknown> & { $part?: string };
  for (const line of m.pricing!.lines) {
    if (part !== undefined && (line.part ?? 'task') !== part) continue;
    // Probe whether the line's conditions hold: its unit, scale and unknown-ness do not matter here.
    const { scale: _s, unknown: _u, ...probe } = line;
    if (estimateCost({ lines: [{ ...probe, per: 'task', usd: 1 }] }, request) === 1) return line.usd;
  }
  return Number.NaN;
}

function duplicateProblems(models: ModelFile[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const m of models)
    for (const id of [m.model, m.air]) {
      if (seen.has(id)) problems.push(`${label(m)}: duplicate id ${id}`);
      seen.add(id);
    }
  return problems;
}

function taxonomyProblems(snapshot: Snapshot): string[] {
  const problems: string[] = [];
  const categories = new Set(snapshot.models.map((m) => m.category));
  for (const c of CATEGORIES) if (!categories.has(c)) problems.push(`no model in category ${c}`);
  for (const c of snapshot.capabilities)
    if (!/^(io|op|form):[a-z0-9-]+$/.test(c.id) || !c.label)
      problems.push(`capability ${c.id}: bad id or label`);
  return problems;
}

/**
 * Checks a catalog snapshot against our record schema and its cross-references, and replays every documented
 * pricing example. Returns every problem found (an empty list means valid), so a test or a refresh can report
 * them all at once. Pass a catalog folder to load and check it, or an already loaded snapshot plus the folder
 * holding schema/model-record.schema.json.
 */
export function validateSnapshot(snapshotOrDir: Snapshot | string, schemaDir?: string): string[] {
  const snapshot = typeof snapshotOrDir === 'string' ? loadSnapshot(snapshotOrDir) : snapshotOrDir;
  const dir = typeof snapshotOrDir === 'string' ? snapshotOrDir : schemaDir;
  if (!dir) throw new Error('validateSnapshot: the catalog folder is needed to find the record schema');
  const ajv = createAjv();
  const validateRecord = compileRecordSchema(ajv, dir);
  const capabilityIds = new Set(snapshot.capabilities.map((c) => c.id));
  const creatorIds = new Set(snapshot.creators.map((c) => c.id));
  const problems: string[] = [];
  const recordsValid: ModelFile[] = [];
  for (const m of snapshot.models) {
    if (!validateRecord(m)) {
      for (const e of validateRecord.errors ?? [])
        problems.push(`${label(m)}: ${e.instancePath || '/'} ${e.message}`);
      continue;
    }
    recordsValid.push(m);
    problems.push(...referenceProblems(m, capabilityIds, creatorIds));
    compileRequestSchema(ajv, m, problems);
    problems.push(...pricingProblems(m).problems);
  }
  problems.push(...duplicateProblems(recordsValid), ...taxonomyProblems(snapshot));
  return problems;
}
