import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import type { Logger } from '../config/logger.js';
import { RunwareClient } from '../runware/client.js';
import { RunwareError } from '../runware/errors.js';
import type { Store } from '../store/store.js';
import { ownerIdFor } from '../tasks/owner.js';
import { escapeHtml, MCP_SCOPE, REFRESH_TOKEN_TTL } from './authorization-server.js';
import type { KeyVault } from './key-vault.js';

export interface ApiKeyPageDeps {
  provider: Provider;
  store: Store;
  vault: KeyVault;
  apiUrl: string;
  ownerPepper: string;
  resources: string[];
  logger: Logger;
  /** Attempts per client IP per window before 429. */
  maxAttempts?: number;
  windowSeconds?: number;
}

interface PageResult {
  status: number;
  html?: string;
  redirect?: string;
  headers: Record<string, string>;
}

const CSRF_TTL = 30 * 60;
/** Default limit of the form: attempts per client IP per window (every POST counts, right key or wrong). */
export const API_KEY_FORM_LIMIT = 10;
export const API_KEY_FORM_WINDOW_SECONDS = 600;
const API_KEY_SHAPE = /^[\x21-\x7e]{8,512}$/;

/**
 * The authorization interaction: one server-rendered page where the user pastes their Runware API key.
 * The key is checked upstream, wrapped in the vault under the new grant, and never leaves the server.
 */
