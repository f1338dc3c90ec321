import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ModelFile } from '../src/catalog/model-record.js';
import { validateAgainstSchema } from '../src/catalog/request-validation.js';
import { catalogDir, loadSnapshot } from '../src/catalog/snapshot.js';
import { validateSnapshot } from '../src/catalog/snapshot-validation.js';

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

  it('lists every curated model, in every category, with sources for what it says', () => {
    const curated = JSON.parse(readFileSync(join(dir, 'sources', 'curated-models.json'), 'utf8')) as {
      models: Record<string, { id: string; taskType: string }>;
    };
    expect(snapshot.models.length).toBe(Object.keys(curated.models).length);
    for (const [air, { id, taskType }] of Object.entries(curated.models)) {
      const m = snapshot.models.find((x) => x.air === air);
      expect(m, air).toMatchObject({ model: id, taskType });
      expect(m!.sources?.[0]?.fields).toEqual(['model', 'air', 'taskType']);
    }
    for (const category of ['image', 'video', 'audio', 'text', '3d']) {
      expect(snapshot.models.filter((m) => m.category === category).length, category).toBeGreaterThan(0);
    }
    expect(snapshot.creators.length).toBeGreaterThanOrEqual(30);
  });

  it('has no placeholder media: covers and example outputs are Runware URLs seen on its pages', () => {
    // Both forms appear in Runware's schema.json pages (x-cover-image), e.g. covers/luma-ray3-2.jpg.
    const cover = /^https:\/\/assets\.runware\.ai\/(covers\/[a-z0-9.-]+|[0-9a-f-]{36})\.(jpe?g|png|webp)$/;
    for (const m of snapshot.models) {
      if (m.coverImage) expect(m.coverImage, m.model).toMatch(cover);
      for (const e of m.examples ?? [])
        if (e.asset) expect(e.asset, m.model).toMatch(/^https:\/\/[a-z]+\.runware\.ai\//);
    }
  });

  it("enforces documented pairings and size lists (Veo 3.1 Fast's size table and inputs.video rule, PixVerse V5.5 durations by size)", () => {
    const schemaOf = (slug: string) => snapshot.models.find((m) => m.model === slug)!.requestSchema!;
    const veo = schemaOf('google-veo-3-1-fast');
    const base = { taskType: 'videoInference', taskUUID: 'u', model: 'google:3@3', positivePrompt: 'x' };
    expect(validateAgainstSchema(veo, { ...base, width: 1920, height: 1080 })).toEqual([]);
    expect(validateAgainstSchema(veo, { ...base, width: 1000, height: 1000 })).not.toEqual([]);
    expect(validateAgainstSchema(veo, { ...base, width: 1920 })).not.toEqual([]); // width and height together
    expect(validateAgainstSchema(veo, { ...base, inputs: { video: 'v' }, duration: 7 })).toEqual([]);
    expect(validateAgainstSchema(veo, { ...base, inputs: { video: 'v' }, duration: 8 })).not.toEqual([]);
    const pixverse = schemaOf('pixverse-v5-5');
    const p = { taskType: 'videoInference', taskUUID: 'u', model: 'pixverse:1@6' };
    expect(validateAgainstSchema(pixverse, { ...p, width: 1920, height: 1080, duration: 8 })).toEqual([]);
    expect(validateAgainstSchema(pixverse, { ...p, width: 1920, height: 1080, duration: 10 })).not.toEqual(
      [],
    );
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

  it('fails a documented pricing example the price rule does not reproduce', () => {
    const broken = structuredClone(snapshot);
    const model = broken.models.find((m) => m.model === 'google-veo-3-1-fast')!;
    model.pricingExamples![0]!.price = '$1.00';
    expect(validateSnapshot(broken, dir)).toEqual([
      'google-veo-3-1-fast: pricing example "1080p · 8s" is $1.00, the rule gives 0.8',
    ]);
  });
});
