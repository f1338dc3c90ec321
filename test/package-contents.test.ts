import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('npm package contents', () => {
  it('ships only what runs: the bundle, the Studio app, the catalog, README, LICENSE (no tests, simulator, sources or maps)', async () => {
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      maxBuffer: 16 * 1024 * 1024,
    });
    const [pack] = JSON.parse(stdout) as Array<{ files: Array<{ path: string }>; unpackedSize: number }>;
    const files = pack!.files.map((f) => f.path);
    expect(files).toContain('dist/cli.js');
    expect(files).toContain('dist/studio.html');
    expect(files).toContain('catalog/capabilities.json');
    expect(files).toContain('catalog/schema/model-record.schema.json');
    expect(files.filter((f) => f.startsWith('catalog/models/')).length).toBeGreaterThanOrEqual(60);
    const unexpected = files.filter(
      (f) => !/^(dist\/([^/]+\.js|studio\.html)|catalog\/.+\.json|README\.md|LICENSE|package\.json)$/.test(f),
    );
    expect(unexpected).toEqual([]);
    console.log(`npm pack: ${files.length} files, ${(pack!.unpackedSize / 1024).toFixed(0)} KiB unpacked`);
  });
});

describe('server.json (MCP Registry metadata)', () => {
  const read = (path: string) => JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8'));
  const validate = () => {
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats.default(ajv);
    return ajv.compile(read('./fixtures/server-json.schema.json'));
  };

  it('follows the registry rules and agrees with package.json (name, version, package, env)', () => {
    const server = read('../server.json');
    const pkg = read('../package.json');
    const check = validate();
    expect(check(server), JSON.stringify(check.errors)).toBe(true);
    expect(server.name).toBe(pkg.mcpName);
    expect(server.version).toBe(pkg.version);
    const npm = server.packages.find((p: { registryType: string }) => p.registryType === 'npm');
    expect(npm).toMatchObject({ identifier: pkg.name, version: pkg.version, transport: { type: 'stdio' } });
    const key = npm.environmentVariables.find((v: { name: string }) => v.name === 'RUNWARE_API_KEY');
    expect(key.isSecret).toBe(true);
    // No remote until a public instance exists: a placeholder host would send registry users nowhere.
    expect(server.remotes).toBeUndefined();
    expect(JSON.stringify(server)).not.toMatch(/example\.(com|org|net)/);
  });

  it('the rules catch the usual mistakes', () => {
    const check = validate();
    const server = read('../server.json');
    const broken = [
      { ...server, name: 'runware-mcp' },
      { ...server, version: '^0.1.0' },
      { ...server, description: 'x'.repeat(101) },
      { ...server, packages: [{ ...server.packages[0], version: 'latest' }] },
      { ...server, packages: [{ ...server.packages[0], transport: { type: 'websocket' } }] },
      { ...server, remotes: [{ type: 'streamable-http', url: 'http://insecure.example/mcp' }] },
    ];
    for (const candidate of broken) expect(check(candidate)).toBe(false);
  });
});