export function createApiKeyPage(deps: ApiKeyPageDeps) {
  const maxAttempts = deps.maxAttempts ?? API_KEY_FORM_LIMIT;
  const windowSeconds = deps.windowSeconds ?? API_KEY_FORM_WINDOW_SECONDS;

  async function show(req: IncomingMessage, res: ServerResponse, uid: string): Promise<PageResult> {
    const details = await deps.provider.interactionDetails(req, res).catch(() => undefined);
    if (!details || details.uid !== uid) return expired();
    deps.logger.debug(
      { prompt: details.prompt.name, reasons: details.prompt.reasons },
      'authorization interaction',
    );
    return page(uid, await withClientName(details.params), await newCsrf(uid));
  }

  async function submit(
    req: IncomingMessage,
    res: ServerResponse,
    uid: string,
    form: Record<string, string>,
    ip: string,
  ): Promise<PageResult> {
    const found = await deps.provider.interactionDetails(req, res).catch(() => undefined);
    if (!found || found.uid !== uid) return expired();
    const details = { ...found, params: await withClientName(found.params) };
    const limit = await deps.store.hit(`api-key-form:${ip}`, windowSeconds);
    if (limit.count > maxAttempts) {
      return {
        ...page(
          uid,
          details.params,
          await newCsrf(uid),
          'Too many attempts from your network. Wait a few minutes and try again.',
        ),
        status: 429,
        headers: { ...securityHeaders(details.params), 'retry-after': String(limit.resetSeconds) },
      };
    }
    if (!(await consumeCsrf(form.csrf, uid))) {
      return {
        ...page(
          uid,
          details.params,
          await newCsrf(uid),
          'This form expired or was already used. Paste your key again.',
        ),
        status: 403,
      };
    }
    const apiKey = (form.apiKey ?? '').trim();
    if (!API_KEY_SHAPE.test(apiKey)) {
      return {
        ...page(
          uid,
          details.params,
          await newCsrf(uid),
          'That does not look like a Runware API key. Copy it again from my.runware.ai.',
        ),
        status: 400,
      };
    }
    const problem = await checkKey(apiKey);
    if (problem) return { ...page(uid, details.params, await newCsrf(uid), problem), status: 400 };

    const accountId = ownerIdFor(apiKey, deps.ownerPepper);
    const grantId = await createGrant(found, accountId);
    await deps.vault.put(grantId, apiKey, accountId, REFRESH_TOKEN_TTL);
    const redirect = await deps.provider.interactionResult(
      req,
      res,
      { login: { accountId }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    );
    deps.logger.info(
      { clientId: details.params.client_id, accountId },
      'API key accepted; authorization granted',
    );
    return { status: 303, redirect, headers: {} };
  }

  /** Consent is implicit for the MCP scope: the grant covers exactly what the client asked for on our resource. */
  async function createGrant(
    details: Awaited<ReturnType<Provider['interactionDetails']>>,
    accountId: string,
  ): Promise<string> {
    const params = details.params as Record<string, string | undefined>;
    const grant = details.grantId
      ? ((await deps.provider.Grant.find(details.grantId)) ??
        new deps.provider.Grant({ accountId, clientId: params.client_id! }))
      : new deps.provider.Grant({ accountId, clientId: params.client_id! });
    // Grant exactly what was asked among what we offer (mcp, offline_access, openid); the access token's
    // scope on our resource is always mcp.
    const requested = (params.scope ?? MCP_SCOPE)
      .split(' ')
      .filter((s) => [MCP_SCOPE, 'offline_access', 'openid'].includes(s));
    if (requested.length) grant.addOIDCScope(requested.join(' '));
    for (const resource of deps.resources) grant.addResourceScope(resource, MCP_SCOPE);
    return grant.save();
  }

  async function checkKey(apiKey: string): Promise<string | undefined> {
    try {
      await new RunwareClient({
        apiUrl: deps.apiUrl,
        apiKey,
        maxRetries: 1,
        timeoutMs: 10_000,
      }).accountDetails();
      return undefined;
    } catch (error) {
      if (error instanceof RunwareError && error.category === 'auth') {
        return 'Runware rejected this API key. Check that you copied the whole key, or create a new one at my.runware.ai.';
      }
      deps.logger.warn(
        { err: error instanceof RunwareError ? error.code : 'unknown' },
        'could not verify an API key upstream',
      );
      return 'Runware could not be reached to check the key. Try again in a moment.';
    }
  }

  /** The registered client's own name, so people see which app they are connecting. */
  async function withClientName(params: Record<string, unknown>): Promise<Record<string, unknown>> {
    const client = await deps.provider.Client.find(String(params.client_id)).catch(() => undefined);
    return client?.clientName ? { ...params, client_name: client.clientName } : params;
  }

  async function newCsrf(uid: string): Promise<string> {
    const token = randomBytes(24).toString('base64url');
    await deps.store.set('csrf', token, uid, CSRF_TTL);
    return token;
  }

  async function consumeCsrf(token: string | undefined, uid: string): Promise<boolean> {
    if (!token) return false;
    const owner = await deps.store.get<string>('csrf', token);
    await deps.store.delete('csrf', token);
    return owner === uid;
  }

  return { show, submit };
}

function expired(): PageResult {
  return {
    status: 400,
    html: layout(
      'Sign-in expired',
      '<p role="alert">This sign-in link expired or was already used. Go back to your app and connect again.</p>',
      '',
    ),
    headers: securityHeaders({}),
  };
}

/** CSP allows the form to post here and to be redirected to the client's redirect URI, nothing else. */
function securityHeaders(params: Record<string, unknown>, nonce = ''): Record<string, string> {
  const formTargets = ["'self'"];
  try {
    const target = new URL(String(params.redirect_uri));
    formTargets.push(
      target.protocol === 'http:' || target.protocol === 'https:' ? target.origin : target.protocol,
    );
  } catch {
    // no redirect URI known: the form can only post to this server
  }
  return {
    'content-security-policy': `default-src 'none'; style-src 'nonce-${nonce}'; img-src 'self' data:; form-action ${formTargets.join(' ')}; frame-ancestors 'none'; base-uri 'none'`,
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    // same-origin (not no-referrer): browsers then send a real Origin on the form post, which the Host/Origin check needs.
    'referrer-policy': 'same-origin',
    'cache-control': 'no-store',
  };
}

function page(uid: string, params: Record<string, unknown>, csrf: string, error?: string): PageResult {
  const nonce = randomBytes(16).toString('base64');
  const client = escapeHtml(clip(String(params.client_name ?? params.client_id ?? 'Your MCP client'), 80));
  const destination = returnTo(params.redirect_uri);
  const body = `
  <main>
    <h1><span aria-hidden="true">◆</span> Connect Runware</h1>
    <p><strong>${client}</strong> wants to generate images, video and audio with your Runware account.</p>
    ${destination ? `<p class="help">After you connect you go back to <strong>${escapeHtml(destination)}</strong>. Continue only if you started this from that app.</p>` : ''}
    <form method="post" action="/interaction/${encodeURIComponent(uid)}" novalidate>
      <label for="apiKey">Runware API key</label>
      <input id="apiKey" name="apiKey" type="password" autocomplete="off" spellcheck="false" required aria-describedby="help${error ? ' error' : ''}"${error ? ' aria-invalid="true"' : ''} autofocus>
      <p id="help" class="help">Find it at <a href="https://my.runware.ai" rel="noopener noreferrer" target="_blank">my.runware.ai</a> → API keys. It is stored encrypted on this server; your app only gets a revocable access token.</p>
      ${error ? `<p id="error" class="error" role="alert">${escapeHtml(error)}</p>` : ''}
      <input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
      <button type="submit">Connect</button>
    </form>
  </main>`;
  return {
    status: 200,
    html: layout('Connect Runware', body, nonce),
    headers: securityHeaders(params, nonce),
  };
}

/** Client names are self-chosen at open registration: shown, but never long enough to push the form away. */
const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** Where the browser goes after the form: the host of a web redirect URI, or a native app's scheme. */
function returnTo(redirectUri: unknown): string | undefined {
  try {
    const url = new URL(String(redirectUri));
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.host : url.protocol.slice(0, -1);
  } catch {
    return undefined;
  }
}

function layout(title: string, body: string, nonce: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${escapeHtml(title)}</title>
<style nonce="${nonce}">
  :root { color-scheme: light dark; font-family: system-ui, sans-serif; }
  body { margin: 0; min-height: 100vh; display: grid; place-items: center; background: #0d0f14; color: #e8eaf0; }
  main { width: min(92vw, 420px); padding: 2rem; border-radius: 14px; background: #171a22; box-shadow: 0 10px 40px #0008; }
  h1 { font-size: 1.4rem; margin: 0 0 1rem; } h1 span { color: #7c5cff; }
  label { display: block; font-weight: 600; margin: 1rem 0 .4rem; }
  input[type=password] { box-sizing: border-box; width: 100%; padding: .7rem; border-radius: 8px; border: 1px solid #3a3f4d; background: #0d0f14; color: inherit; font: inherit; }
  input:focus, button:focus { outline: 3px solid #7c5cff; outline-offset: 2px; }
  .help { font-size: .85rem; color: #aab0bf; } a { color: #a48bff; }
  .error { color: #ff8a8a; font-weight: 600; }
  button { margin-top: 1rem; width: 100%; padding: .8rem; border: 0; border-radius: 8px; background: #7c5cff; color: #fff; font: inherit; font-weight: 700; cursor: pointer; }
</style>
</head>
<body>${body}</body>
</html>`;
}
