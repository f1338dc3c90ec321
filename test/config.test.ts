import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadConfig, OPTIONS } from '../src/config/config.js';

const run = promisify(execFile);
const cli = (args: string[], env: Record<string, string> = {}) =>
  run(process.execPath, ['dist/cli.js', ...args], { env: { ...process.env, ...env } }).catch(
    (e: { code: number; stdout: string; stderr: string }) => e,
  );

describe('configuration', () => {
  it('applies flag > env > config file > default', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'cfg-')), 'runware.json');
    writeFileSync(
      file,
      JSON.stringify({ 'max-cost-per-call': 1, RUNWARE_RUN_DEADLINE_MS: 5000, logLevel: 'warn' }),
    );
    expect(loadConfig(['--config', file], {})).toMatchObject({
      maxCostPerCall: 1,
      runDeadlineMs: 5000,
      logLevel: 'warn',
      port: 8787,
    });
    expect(loadConfig(['--config', file], { RUNWARE_MAX_COST_PER_CALL: '2' })).toMatchObject({
      maxCostPerCall: 2,
    });
    expect(
      loadConfig(['--config', file, '--max-cost-per-call', '3'], { RUNWARE_MAX_COST_PER_CALL: '2' }),
    ).toMatchObject({ maxCostPerCall: 3 });
    expect(loadConfig([], { RUNWARE_MCP_CONFIG: file })).toMatchObject({ runDeadlineMs: 5000 });
  });

  it('fails fast with a message naming the option', async () => {
    expect(() => loadConfig([], { RUNWARE_RUN_DEADLINE_MS: 'soon' })).toThrow(
      /RUNWARE_RUN_DEADLINE_MS must be an integer/,
    );
    expect(() => loadConfig(['--colour', 'red'], {})).toThrow(/Unknown option --colour/);
    const bad = await cli(['serve', '--port', 'eighty'], {
      RUNWARE_MCP_DATA_DIR: mkdtempSync(join(tmpdir(), 'cfg-')),
    });
    expect((bad as { code: number }).code).toBe(2);
    expect((bad as { stderr: string }).stderr).toMatch(/PORT must be an integer/);
  });

  it('--registration-limit: 30 by default, env and flag, 0 disables, negative or fractional refused', () => {
    expect(loadConfig([], {}).registrationLimit).toBe(30);
    expect(loadConfig([], { RUNWARE_MCP_REGISTRATION_LIMIT: '5' }).registrationLimit).toBe(5);
    expect(
      loadConfig(['--registration-limit', '0'], { RUNWARE_MCP_REGISTRATION_LIMIT: '5' }).registrationLimit,
    ).toBe(0);
    expect(() => loadConfig(['--registration-limit', '-1'], {})).toThrow(
      /RUNWARE_MCP_REGISTRATION_LIMIT must be an integer >= 0/,
    );
    expect(() => loadConfig([], { RUNWARE_MCP_REGISTRATION_LIMIT: '2.5' })).toThrow(
      /RUNWARE_MCP_REGISTRATION_LIMIT must be an integer/,
    );
  });

  it('--help lists every option with its env name and default', async () => {
    const stdio = (await cli(['--help'])) as { stdout: string };
    const serve = (await cli(['serve', '--help'])) as { stdout: string };
    for (const option of OPTIONS) {
      expect(serve.stdout).toContain(option.flag);
      expect(serve.stdout).toContain(option.env);
      if (!option.hostedOnly) expect(stdio.stdout).toContain(option.env);
    }
  });
});
