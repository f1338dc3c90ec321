import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('npm package contents', () => {
  it('ships only what runs: the bundle, the catalog, README, LICENSE (no tests, simulator, sources or maps)', async () => {
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      maxBuffer: 16 * 1024 * 1024,
    });
    const [pack] = JSON.parse(stdout) as Array<{ files: Array<{ path: string }>; unpackedSize: number }>;
    const files = pack!.files.map((f) => f.path);
    expect(files).toContain('dist/cli.js');
    expect(files).toContain('catalog/capabilities.json');
    expect(files).toContain('catalog/schema/model-record.schema.json');
    expect(files.filter((f) => f.startsWith('catalog/models/')).length).toBeGreaterThanOrEqual(60);
    const unexpected = files.filter(
      (f) => !/^(dist\/[^/]+\.js|catalog\/.+\.json|README\.md|LICENSE|package\.json)$/.test(f),
    );
    expect(unexpected).toEqual([]);
    console.log(`npm pack: ${files.length} files, ${(pack!.unpackedSize / 1024).toFixed(0)} KiB unpacked`);
  });
});
