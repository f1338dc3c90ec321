// `npm run catalog:check` (also run by `npm test`): the shipped snapshot is valid, every documented pricing
// example is reproduced by its rule, no placeholder media remains, and every field past the identity names a
// source. Prints coverage and what is unverified; exits 1 on any failure.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelFile } from '../src/catalog/model-record.js';
import { catalogDir, loadSnapshot } from '../src/catalog/snapshot.js';
import { pricingProblems, validateSnapshot } from '../src/catalog/snapshot-validation.js';

/** Identity comes from the curated list (model, air, taskType) or is derived from it (category). */
const IDENTITY = new Set(['model', 'air', 'taskType', 'category']);
/** Bookkeeping about the record, not claims about the model. */
const META = new Set(['sources', 'gaps', 'schemaSource']);
const PLACEHOLDER = /example\.com|placeholder|lorem ipsum|00000000-0000-|-cover\.(jpg|png)$/i;

const dir = catalogDir();
const snapshot = loadSnapshot(dir);
const curated = JSON.parse(readFileSync(join(dir, 'sources', 'curated-models.json'), 'utf8')) as {
  models: Record<string, unknown>;
};
const failures: string[] = validateSnapshot(snapshot, dir);

const present = (m: ModelFile, field: string) => {
  const v = m[field];
  return v !== undefined && !(Array.isArray(v) && v.length === 0);
};

let fields = 0;
let verified = 0;
let replayed = 0;
const identityOnly: string[] = [];
const unverifiedPricing: string[] = [];
for (const m of snapshot.models) {
  const sourced = new Set((m.sources ?? []).flatMap((s) => s.fields));
  const claims = Object.keys(m).filter((f) => !IDENTITY.has(f) && !META.has(f) && present(m, f));
  for (const f of claims) {
    fields++;
    if (sourced.has(f) || sourced.has('*')) verified++;
    else failures.push(`${m.model}: ${f} has no source`);
  }
  if (claims.length === 0 || (claims.length === 1 && claims[0] === 'requestSchema'))
    identityOnly.push(m.model);
  const text = JSON.stringify({ ...m, sources: undefined, schemaSource: undefined, gaps: undefined });
  const placeholder = PLACEHOLDER.exec(text);
  if (placeholder) failures.push(`${m.model}: placeholder-looking text ${placeholder[0]}`);
  replayed += pricingProblems(m).replayed;
  const mapped = new Set((m.pricing?.examples ?? []).map((e) => e.configuration));
  for (const ex of m.pricingExamples ?? [])
    if (!mapped.has(ex.configuration))
      unverifiedPricing.push(`${m.model}: "${ex.configuration}" ${ex.price}`);
}
const listed = new Set(snapshot.models.map((m) => m.air));
const missing = Object.keys(curated.models).filter((air) => !listed.has(air));
if (snapshot.models.length < 340)
  failures.push(`only ${snapshot.models.length} of the curated models are listed`);

const documented = snapshot.models.reduce((n, m) => n + (m.pricingExamples?.length ?? 0), 0);
console.log(
  `catalog:check: ${snapshot.models.length}/${Object.keys(curated.models).length} curated models listed; ${verified}/${fields} facts sourced; ` +
    `${replayed}/${documented} documented pricing examples replayed within 1%; ${identityOnly.length} identity-only records`,
);
if (missing.length) console.log(`  not listed: ${missing.join(', ')}`);
if (identityOnly.length)
  console.log(`  identity only (no Runware page could be read): ${identityOnly.join(', ')}`);
if (unverifiedPricing.length)
  console.log(
    `  documented prices no rule reproduces (${unverifiedPricing.length}):\n    ${unverifiedPricing.join('\n    ')}`,
  );
if (failures.length) {
  console.error(`catalog:check failed (${failures.length}):\n  ${failures.slice(0, 60).join('\n  ')}`);
  process.exit(1);
}
