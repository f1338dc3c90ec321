import { createHash, randomBytes } from 'node:crypto';
import { type BrowserTab, openKeyPage, submitKeyPage } from './oauth-flow.js';

/** The redirect URI the sign-in helpers register (a loopback app that is never actually listening). */
export const APP_REDIRECT = 'http://localhost:51888/callback';

export interface Tokens {
  access_token: string;
  refresh_token: string;
  scope?: string;
}

/** POST /register for a public client (metadata overrides the defaults); answers the registration response. */
export async function registerClient(
  base: string,
  metadata: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<Record<string, string> & { client_id: string }> {
  const res = await fetch(`${base}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({
      redirect_uris: [APP_REDIRECT],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      client_name: 'sign-in tests',
      ...metadata,
    }),
  });
  const body = (await res.json()) as Record<string, string> & { client_id: string };
  if (res.status !== 201) throw new Error(`registration failed: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

/** An authorization request with a fresh PKCE pair (the caller keeps the verifier for the code exchange). */
export function authorizationRequest(
  base: string,
  clientId: string,
  params: Record<string, string | undefined> = {},
): { url: URL; verifier: string } {
  const verifier = randomBytes(32).toString('base64url');
  const url = new URL(`${base}/authorize`);
  const all: Record<string, string | undefined> = {
    response_type: 'code',
    client_id: clientId,
    redirect_uri: APP_REDIRECT,
    scope: 'mcp offline_access',
    state: randomBytes(8).toString('hex'),
    resource: `${base}/mcp`,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    ...params,
  };
  for (const [k, v] of Object.entries(all)) if (v !== undefined) url.searchParams.set(k, v);
  return { url, verifier };
}

export async function exchangeCode(
  base: string,
  clientId: string,
  code: string,
  verifier: string,
): Promise<Tokens> {
  const res = await fetch(`${base}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: APP_REDIRECT,
      client_id: clientId,
      code_verifier: verifier,
    }),
  });
  const body = (await res.json()) as Tokens;
  if (res.status !== 200) throw new Error(`code exchange failed: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

export async function refresh(base: string, clientId: string, refreshToken: string): Promise<Response> {
  return fetch(`${base}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: clientId,
    }),
  });
}

export interface SignIn {
  tab: BrowserTab;
  /** True when the server issued the code without showing the API-key page. */
  silent: boolean;
  /** The API-key page as shown (when it was). */
  pageHtml?: string;
  callback?: URL;
  tokens?: Tokens;
}

/**
 * A person signing in from a browser tab (a fresh one, or `tab` to reuse its cookies): opens the authorization
 * URL, pastes `apiKey` into the API-key page when it is shown, and exchanges the code the app receives.
 */
export async function signIn(
  base: string,
  clientId: string,
  apiKey: string,
  options: {
    tab?: BrowserTab;
    params?: Record<string, string | undefined>;
    /** Extra headers on the form POST (X-Forwarded-For, as a trusted proxy adds it). */
    headers?: Record<string, string>;
  } = {},
): Promise<SignIn> {
  const { url, verifier } = authorizationRequest(base, clientId, options.params);
  const page = await openKeyPage(url, options.tab ? { tab: options.tab } : {});
  let callback = page.callback;
  if (!callback && page.csrf) {
    const posted = await submitKeyPage(
      page,
      { apiKey, csrf: page.csrf },
      options.headers ? { headers: options.headers } : {},
    );
    callback = posted.callback;
  }
  const code = callback?.searchParams.get('code');
  return {
    tab: page.tab,
    silent: page.callback !== undefined,
    ...(page.callback ? {} : { pageHtml: page.html }),
    ...(callback ? { callback } : {}),
    ...(code ? { tokens: await exchangeCode(base, clientId, code, verifier) } : {}),
  };
}
