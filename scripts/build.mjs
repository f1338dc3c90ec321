// Bundles the CLI with esbuild: one small entry for the stdio path, the HTTP/OAuth stack split into
// chunks loaded only by `serve`, so `npx runware-mcp` starts fast. Native and worker-based packages stay external.
// Then Runware Studio, the MCP App: one self-contained HTML file (script and styles inline, nothing fetched).
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  // sharp: native binaries, an optional dependency installed per platform (loaded lazily for previews).
  external: ['better-sqlite3', 'sharp'],
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
chmodSync('dist/cli.js', 0o755);

// Browsers with CSS light-dark() (the hosts' theme variables use it): Chromium 123, Firefox 120, Safari 17.5.
const browsers = ['chrome123', 'firefox120', 'safari17.5'];
const [script, style] = await Promise.all([
  build({
    entryPoints: ['src/studio/app/main.ts'],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: browsers,
    minify: true,
    legalComments: 'none',
    define: { STUDIO_VERSION: JSON.stringify(JSON.parse(readFileSync('package.json', 'utf8')).version) },
    logLevel: 'warning',
  }),
  build({
    entryPoints: ['src/studio/app/studio.css'],
    bundle: true,
    write: false,
    target: browsers,
    minify: true,
    logLevel: 'warning',
  }),
]);
// `</script` or `</style` inside the code would end the inline element early.
const inline = (result) => result.outputFiles[0].text.trim().replace(/<\/(script|style)/gi, '<\\/$1');
const html = readFileSync('src/studio/app/studio.html', 'utf8')
  .replace('/*STUDIO_CSS*/', () => inline(style))
  .replace('/*STUDIO_JS*/', () => inline(script));
writeFileSync('dist/studio.html', html);
