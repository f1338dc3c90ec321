import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';

/**
 * The one typed configuration. Precedence: command-line flag > environment variable > default.
 * Every option has an env name so operators can configure containers without flags.
 */
export interface Config {
  /** stdio mode only: the user's Runware API key. Hosted mode takes keys from OAuth grants. */
  apiKey: string | undefined;
  apiUrl: string;
  contentUrl: string;
  schemasUrl: string;
  /** Skip every network call of the catalog (browse tools answer from the shipped snapshot). */
  offline: boolean;
  /** Per-call spend cap in USD; undefined = no cap. */
  maxCostPerCall: number | undefined;
  /** A run estimated above this (USD) asks the user first; 0 = never ask. */
  confirmAbove: number;
  /** What to do when a task's cost cannot be estimated and a cap is set. */
  unknownCostPolicy: 'allow' | 'deny';
  /** `run` and `get_task_details` never block longer than this; then they answer status "processing". */
  runDeadlineMs: number;
  /** Inline image previews are at most this many bytes each; 0 disables them. */
  inlineImageMaxBytes: number;
  /** stdio: where local input files may be read from when the client lists no MCP roots. */
  fileRoots: string[];
  /** stdio: where outputs are saved; 'off' disables saving, undefined = the first MCP root, else ~/Runware. */
  outputDir: string | undefined;
  /** USD a principal may spend per UTC day (hosted: per account); undefined = no budget. */
  budgetPerDay: number | undefined;
  /** USD one session may spend (stdio: this process; hosted: one OAuth grant); undefined = no budget. */
  budgetPerSession: number | undefined;
  /** Per upstream HTTP request. */
  upstreamTimeoutMs: number;
  upstreamMaxRetries: number;
  dataDir: string;
  logLevel: string;
  // hosted mode
  port: number;
  host: string;
  publicUrl: string | undefined;
  /** `sqlite` (default, file in dataDir) or a `redis://` URL. */
  store: string;
  /** base64 of 32 bytes: wraps stored API keys. Generated into dataDir when unset (embedded default). */
  kek: string | undefined;
  /** A file holding the KEK (base64), instead of `kek` on the command line. */
  kekFile: string | undefined;
  /** When set, /metrics requires `Authorization: Bearer <token>`. */
  metricsToken: string | undefined;
  /** Reverse proxies in front of the server whose X-Forwarded-For entries are trusted (rate limits per client). */
  trustProxy: number;
  /** Dynamic client registrations per client IP per 10 minutes; 0 disables the limit. */
  registrationLimit: number;
  /** Authorization requests (GET /authorize) per client IP per 10 minutes; 0 disables the limit. */
  authorizeLimit: number;
}

export interface OptionSpec {
  key: keyof Config;
  flag: string;
  env: string;
  description: string;
  default: string;
  parse: (raw: string) => Config[keyof Config];
  /** Shown by `serve --help` only. */
  hostedOnly?: boolean;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const str = (raw: string) => raw;
const bool = (name: string) => (raw: string) => {
  if (['1', 'true', 'yes', 'on', ''].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
};
const num =
  (name: string, { min = 0, int = false } = {}) =>
  (raw: string) => {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n) || n < min || (int && !Number.isInteger(n))) {
      throw new ConfigError(`${name} must be ${int ? 'an integer' : 'a number'} >= ${min}, got "${raw}"`);
    }
    return n;
  };
const url = (name: string) => (raw: string) => {
  try {
    return new URL(raw).toString().replace(/\/$/, '');
  } catch {
    throw new ConfigError(`${name} must be an absolute URL, got "${raw}"`);
  }
};

/** `~` and `~/...` are the user's home, as a shell would expand them in a config file. */
const expandHome = (raw: string) =>
  raw === '~' || raw.startsWith('~/') ? join(homedir(), raw.slice(1)) : raw;

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return join(base, 'runware-mcp');
}

