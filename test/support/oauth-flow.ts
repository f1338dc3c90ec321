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
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1);
      // A cleared cookie (empty, or expired) is dropped, as a browser does.
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  /** Every cookie of this tab by name (what a person's browser holds for this server). */
  all(): Map<string, string> {
    return new Map(this.cookies);
  }
  header() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/** One browser tab's state: its cookies and the URL it is on. */
export class BrowserTab {
  readonly jar = new Jar();
  constructor(
    public url: URL,
    private readonly redirectPrefix = 'http://localhost:',
  ) {}

  /** Follows redirects like a browser, stopping at the client's redirect URI (a foreign origin under the prefix). */
  async follow(res: Response): Promise<ApprovalResult> {
    for (let hops = 0; hops < 10 && res.status >= 300 && res.status < 400; hops++) {
      const next = new URL(res.headers.get('location')!, this.url);
      if (next.toString().startsWith(this.redirectPrefix) && next.origin !== this.url.origin)
        return { callback: next, status: res.status, html: '', headers: res.headers };
      this.url = next;
      res = await fetch(this.url, { redirect: 'manual', headers: { cookie: this.jar.header() } });
      this.jar.take(res);
    }
    return { status: res.status, html: await res.text(), headers: res.headers };
  }
}

export interface KeyPage extends ApprovalResult {
  tab: BrowserTab;
  /** The form's action, resolved, and its CSRF token, when the API-key page was reached. */
  action?: URL;
  csrf?: string;
}

/**
 * Opens the authorization URL and follows redirects to the API-key page (or wherever they lead). With `tab`, in
 * that tab, cookies included: the same browser signing in again.
 */
export async function openKeyPage(
  authorizationUrl: URL | string,
  options: { redirectPrefix?: string; tab?: BrowserTab } = {},
): Promise<KeyPage> {
  const tab = options.tab ?? new BrowserTab(new URL(authorizationUrl), options.redirectPrefix);
  tab.url = new URL(authorizationUrl);
  const first = await fetch(tab.url, { redirect: 'manual', headers: { cookie: tab.jar.header() } });
  tab.jar.take(first);
  const page = await tab.follow(first);
  if (page.callback || page.status !== 200) return { ...page, tab };
  const action = /<form[^>]*action="([^"]+)"/.exec(page.html)?.[1];
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.html)?.[1];
  return { ...page, tab, ...(action ? { action: new URL(action, tab.url) } : {}), ...(csrf ? { csrf } : {}) };
}

/** Posts the API-key form of `page` with exactly `fields` (and the tab's cookies unless `cookies: false`). */
export async function submitKeyPage(
  page: KeyPage,
  fields: Record<string, string>,
  options: { headers?: Record<string, string>; cookies?: boolean } = {},
): Promise<ApprovalResult> {
  const post = await fetch(page.action ?? page.tab.url, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      ...(options.cookies === false ? {} : { cookie: page.tab.jar.header() }),
      'content-type': 'application/x-www-form-urlencoded',
      ...options.headers,
    },
    body: new URLSearchParams(fields),
  });
  page.tab.jar.take(post);
  return page.tab.follow(post);
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
    /** The browser tab to use (its cookies): the same browser signing in again. */
    tab?: BrowserTab;
  } = {},
): Promise<ApprovalResult> {
  const page = await openKeyPage(authorizationUrl, options);
  if (page.callback || page.status !== 200) return page;
  if (!page.action || !page.csrf) return page;
  const csrf = options.tamperCsrf ? options.tamperCsrf(page.csrf) : page.csrf;
  return submitKeyPage(page, { apiKey, csrf }, options.headers ? { headers: options.headers } : {});
}
