import type { OAuthClientProvider } from '@modelcontextprotocol/client';

type Tokens = Awaited<ReturnType<OAuthClientProvider['tokens']>>;
type ClientInfo = Awaited<ReturnType<OAuthClientProvider['clientInformation']>>;

/** An in-memory OAuth client for the SDK: remembers registration, tokens and the authorization URL it was sent to. */
export class TestOAuthClient implements OAuthClientProvider {
  info: ClientInfo;
  saved: Tokens;
  verifier = '';
  authorizationUrl: URL | undefined;
  constructor(readonly redirect = 'http://localhost:53682/callback') {}
  get redirectUrl() {
    return this.redirect;
  }
  get clientMetadata() {
    return {
      client_name: 'SDK test client',
      redirect_uris: [this.redirect],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }
  clientInformation() {
    return this.info;
  }
  saveClientInformation(info: NonNullable<ClientInfo>) {
    this.info = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: NonNullable<Tokens>) {
    this.saved = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
}

export interface ApprovalResult {
  /** The client redirect URL with code/state/iss, when the key was accepted. */
  callback?: URL;
  status: number;
  html: string;
  headers: Headers;
}

/** A tiny cookie jar: enough for the interaction cookies oidc-provider sets. */
class Jar {
  private readonly cookies = new Map<string, string>();
  take(res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1));
    }
  }
  header() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/**
 * Plays the user's browser: opens the authorization URL, follows redirects to the API-key page, fills the
 * form like a person would, and follows the redirects back to the client's redirect URI.
 */
export async function approveInBrowserless(
  authorizationUrl: URL | string,
  apiKey: string,
  options: {
    redirectPrefix?: string;
    tamperCsrf?: (csrf: string) => string;
    /** Extra headers on the form POST (e.g. X-Forwarded-For as a reverse proxy would add it). */
    headers?: Record<string, string>;
  } = {},
): Promise<ApprovalResult> {
  const jar = new Jar();
  let url = new URL(authorizationUrl);
  const prefix = options.redirectPrefix ?? 'http://localhost:';
  const follow = async (res: Response): Promise<ApprovalResult> => {
    for (let hops = 0; hops < 10 && res.status >= 300 && res.status < 400; hops++) {
      const next = new URL(res.headers.get('location')!, url);
      if (next.toString().startsWith(prefix) && next.origin !== url.origin)
        return { callback: next, status: res.status, html: '', headers: res.headers };
      url = next;
      res = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header() } });
      jar.take(res);
    }
    return { status: res.status, html: await res.text(), headers: res.headers };
  };
  const first = await fetch(url, { redirect: 'manual' });
  jar.take(first);
  const page = await follow(first);
  if (page.callback || page.status !== 200) return page;
  const action = /<form[^>]*action="([^"]+)"/.exec(page.html)?.[1];
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.html)?.[1];
  if (!action || !csrf) return page;
  const post = await fetch(new URL(action, url), {
    method: 'POST',
    redirect: 'manual',
    headers: {
      cookie: jar.header(),
      'content-type': 'application/x-www-form-urlencoded',
      ...options.headers,
    },
    body: new URLSearchParams({ apiKey, csrf: options.tamperCsrf ? options.tamperCsrf(csrf) : csrf }),
  });
  jar.take(post);
  return follow(post);
}
