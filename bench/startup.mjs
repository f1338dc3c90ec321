// Spawn -> tools/list answered, median of 20, for our stdio CLI and @modelcontextprotocol/server-everything in
// the same run. Run: npm run bench:startup. Targets: ours <= 0.5x the reference and <= 150 ms on 2 cores.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';

const require = createRequire(import.meta.url);
const everything = join(
  dirname(require.resolve('@modelcontextprotocol/server-everything/package.json')),
  'dist',
  'index.js',
);
const ROUNDS = 20;

const lines = (obj) => `${JSON.stringify(obj)}\n`;
const INIT = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } },
};

/** One cold start: spawn, initialize, initialized, tools/list; time until the tools/list answer arrives. */
function once(args, env) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    let buf = '';
    child.stdout.on('data', (chunk) => {
      buf += chunk;
      for (const line of buf.split('\n').slice(0, -1)) {
        const msg = JSON.parse(line);
        if (msg.id === 1) {
          child.stdin.write(lines({ jsonrpc: '2.0', method: 'notifications/initialized' }));
          child.stdin.write(lines({ jsonrpc: '2.0', id: 2, method: 'tools/list' }));
        } else if (msg.id === 2) {
          const ms = performance.now() - t0;
          child.kill();
          resolve(ms);
        }
      }
      buf = buf.slice(buf.lastIndexOf('\n') + 1);
    });
    child.on('error', reject);
    child.stdin.write(lines(INIT));
  });
}

async function median(label, args, env = {}) {
  await once(args, env); // warm the file cache
  const samples = [];
  for (let i = 0; i < ROUNDS; i++) samples.push(await once(args, env));
  samples.sort((a, b) => a - b);
  const med = samples[Math.floor(samples.length / 2)];
  console.log(
    `${label.padEnd(40)} median ${med.toFixed(1)} ms  (min ${samples[0].toFixed(1)}, max ${samples.at(-1).toFixed(1)})`,
  );
  return med;
}

const ours = await median('runware-mcp (stdio, dist/cli.js)', ['dist/cli.js'], { RUNWARE_OFFLINE: '1' });
const ref = await median('@modelcontextprotocol/server-everything', [everything, 'stdio']);
const bare = await median('node -e "" (process floor)', [
  '-e',
  'process.stdin.on("data",d=>{for(const l of String(d).split("\\n").filter(Boolean)){const m=JSON.parse(l);if(m.id)process.stdout.write(JSON.stringify({jsonrpc:"2.0",id:m.id,result:{protocolVersion:"2025-06-18",capabilities:{},serverInfo:{name:"x",version:"1"},tools:[]}})+"\\n")}})',
]);
console.log(
  `ratio ours/everything: ${(ours / ref).toFixed(2)}x (target <= 0.5x); ours/bare node: ${(ours / bare).toFixed(2)}x`,
);
