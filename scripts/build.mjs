// Bundles the CLI with esbuild: one small entry for the stdio path, the HTTP/OAuth stack split into
// chunks loaded only by `serve`, so `npx runware-mcp` starts fast. Native and worker-based packages stay external.
import { chmodSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: { cli: 'src/cli.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  // Smaller code parses faster: start-up is dominated by parsing the bundled SDK.
  minify: !process.env.NO_MINIFY,
  legalComments: 'none',
  // oidc-provider names its stored models by class name (AccessToken, Grant, ...): minifying must keep them.
  keepNames: true,
  external: ['better-sqlite3'],
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
chmodSync('dist/cli.js', 0o755);
