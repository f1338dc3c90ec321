import { parseArgs } from 'node:util';
import { startSimulator } from './server.js';

/** `npm run simulator -- --port 8788 --key rw-test-key [--key ...] [--balance 100] [--async-delay-ms 1500]` */
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8788' },
    host: { type: 'string', default: '127.0.0.1' },
    key: { type: 'string', multiple: true, default: [] },
    balance: { type: 'string', default: '100' },
    'async-delay-ms': { type: 'string', default: '1500' },
    'fixtures-dir': { type: 'string' },
  },
});
if (values.key.length === 0) {
  process.stderr.write('simulator: give at least one --key <apiKey>\n');
  process.exit(2);
}
const sim = await startSimulator({
  port: Number(values.port),
  host: values.host,
  keys: values.key,
  balance: Number(values.balance),
  asyncDelayMs: Number(values['async-delay-ms']),
  ...(values['fixtures-dir'] ? { fixturesDir: values['fixtures-dir'] } : {}),
}).catch((error: NodeJS.ErrnoException) => {
  if (error.code !== 'EADDRINUSE') throw error;
  process.stderr.write(
    `simulator: port ${values.port} on ${values.host} is already in use; stop what listens there or pick another with --port\n`,
  );
  process.exit(2);
});
process.stdout.write(
  `Runware simulator listening on ${sim.url} (inference ${sim.url}/v1, content ${sim.url}/content, schemas ${sim.url}/schemas)\n`,
);
const stop = () => void sim.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
