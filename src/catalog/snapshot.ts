import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Capability, Creator, ModelFile } from './model-record.js';

export interface Snapshot {
  models: ModelFile[];
  capabilities: Capability[];
  creators: Creator[];
}

/** The shipped catalog/ folder: found from src/ (tsx, tests) and from the bundled dist/ alike. */
export function catalogDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.RUNWARE_MCP_CATALOG_DIR) return env.RUNWARE_MCP_CATALOG_DIR;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'catalog', 'capabilities.json'))) return join(dir, 'catalog');
    dir = dirname(dir);
  }
  throw new Error('runware-mcp: the catalog snapshot folder was not found (set RUNWARE_MCP_CATALOG_DIR)');
}

const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as unknown;

function readFolder<T>(dir: string): T[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => readJson(join(dir, f)) as T);
}

/** Reads the whole snapshot once, at start. */
export function loadSnapshot(dir = catalogDir()): Snapshot {
  return {
    models: readFolder<ModelFile>(join(dir, 'models')),
    capabilities: readJson(join(dir, 'capabilities.json')) as Capability[],
    creators: readFolder<Creator>(join(dir, 'creators')),
  };
}
