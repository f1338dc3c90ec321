import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import type { Logger } from '../config/logger.js';
import { RunwareClient } from '../runware/client.js';
import { RunwareError } from '../runware/errors.js';
import type { Store } from '../store/store.js';
import { ownerIdFor } from '../tasks/owner.js';
import { MCP_SCOPE, REFRESH_TOKEN_TTL } from './authorization-server.js';
import { createCsrfTokens } from './csrf.js';
import type { KeyVault } from './key-vault.js';
import { escapeHtml, layout, messagePage, newNonce, pageHeaders } from './page-layout.js';

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

export interface PageResult {
  status: number;
  html?: string;
  redirect?: string;
  headers: Record<string, string>;
  /** Cookies the browser must drop (the previous person's login session, when another key signs in). */
  clearCookies?: string[];
}

type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

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
  const csrf = createCsrfTokens(deps.store);

  async function show(req: IncomingMessage, res: ServerResponse, uid: string): Promise<PageResult> {
    const details = await deps.provider.interactionDetails(req, res).catch(() => undefined);
    if (!details || details.uid !== uid) return expired();
    deps.logger.debug(
      { prompt: details.prompt.name, reasons: details.prompt.reasons },
      'authorization interaction',
    );
    return page(uid, await pageParams(details), await csrf.issue(uid));
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
    const details = { ...found, params: await pageParams(found) };
    const limit = await deps.store.hit(`api-key-form:${ip}`, windowSeconds);
    if (limit.count > maxAttempts) {
      const limited = page(
        uid,
        details.params,
        await csrf.issue(uid),
        'Too many attempts from your network. Wait a few minutes and try again.',
      );
      return {
        ...limited,
        status: 429,
        headers: { ...limited.headers, 'retry-after': String(limit.resetSeconds) },
      };
    }
    if (!(await csrf.consume(form.csrf, uid))) {
      return {
        ...page(
          uid,
          details.params,
          await csrf.issue(uid),
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
          await csrf.issue(uid),
          'That does not look like a Runware API key. Copy it again from my.runware.ai.',
        ),
        status: 400,
      };
    }
    const problem = await checkKey(apiKey);
    if (problem) return { ...page(uid, details.params, await csrf.issue(uid), problem), status: 400 };

    const accountId = ownerIdFor(apiKey, deps.ownerPepper);
    // Another person's key in a browser signed in as someone else: a session of their own, so the browser's
    // login (and the grant it points to) is never switched over to the new account.
    const anotherPerson = found.session?.accountId !== undefined && found.session.accountId !== accountId;
    if (anotherPerson) {
      found.session = undefined;
      await found.persist();
    }
    const grantId = await grantFor(found, accountId);
    await deps.vault.put(grantId, apiKey, accountId, REFRESH_TOKEN_TTL);
    let redirect: string;
    try {
      redirect = await deps.provider.interactionResult(
        req,
        res,
        { login: { accountId }, consent: { grantId } },
        { mergeWithLastSubmission: false },
      );
    } catch (error) {
      // Nothing was issued under this grant: its key goes (the grant itself expires unused).
      if (grantId !== found.grantId) await deps.vault.delete(grantId);
      throw error;
    }
    deps.logger.info(
      { clientId: details.params.client_id, accountId },
      'API key accepted; authorization granted',
    );
    const clearCookies = anotherPerson
      ? [deps.provider.cookieName('session'), `${deps.provider.cookieName('session')}.sig`]
      : [];
    return { status: 303, redirect, headers: {}, clearCookies };
  }

  /**
   * The grant this sign-in issues, consent being implicit for the MCP scope. The client's existing grant only
   * when it is this owner's: a grant's owner (and so the key it spends) never changes.
   */
  async function grantFor(details: Interaction, accountId: string): Promise<string> {
    const params = details.params as Record<string, string | undefined>;
    const existing = details.grantId ? await deps.provider.Grant.find(details.grantId) : undefined;
    const grant =
      existing?.accountId === accountId
        ? existing
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

  /**
   * What the page shows besides the form: the registered client's own name, so people see which app they are
   * connecting, and the last characters of the key this browser is signed in with, if any, so a second person
   * at a shared browser sees it is not theirs.
   */
  async function pageParams(details: Interaction): Promise<Record<string, unknown>> {
    const params: Record<string, unknown> = { ...details.params };
    const client = await deps.provider.Client.find(String(params.client_id)).catch(() => undefined);
    if (client?.clientName) params.client_name = client.clientName;
    const connected = await connectedKey(details);
    if (connected) params.connected_key_end = connected.apiKey.slice(-4);
    return params;
  }

  /** The key behind this browser's login: its grant for this client, else any grant of its session. */
  async function connectedKey(details: Interaction) {
    if (!details.session?.uid) return undefined;
    const session = await deps.provider.Session.findByUid(details.session.uid);
    const grantIds = [
      details.grantId,
      ...Object.values(session?.authorizations ?? {}).map((a) => a.grantId),
    ].filter((id): id is string => typeof id === 'string');
    for (const grantId of grantIds) {
      const key = await deps.vault.get(grantId);
      if (key?.ownerId === details.session.accountId) return key;
    }
    return undefined;
  }

  return { show, submit };
}

function expired(): PageResult {
  return {
    status: 400,
    ...messagePage('Sign-in expired', [
      'This sign-in link expired or was already used. Go back to your app and connect again.',
    ]),
  };
}

/** The form posts here, and is then redirected to the client's redirect URI: nothing else. */
function formTargets(params: Record<string, unknown>): string[] {
  try {
    const target = new URL(String(params.redirect_uri));
    return [
      "'self'",
      target.protocol === 'http:' || target.protocol === 'https:' ? target.origin : target.protocol,
    ];
  } catch {
    return ["'self'"]; // no redirect URI known: the form can only post to this server
  }
}

function page(uid: string, params: Record<string, unknown>, csrf: string, error?: string): PageResult {
  const nonce = newNonce();
  const client = escapeHtml(
    clip(withoutBidiControls(String(params.client_name ?? params.client_id ?? 'Your MCP client')), 80),
  );
  const destination = returnTo(params.redirect_uri);
  const connected = params.connected_key_end;
  const body = `
  <main>
    <h1><span aria-hidden="true">◆</span> Connect Runware</h1>
    <p><strong>${client}</strong> wants to generate images, video and audio with your Runware account.</p>
    ${connected ? `<p class="notice">This browser is signed in with the key ending in <strong class="key">…${escapeHtml(String(connected))}</strong>. Not yours? Paste your own key: it gets a connection of its own.</p>` : ''}
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
    headers: pageHeaders(nonce, formTargets(params)),
  };
}

/**
 * Bidirectional-text controls (embeddings, overrides, isolates, marks) let a self-chosen name display reversed
 * or reordered (an override can make an app's name read as another's): the page shows names without them.
 */
const withoutBidiControls = (text: string) =>
  text.replace(/[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '');

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
