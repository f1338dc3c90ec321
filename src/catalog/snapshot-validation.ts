import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { estimateCost } from './cost-estimate.js';
import { CATEGORIES } from './model-record.js';
import type { Snapshot } from './snapshot.js';

/**
 * Checks a catalog snapshot against our record schema and its cross-references. Returns every problem found
 * (an empty list means valid), so a test or a refresh can report them all at once.
 */
export function validateSnapshot(snapshot: Snapshot, dir: string): string[] {
  const problems: string[] = [];
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats.default(ajv);
  const recordSchema = JSON.parse(
    readFileSync(join(dir, 'schema', 'model-record.schema.json'), 'utf8'),
  ) as object;
  const validateRecord = ajv.compile(recordSchema);
  const capabilityIds = new Set(snapshot.capabilities.map((c) => c.id));
  const creatorIds = new Set(snapshot.creators.map((c) => c.id));
  const seen = new Set<string>();
  for (const m of snapshot.models) {
    const where = m.model ?? m.air ?? '(unnamed model)';
    if (!validateRecord(m)) {
      for (const e of validateRecord.errors ?? [])
        problems.push(`${where}: ${e.instancePath || '/'} ${e.message}`);
      continue;
    }
    for (const id of [m.model, m.air]) {
      if (seen.has(id)) problems.push(`${where}: duplicate id ${id}`);
      seen.add(id);
    }
    for (const c of m.capabilities)
      if (!capabilityIds.has(c)) problems.push(`${where}: capability ${c} is not in the taxonomy`);
    if (!creatorIds.has(m.creator))
      problems.push(`${where}: creator ${m.creator} has no creators/${m.creator}.json`);
    if (!m.capabilities.some((c) => c.startsWith('io:')))
      problems.push(`${where}: needs at least one io:* capability`);
    let validateRequest: ReturnType<typeof ajv.compile> | undefined;
    try {
      validateRequest = ajv.compile(m.requestSchema);
    } catch (error) {
      problems.push(`${where}: requestSchema does not compile: ${(error as Error).message}`);
    }
    for (const ex of m.examples) {
      const task = { ...ex.request, taskType: m.taskType, taskUUID: '00000000-0000-4000-8000-000000000000' };
      if (validateRequest && !validateRequest(task)) {
        problems.push(
          `${where}: example ${ex.id} is not a valid request: ${ajv.errorsText(validateRequest.errors)}`,
        );
      }
    }
    for (const p of m.pricingExamples) {
      const computed = estimateCost(m.pricing, p.params ?? {});
      if (Math.abs(computed - p.price) > 1e-6)
        problems.push(
          `${where}: pricing example "${p.configuration}" says ${p.price}, the rule computes ${computed}`,
        );
    }
  }
  const categories = new Set(snapshot.models.map((m) => m.category));
  for (const c of CATEGORIES) if (!categories.has(c)) problems.push(`no model in category ${c}`);
  for (const c of snapshot.capabilities)
    if (!/^(io|op|form):[a-z0-9-]+$/.test(c.id) || !c.label)
      problems.push(`capability ${c.id}: bad id or label`);
  return problems;
}
