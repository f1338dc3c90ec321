import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { estimateCost } from './cost-estimate.js';
import { CATEGORIES, type ModelFile } from './model-record.js';
import { loadSnapshot, type Snapshot } from './snapshot.js';

/** A fixed task UUID added to example requests, which may leave it out. */
const EXAMPLE_TASK_UUID = '00000000-0000-4000-8000-000000000000';

type Ajv = InstanceType<typeof Ajv2020>;

function createAjv(): Ajv {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats.default(ajv);
  return ajv;
}

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
  if (!creatorIds.has(m.creator))
    problems.push(`${where}: creator ${m.creator} has no creators/${m.creator}.json`);
  if (!m.capabilities.some((c) => c.startsWith('io:')))
    problems.push(`${where}: needs at least one io:* capability`);
  return problems;
}

function compileRequestSchema(ajv: Ajv, m: ModelFile, problems: string[]): ValidateFunction | undefined {
  try {
    return ajv.compile(m.requestSchema);
  } catch (error) {
    problems.push(`${label(m)}: requestSchema does not compile: ${(error as Error).message}`);
    return undefined;
  }
}

function exampleProblems(ajv: Ajv, m: ModelFile, validateRequest: ValidateFunction | undefined): string[] {
  if (!validateRequest) return [];
  const problems: string[] = [];
  for (const ex of m.examples) {
    const task = { ...ex.request, taskType: m.taskType, taskUUID: EXAMPLE_TASK_UUID };
    if (!validateRequest(task))
      problems.push(
        `${label(m)}: example ${ex.id} is not a valid request: ${ajv.errorsText(validateRequest.errors)}`,
      );
  }
  return problems;
}

// The spend guard quotes and the simulator bills with the rule, so a documented example must match it exactly.
function pricingProblems(m: ModelFile): string[] {
  const problems: string[] = [];
  for (const p of m.pricingExamples) {
    const computed = estimateCost(m.pricing, p.params ?? {});
    if (Math.abs(computed - p.price) > 1e-6)
      problems.push(
        `${label(m)}: pricing example "${p.configuration}" says ${p.price}, the rule computes ${computed}`,
      );
  }
  return problems;
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
 * Checks a catalog snapshot against our record schema and its cross-references. Returns every problem found
 * (an empty list means valid), so a test or a refresh can report them all at once. Pass a catalog folder to
 * load and check it, or an already loaded snapshot plus the folder holding schema/model-record.schema.json.
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
    const validateRequest = compileRequestSchema(ajv, m, problems);
    problems.push(...exampleProblems(ajv, m, validateRequest), ...pricingProblems(m));
  }
  problems.push(...duplicateProblems(recordsValid), ...taxonomyProblems(snapshot));
  return problems;
}

/**
 * Extra rules for the hand-curated snapshot we ship (a live refresh may legitimately carry looser upstream
 * schemas): each requestSchema pins its model and task type, requires the transport fields and rejects unknown
 * parameters, and each example uses one of its model's capabilities and that model's AIR.
 */
export function curationProblems(snapshot: Snapshot): string[] {
  const problems: string[] = [];
  for (const m of snapshot.models) {
    const where = label(m);
    const schema = m.requestSchema;
    const props = (schema.properties ?? {}) as Record<string, { const?: unknown }>;
    const required = Array.isArray(schema.required) ? (schema.required as string[]) : [];
    if (props.model?.const !== m.air) problems.push(`${where}: requestSchema model is not const ${m.air}`);
    if (props.taskType?.const !== m.taskType)
      problems.push(`${where}: requestSchema taskType is not const ${m.taskType}`);
    for (const field of ['taskType', 'taskUUID', 'model'])
      if (!required.includes(field)) problems.push(`${where}: requestSchema does not require ${field}`);
    if (schema.additionalProperties !== false)
      problems.push(`${where}: requestSchema accepts unknown parameters`);
    if ((m.category === '3d') !== (m.taskType === '3dInference'))
      problems.push(`${where}: category ${m.category} does not fit task type ${m.taskType}`);
    for (const ex of m.examples) {
      if (!m.capabilities.includes(ex.capability))
        problems.push(`${where}: example ${ex.id} shows ${ex.capability}, which the model does not list`);
      if (ex.request.model !== undefined && ex.request.model !== m.air)
        problems.push(`${where}: example ${ex.id} runs ${String(ex.request.model)}, not ${m.air}`);
    }
  }
  return problems;
}