export const OPTIONS: OptionSpec[] = [
  {
    key: 'apiKey',
    flag: '--api-key',
    env: 'RUNWARE_API_KEY',
    description:
      'Runware API key (stdio mode; hosted mode takes keys from the OAuth page). Prefer the env variable: flags show up in process lists.',
    default: '(none)',
    parse: str,
  },
  {
    key: 'apiUrl',
    flag: '--api-url',
    env: 'RUNWARE_API_URL',
    description: 'Runware inference API endpoint',
    default: 'https://api.runware.ai/v1',
    parse: url('RUNWARE_API_URL'),
  },
  {
    key: 'contentUrl',
    flag: '--content-url',
    env: 'RUNWARE_CONTENT_URL',
    description: 'Runware content service (catalog)',
    default: 'https://content.runware.ai',
    parse: url('RUNWARE_CONTENT_URL'),
  },
  {
    key: 'schemasUrl',
    flag: '--schemas-url',
    env: 'RUNWARE_SCHEMAS_URL',
    description: 'Runware schema service',
    default: 'https://schemas.runware.ai',
    parse: url('RUNWARE_SCHEMAS_URL'),
  },
  {
    key: 'offline',
    flag: '--offline',
    env: 'RUNWARE_OFFLINE',
    description: 'Never call the live catalog services; answer from the shipped snapshot',
    default: 'false',
    parse: bool('RUNWARE_OFFLINE'),
  },
  {
    key: 'maxCostPerCall',
    flag: '--max-cost-per-call',
    env: 'RUNWARE_MAX_COST_PER_CALL',
    description: 'Refuse any task whose estimated cost (USD) exceeds this',
    default: '(no cap)',
    parse: num('RUNWARE_MAX_COST_PER_CALL'),
  },
  {
    key: 'confirmAbove',
    flag: '--confirm-above',
    env: 'RUNWARE_CONFIRM_ABOVE',
    description:
      'Ask the user before a run estimated above this (USD): form elicitation where the client supports it, else the run needs confirmCost (0 = never ask)',
    default: '2.00',
    parse: num('RUNWARE_CONFIRM_ABOVE'),
  },
  {
    key: 'unknownCostPolicy',
    flag: '--unknown-cost-policy',
    env: 'RUNWARE_UNKNOWN_COST_POLICY',
    description: 'allow|deny a capped task whose cost cannot be estimated',
    default: 'allow',
    parse: (raw) => {
      if (raw !== 'allow' && raw !== 'deny')
        throw new ConfigError(`RUNWARE_UNKNOWN_COST_POLICY must be allow or deny, got "${raw}"`);
      return raw;
    },
  },
  {
    key: 'runDeadlineMs',
    flag: '--run-deadline-ms',
    env: 'RUNWARE_RUN_DEADLINE_MS',
    description: 'Longest a run/get_task_details call blocks before answering "processing"',
    default: '45000',
    parse: num('RUNWARE_RUN_DEADLINE_MS', { min: 1, int: true }),
  },
  {
    key: 'inlineImageMaxBytes',
    flag: '--inline-image-max-bytes',
    env: 'RUNWARE_INLINE_IMAGE_MAX_BYTES',
    description: 'Largest inline image preview in bytes (WebP, at most 1568 px; 0 = no previews)',
    default: '262144',
    parse: num('RUNWARE_INLINE_IMAGE_MAX_BYTES', { int: true }),
  },
  {
    key: 'fileRoots',
    flag: '--file-roots',
    env: 'RUNWARE_FILE_ROOTS',
    description: `stdio: folders local input files may be read from, separated by "${delimiter}", when the client lists no MCP roots`,
    default: '~ (your home)',
    parse: (raw) =>
      raw
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => resolve(expandHome(dir))),
  },
  {
    key: 'outputDir',
    flag: '--output-dir',
    env: 'RUNWARE_OUTPUT_DIR',
    description: 'stdio: where every output is saved (0 or off = do not save)',
    default: 'the first MCP root, else ~/Runware',
    parse: (raw) => (raw === '0' || raw.toLowerCase() === 'off' ? 'off' : resolve(expandHome(raw))),
  },
  {
    key: 'budgetPerDay',
    flag: '--budget-per-day',
    env: 'RUNWARE_BUDGET_PER_DAY',
    description: 'Refuse runs once this much (USD) would be spent in one UTC day (hosted: per account)',
    default: '(no budget)',
    parse: num('RUNWARE_BUDGET_PER_DAY'),
  },
  {
    key: 'budgetPerSession',
    flag: '--budget-per-session',
    env: 'RUNWARE_BUDGET_PER_SESSION',
    description:
      'Refuse runs once this much (USD) would be spent in one session (stdio: until restart; hosted: per connection)',
    default: '(no budget)',
    parse: num('RUNWARE_BUDGET_PER_SESSION'),
  },
  {
    key: 'upstreamTimeoutMs',
    flag: '--upstream-timeout-ms',
    env: 'RUNWARE_UPSTREAM_TIMEOUT_MS',
    description: 'Timeout of one upstream HTTP request',
    default: '30000',
    parse: num('RUNWARE_UPSTREAM_TIMEOUT_MS', { min: 1, int: true }),
  },
  {
    key: 'upstreamMaxRetries',
    flag: '--upstream-max-retries',
    env: 'RUNWARE_UPSTREAM_MAX_RETRIES',
    description: 'Retries on 408/429/5xx/network errors (same taskUUID: never charged twice)',
    default: '3',
    parse: num('RUNWARE_UPSTREAM_MAX_RETRIES', { int: true }),
  },
  {
    key: 'dataDir',
    flag: '--data-dir',
    env: 'RUNWARE_MCP_DATA_DIR',
    description: 'Where the SQLite store and generated secrets live',
    default: '$XDG_DATA_HOME/runware-mcp',
    parse: str,
  },
  {
    key: 'logLevel',
    flag: '--log-level',
    env: 'LOG_LEVEL',
    description: 'fatal|error|warn|info|debug|trace|silent',
    default: 'info',
    parse: (raw) => {
      if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(raw))
        throw new ConfigError(
          `LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent; got "${raw}"`,
        );
      return raw;
    },
  },
  {
    key: 'port',
    flag: '--port',
    env: 'PORT',
    description: 'HTTP port',
    default: '8787',
    parse: num('PORT', { int: true }),
    hostedOnly: true,
  },
  {
    key: 'host',
    flag: '--host',
    env: 'HOST',
    description: 'Interface to listen on',
    default: '127.0.0.1',
    parse: str,
    hostedOnly: true,
  },
  {
    key: 'publicUrl',
    flag: '--public-url',
    env: 'RUNWARE_MCP_PUBLIC_URL',
    description: 'Public base URL (issuer and resource) when behind a proxy',
    default: 'http://<host>:<port>',
    parse: url('RUNWARE_MCP_PUBLIC_URL'),
    hostedOnly: true,
  },
  {
    key: 'store',
    flag: '--store',
    env: 'RUNWARE_MCP_STORE',
    description: 'sqlite or redis://host:port/db',
    default: 'sqlite',
    parse: (raw) => {
      if (raw !== 'sqlite' && !/^rediss?:\/\//.test(raw))
        throw new ConfigError(
          `RUNWARE_MCP_STORE must be "sqlite" or a redis:// URL, got "${raw.replace(/\/\/[^@]*@/, '//***@')}"`,
        );
      return raw;
    },
    hostedOnly: true,
  },
  {
    key: 'kek',
    flag: '--kek',
    env: 'RUNWARE_MCP_KEK',
    description:
      'base64 of 32 random bytes that encrypts stored API keys and derives the signing and cookie keys (generated into the data dir when unset). Prefer the env variable or --kek-file: flags show up in process lists.',
    default: '(generated)',
    parse: (raw) => {
      if (Buffer.from(raw, 'base64').length !== 32)
        throw new ConfigError('RUNWARE_MCP_KEK must be base64 of exactly 32 bytes');
      return raw;
    },
    hostedOnly: true,
  },
  {
    key: 'kekFile',
    flag: '--kek-file',
    env: 'RUNWARE_MCP_KEK_FILE',
    description: 'A file holding the KEK (base64 of 32 bytes), e.g. a mounted secret; instead of --kek',
    default: '(none)',
    parse: str,
    hostedOnly: true,
  },
  {
    key: 'metricsToken',
    flag: '--metrics-token',
    env: 'RUNWARE_MCP_METRICS_TOKEN',
    description: 'Bearer token required by /metrics (open when unset)',
    default: '(open)',
    parse: str,
    hostedOnly: true,
  },
  {
    key: 'trustProxy',
    flag: '--trust-proxy',
    env: 'RUNWARE_MCP_TRUST_PROXY',
    description:
      "How many reverse proxies (load balancers) sit in front of the server: rate limits then key on the client address they report in X-Forwarded-For instead of the proxy's",
    default: '0',
    parse: num('RUNWARE_MCP_TRUST_PROXY', { int: true }),
    hostedOnly: true,
  },
  {
    key: 'registrationLimit',
    flag: '--registration-limit',
    env: 'RUNWARE_MCP_REGISTRATION_LIMIT',
    description:
      'OAuth client registrations (POST /register) allowed per client IP per 10 minutes, counted in the store across replicas; 0 = unlimited',
    default: '30',
    parse: num('RUNWARE_MCP_REGISTRATION_LIMIT', { int: true }),
    hostedOnly: true,
  },
  {
    key: 'authorizeLimit',
    flag: '--authorize-limit',
    env: 'RUNWARE_MCP_AUTHORIZE_LIMIT',
    description:
      'Authorization requests (GET /authorize, each starts a sign-in) allowed per client IP per 10 minutes, counted in the store across replicas; 0 = unlimited',
    default: '60',
    parse: num('RUNWARE_MCP_AUTHORIZE_LIMIT', { int: true }),
    hostedOnly: true,
  },
];

