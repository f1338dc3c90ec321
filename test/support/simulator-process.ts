import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface SimulatorProcess {
  url: string;
  apiUrl: string;
  contentUrl: string;
  schemasUrl: string;
  stderr: () => string;
  admin: {
    faults(faults: Record<string, unknown>): Promise<void>;
    revoke(key: string): Promise<void>;
    addKey(key: string, balance?: number): Promise<void>;
    requests(): Promise<
      Array<{ keyId: string | null; dryRun: boolean; tasks: Array<Record<string, unknown>> }>
    >;
    charges(): Promise<Array<{ taskUUID: string; keyId: string; cost: number }>>;
    balance(key: string): Promise<number>;
    reset(): Promise<void>;
    /** Changes a model's price (Runware's, not ours): price lines as simulator/billing.ts reads them. */
    setPrice(air: string, price: Array<Record<string, unknown>>): Promise<void>;
  };
  stop(): Promise<void>;
}

export interface SpawnSimulatorOptions {
  keys: string[];
  balance?: number;
  asyncDelayMs?: number;
  fixturesDir?: string;
}

/** Starts the Runware simulator as a real child process on a free loopback port. */
export async function spawnSimulator(options: SpawnSimulatorOptions): Promise<SimulatorProcess> {
  const args = ['--import', 'tsx', 'simulator/main.ts', '--port', '0'];
  for (const key of options.keys) args.push('--key', key);
  if (options.balance !== undefined) args.push('--balance', String(options.balance));
  if (options.asyncDelayMs !== undefined) args.push('--async-delay-ms', String(options.asyncDelayMs));
  if (options.fixturesDir) args.push('--fixtures-dir', options.fixturesDir);
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`simulator did not start: ${err}`)), 20_000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`simulator exited with ${code}: ${err}`)));
  });
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}/__admin/${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return res.json() as Promise<unknown>;
  };
  const { keyIdOf } = await import('../../simulator/state.js');
  return {
    url,
    apiUrl: `${url}/v1`,
    contentUrl: `${url}/content`,
    schemasUrl: `${url}/schemas`,
    stderr: () => err,
    admin: {
      faults: async (faults) => void (await call('POST', 'faults', faults)),
      setPrice: async (air, price) => void (await call('POST', 'prices', { air, price })),
      revoke: async (key) => void (await call('POST', 'revoke', { key })),
      addKey: async (key, balance) => void (await call('POST', 'keys', { key, balance })),
      requests: () => call('GET', 'requests') as never,
      charges: () => call('GET', 'charges') as never,
      balance: async (key) =>
        ((await call('GET', `balance?keyId=${keyIdOf(key)}`)) as { balance: number }).balance,
      reset: async () => void (await call('POST', 'reset')),
    },
    stop: () => stopChild(child),
  };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 3000).unref();
  });
}
