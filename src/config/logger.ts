import pino, { type Logger } from 'pino';

export type { Logger };

/** Field names whose values are never logged, wherever they appear. */
const SECRET_PATHS = [
  'apiKey',
  '*.apiKey',
  '*.*.apiKey',
  'key',
  '*.key',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.cookie',
  'cookie',
  '*.cookie',
  'password',
  '*.password',
  'token',
  '*.token',
  'access_token',
  '*.access_token',
  'refresh_token',
  '*.refresh_token',
  'code_verifier',
  '*.code_verifier',
  'client_secret',
  '*.client_secret',
  'kek',
  '*.kek',
];

/**
 * Structured JSON logs on stderr (stdout belongs to the MCP protocol in stdio mode).
 * Known secret fields are redacted by path; free text goes through `scrubSecrets` at the call site that owns the secret.
 */
export function createLogger(level = 'info', name = 'runware-mcp'): Logger {
  return pino(
    { name, level, redact: { paths: SECRET_PATHS, censor: '[redacted]' }, base: { pid: process.pid } },
    pino.destination({ fd: 2, sync: false }),
  );
}

/**
 * Replaces every occurrence of the given secrets in a text (upstream messages may echo a key), also in the
 * forms a key takes when it travels in a URL or a header (URL-encoded, base64, base64url).
 */
export function scrubSecrets(text: string, secrets: Iterable<string | undefined>): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret || secret.length < 6) continue;
    for (const form of secretForms(secret)) {
      if (out.includes(form)) out = out.split(form).join('[redacted]');
    }
  }
  return out;
}

function secretForms(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  // Base64 without its padding, so an encoded key is found inside longer text too.
  const base64 = bytes.toString('base64').replace(/=+$/, '');
  return [...new Set([secret, encodeURIComponent(secret), base64, bytes.toString('base64url')])];
}