/**
 * Builds the config from flags and env; throws ConfigError naming the option on bad input. For `stdio`, a
 * serve-only flag is refused (env variables and config-file keys are not: a shell or file may serve both modes).
 */
export function loadConfig(
  argv: string[] = [],
  env: NodeJS.ProcessEnv = process.env,
  command?: 'stdio',
): Config {
  const config = {
    apiKey: undefined,
    apiUrl: 'https://api.runware.ai/v1',
    contentUrl: 'https://content.runware.ai',
    schemasUrl: 'https://schemas.runware.ai',
    offline: false,
    maxCostPerCall: undefined,
    confirmAbove: 2,
    unknownCostPolicy: 'allow',
    runDeadlineMs: 45_000,
    inlineImageMaxBytes: 262_144,
    fileRoots: [homedir()],
    outputDir: undefined,
    budgetPerDay: undefined,
    budgetPerSession: undefined,
    upstreamTimeoutMs: 30_000,
    upstreamMaxRetries: 3,
    dataDir: defaultDataDir(env),
    logLevel: 'info',
    port: 8787,
    host: '127.0.0.1',
    publicUrl: undefined,
    store: 'sqlite',
    kek: undefined,
    kekFile: undefined,
    metricsToken: undefined,
    trustProxy: 0,
    registrationLimit: 30,
    authorizeLimit: 60,
  } as Config;
  const set = (spec: OptionSpec, raw: string) => {
    (config as unknown as Record<string, unknown>)[spec.key] = spec.parse(raw);
  };
  const file = configFilePath(argv, env);
  if (file) applyConfigFile(file, set);
  for (const spec of OPTIONS) {
    const raw = env[spec.env];
    if (raw !== undefined && raw !== '') set(spec, raw);
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--'))
      throw new ConfigError(`Unexpected argument "${arg}". Run with --help to see the options.`);
    const [flag, inline] = arg.split(/=(.*)/s, 2) as [string, string | undefined];
    if (flag === '--config') {
      if (inline === undefined) i++;
      continue;
    }
    const spec = OPTIONS.find((o) => o.flag === flag);
    if (!spec) throw new ConfigError(`Unknown option ${flag}. Run with --help to see the options.`);
    if (spec.hostedOnly && command === 'stdio')
      throw new ConfigError(
        `${flag} is an option of "serve" (MCP over HTTP); the stdio server has no ${flag}. Run: runware-mcp-server serve ${flag} ...`,
      );
    if (spec.key === 'offline' && inline === undefined) {
      set(spec, 'true');
      continue;
    }
    const raw = inline ?? argv[++i];
    if (raw === undefined) throw new ConfigError(`Option ${flag} needs a value`);
    set(spec, raw);
  }
  return config;
}

