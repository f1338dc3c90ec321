import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogDir, loadSnapshot } from '../src/catalog/snapshot.js';
import { validateSnapshot } from '../src/catalog/snapshot-validation.js';
import { type SimulatorProcess, spawnSimulator } from './support/simulator-process.js';

const run = promisify(execFile);
let sim: SimulatorProcess;

beforeAll(async () => {
  sim = await spawnSimulator({ keys: ['rw-refresh-key'] });
});
afterAll(() => sim?.stop());

describe('runware-mcp catalog refresh', () => {
  it('rewrites a snapshot from the live content and schema services that validates and matches them', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'catalog-refresh-')), 'catalog');
    const { stdout, stderr } = await run(process.execPath, [
      'dist/cli.js',
      'catalog',
      'refresh',
      '--out',
      out,
      '--content-url',
      sim.contentUrl,
      '--schemas-url',
      sim.schemasUrl,
    ]);
    const source = loadSnapshot(catalogDir());
    expect(stdout).toMatch(new RegExp(`Wrote ${source.models.length} models`));
    expect(stderr).toMatch(/catalog refresh: \d+\/\d+ models/);
    const refreshed = loadSnapshot(out);
    expect(validateSnapshot(refreshed, out)).toEqual([]);
    expect(readdirSync(join(out, 'models'))).toHaveLength(source.models.length);
    const flux = JSON.parse(readFileSync(join(out, 'models', 'bfl-flux-1-dev.json'), 'utf8'));
    const original = source.models.find((m) => m.model === 'bfl-flux-1-dev')!;
    expect(flux).toMatchObject({
      air: original.air,
      taskType: 'imageInference',
      category: 'image',
      pricing: original.pricing,
    });
    expect(flux.requestSchema).toEqual(original.requestSchema);
    expect(flux.examples).toEqual(original.examples);
  });

  it('leaves the snapshot untouched when the services are unreachable', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'catalog-refresh-')), 'catalog');
    const failed = await run(process.execPath, [
      'dist/cli.js',
      'catalog',
      'refresh',
      '--out',
      out,
      '--content-url',
      'http://127.0.0.1:9',
      '--schemas-url',
      'http://127.0.0.1:9',
    ]).catch((e: { code: number; stderr: string }) => e);
    expect((failed as { code: number }).code).not.toBe(0);
    expect(() => readdirSync(out)).toThrow();
  });
});
