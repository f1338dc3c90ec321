import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSnapshot } from '../src/catalog/snapshot.js';
import { validateSnapshot } from '../src/catalog/snapshot-validation.js';
import { type SimulatorProcess, spawnSimulator } from './support/simulator-process.js';

const run = promisify(execFile);
let sim: SimulatorProcess;

beforeAll(async () => {
  sim = await spawnSimulator({ keys: ['rw-refresh-key'] });
});
afterAll(() => sim?.stop());

const refresh = (out: string, contentUrl: string, schemasUrl: string) =>
  run(process.execPath, [
    'dist/cli.js',
    'catalog',
    'refresh',
    '--out',
    out,
    '--content-url',
    contentUrl,
    '--schemas-url',
    schemasUrl,
  ]);

describe('runware-mcp catalog refresh', () => {
  it('rewrites the snapshot from real-shaped records, skipping and counting one it cannot use', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'catalog-refresh-')), 'catalog');
    const { stdout, stderr } = await refresh(out, sim.contentUrl, sim.schemasUrl);
    const listed = (await (await fetch(`${sim.contentUrl}/models`)).json()) as Array<{ air?: string }>;
    const usable = listed.filter((m) => m.air).length;
    expect(stdout).toMatch(new RegExp(`Wrote ${usable} models, .*; skipped 1 records`));
    // runware-typescript types/content.ts: a record is open and mostly optional; one without an AIR is skipped.
    expect(stderr).toMatch(/catalog refresh: skipped \(record without an id\)|skipped internal-preview/);
    const refreshed = loadSnapshot(out);
    expect(validateSnapshot(refreshed, out)).toEqual([]);
    expect(readdirSync(join(out, 'models'))).toHaveLength(usable);
    const read = (slug: string) => JSON.parse(readFileSync(join(out, 'models', `${slug}.json`), 'utf8'));
    // Runware's own schema (resolve/{AIR}) with inputs.seedImage, marked as Runware's; the task type from registry.json.
    const flux = read('bfl-flux-1-dev');
    expect(flux).toMatchObject({ air: 'runware:101@1', taskType: 'imageInference', category: 'image' });
    expect(flux.requestSchema.properties.inputs.properties).toHaveProperty('seedImage');
    expect(flux.schemaSource.kind).toBe('runware');
    expect(flux.pricingExamples).toBeUndefined(); // the pricing answer has none
    // String prices as published; extra fields kept; a model our snapshot lacks is included.
    const veo = read('google-veo-3-1-fast');
    expect(veo.pricingExamples).toContainEqual({ configuration: '4K · 8s (with audio)', price: '$2.80' });
    expect(veo.pricing?.lines?.length).toBeGreaterThan(0); // unchanged prices keep our checked rule
    expect(read('google-veo-3')).toMatchObject({ air: 'google:3@0', taskType: 'videoInference' });
    expect(refreshed.models.some((m) => 'popularity' in m)).toBe(true);
    expect(refreshed.models.some((m) => m.status === 'openai-compatible')).toBe(true);
  });

  it('leaves the snapshot untouched when the services are unreachable', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'catalog-refresh-')), 'catalog');
    const failed = await refresh(out, 'http://127.0.0.1:9', 'http://127.0.0.1:9').catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect((failed as { code: number }).code).not.toBe(0);
    expect(() => readdirSync(out)).toThrow();
  });
});
