import { describe, expect, it } from 'vitest';
import { catalogDir, loadSnapshot } from '../src/catalog/snapshot.js';
import { validateSnapshot } from '../src/catalog/snapshot-validation.js';

const dir = catalogDir();
const snapshot = loadSnapshot(dir);

describe('catalog snapshot', () => {
  it('is valid: records, taxonomy, creators, examples and prices agree', () => {
    expect(validateSnapshot(snapshot, dir)).toEqual([]);
  });

  it('is big enough to be useful', () => {
    expect(snapshot.models.length).toBeGreaterThanOrEqual(60);
    expect(new Set(snapshot.models.map((m) => m.creator)).size).toBeGreaterThanOrEqual(12);
    expect(snapshot.capabilities.length).toBeGreaterThanOrEqual(30);
    for (const category of ['image', 'video', 'audio', 'text', '3d']) {
      expect(snapshot.models.filter((m) => m.category === category).length, category).toBeGreaterThan(0);
    }
  });

  it('fails a model whose capability is not in the taxonomy', () => {
    const broken = structuredClone(snapshot);
    broken.models[0]!.capabilities.push('io:text-to-smell');
    expect(validateSnapshot(broken, dir)).toContain(
      `${broken.models[0]!.model}: capability io:text-to-smell is not in the taxonomy`,
    );
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
});
