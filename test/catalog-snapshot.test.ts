import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ModelFile } from '../src/catalog/model-record.js';
import { catalogDir, loadSnapshot } from '../src/catalog/snapshot.js';
import { curationProblems, validateSnapshot } from '../src/catalog/snapshot-validation.js';

const dir = catalogDir();
const snapshot = loadSnapshot(dir);
const tempDirs: string[] = [];

/** A throw-away copy of the shipped catalog folder, so negative cases run the same on-disk path. */
function copyCatalog(): string {
  const copy = mkdtempSync(join(tmpdir(), 'catalog-snapshot-'));
  tempDirs.push(copy);
  cpSync(dir, copy, { recursive: true });
  return copy;
}

function editModel(catalog: string, slug: string, edit: (m: ModelFile) => void): void {
  const file = join(catalog, 'models', `${slug}.json`);
  const model = JSON.parse(readFileSync(file, 'utf8')) as ModelFile;
  edit(model);
  writeFileSync(file, JSON.stringify(model));
}

afterEach(() => {
  for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('catalog snapshot', () => {
  it('is valid on disk: records, taxonomy, creators, request schemas, examples and prices agree', () => {
    expect(validateSnapshot(dir)).toEqual([]);
    expect(validateSnapshot(snapshot, dir)).toEqual([]);
  });

  it('follows the curation rules: pinned model and task type, transport fields, no unknown parameters', () => {
    expect(curationProblems(snapshot)).toEqual([]);
  });

  it('is big enough to be useful', () => {
    expect(snapshot.models.length).toBeGreaterThanOrEqual(60);
    expect(snapshot.creators.length).toBeGreaterThanOrEqual(12);
    expect(new Set(snapshot.models.map((m) => m.creator)).size).toBeGreaterThanOrEqual(12);
    expect(snapshot.capabilities.length).toBeGreaterThanOrEqual(30);
    for (const category of ['image', 'video', 'audio', 'text', '3d']) {
      expect(snapshot.models.filter((m) => m.category === category).length, category).toBeGreaterThan(0);
    }
  });

  it('has unique slugs and AIRs', () => {
    const slugs = snapshot.models.map((m) => m.model);
    const airs = snapshot.models.map((m) => m.air);
    expect(new Set(slugs).size).toBe(slugs.length);
    expect(new Set(airs).size).toBe(airs.length);
  });

  it('fails a model file on disk whose capability is not in the taxonomy', () => {
    const copy = copyCatalog();
    editModel(copy, 'bfl-flux-1-dev', (m) => m.capabilities.push('io:text-to-smell'));
    expect(validateSnapshot(copy)).toEqual([
      'bfl-flux-1-dev: capability io:text-to-smell is not in the taxonomy',
    ]);
  });

  it('fails a model whose creator has no creator file, and a reused AIR', () => {
    const copy = copyCatalog();
    editModel(copy, 'ideogram-4-0', (m) => {
      m.creator = 'nobody-inc';
    });
    editModel(copy, 'bytedance-seedream-4-0', (m) => {
      m.air = 'bytedance:seedream@4.5';
    });
    const problems = validateSnapshot(copy);
    expect(problems).toContain('ideogram-4-0: creator nobody-inc has no creators/nobody-inc.json');
    expect(problems.some((p) => p.includes('duplicate id bytedance:seedream@4.5'))).toBe(true);
  });

  it('fails a record that breaks the record schema', () => {
    const copy = copyCatalog();
    editModel(copy, 'meshy-6', (m) => {
      (m as { category: string }).category = 'hologram';
    });
    const problems = validateSnapshot(copy);
    expect(problems.some((p) => p.startsWith('meshy-6: /category'))).toBe(true);
  });

  it('fails a pricing example the price rule does not reproduce and an invalid example request', () => {
    const broken = structuredClone(snapshot);
    const model = broken.models.find((m) => m.model === 'bfl-flux-1-dev')!;
    model.pricingExamples[0]!.price = 1;
    model.examples[0]!.request.steps = 'many';
    const problems = validateSnapshot(broken, dir);
    expect(problems.some((p) => p.startsWith('bfl-flux-1-dev: pricing example'))).toBe(true);
    expect(problems.some((p) => p.startsWith('bfl-flux-1-dev: example'))).toBe(true);
  });

  it('rejects unknown parameters and conflicting prompt forms through the request schemas', () => {
    const broken = structuredClone(snapshot);
    const ideogram = broken.models.find((m) => m.model === 'ideogram-4-0')!;
    ideogram.examples[1]!.request.positivePrompt = 'both prompt forms at once';
    const seedream = broken.models.find((m) => m.model === 'bytedance-seedream-4-0')!;
    seedream.examples[0]!.request.guidance = 7;
    const problems = validateSnapshot(broken, dir);
    expect(problems.some((p) => p.startsWith('ideogram-4-0: example ideogram-4-0-example-2'))).toBe(true);
    expect(problems.some((p) => p.startsWith('bytedance-seedream-4-0: example'))).toBe(true);
  });

  it('flags a request schema that stops pinning its model', () => {
    const broken = structuredClone(snapshot);
    const model = broken.models.find((m) => m.model === 'google-nano-banana-2-lite')!;
    (model.requestSchema.properties as Record<string, unknown>).model = { type: 'string' };
    expect(curationProblems(broken)).toEqual([
      'google-nano-banana-2-lite: requestSchema model is not const google:nano-banana@2-lite',
    ]);
  });
});