/** `--config <file>` or RUNWARE_MCP_CONFIG: a JSON file of options, weaker than env and flags. */
function configFilePath(argv: string[], env: NodeJS.ProcessEnv): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--config') return argv[i + 1];
    if (argv[i]!.startsWith('--config=')) return argv[i]!.slice('--config='.length);
  }
  return env.RUNWARE_MCP_CONFIG || undefined;
}

/** Keys may be flag names (`max-cost-per-call`), env names (`RUNWARE_MAX_COST_PER_CALL`) or config keys. */
function applyConfigFile(file: string, set: (spec: OptionSpec, raw: string) => void): void {
  let values: Record<string, unknown>;
  try {
    values = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError(`Config file ${file} could not be read as JSON: ${(error as Error).message}`);
  }
  if (!values || typeof values !== 'object' || Array.isArray(values))
    throw new ConfigError(`Config file ${file} must hold a JSON object`);
  for (const [key, value] of Object.entries(values)) {
    const spec = OPTIONS.find((o) => o.flag === `--${key}` || o.env === key || o.key === key);
    if (!spec)
      throw new ConfigError(
        `Config file ${file}: unknown option "${key}". Run with --help to see the options.`,
      );
    try {
      set(spec, String(value));
    } catch (error) {
      throw new ConfigError(`Config file ${file}: ${(error as Error).message}`);
    }
  }
}

export function renderHelp(command: 'stdio' | 'serve'): string {
  const lines =
    command === 'serve'
      ? [
          'Usage: runware-mcp serve [options]',
          '',
          'Serves MCP over Streamable HTTP behind OAuth 2.1 (many users, keys kept encrypted server-side).',
          '',
        ]
      : [
          'Usage: runware-mcp [options]            serve MCP over stdio (RUNWARE_API_KEY from the environment)',
          '       runware-mcp serve [options]      serve MCP over HTTP with OAuth (see: runware-mcp serve --help)',
          '       runware-mcp catalog refresh      rewrite the catalog snapshot from the live services',
          '',
        ];
  lines.push(
    'Options (flag, env variable, default). Precedence: flag > env > config file (--config <file.json> or RUNWARE_MCP_CONFIG) > default.',
  );
  for (const o of OPTIONS) {
    if (o.hostedOnly && command !== 'serve') continue;
    lines.push(`  ${o.flag.padEnd(26)} ${o.env.padEnd(32)} default: ${o.default}`, `      ${o.description}`);
  }
  lines.push('  --help                     show this help');
  return `${lines.join('\n')}\n`;
}
