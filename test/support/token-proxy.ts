import { createHash, randomBytes } from 'node:crypto';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { approveInBrowserless } from './oauth-flow.js';

/** Runs a whole OAuth flow (DCR, PKCE, API-key page, code exchange) and returns an access token. */
export async function obtainAccessToken(serverUrl: string, apiKey: string): Promise<string> {
  return (await obtainTokens(serverUrl, apiKey)).access_token;
}

/** The same flow, returning the client id and both tokens. */
export async function obtainTokens(
  serverUrl: string,
  apiKey: string,
  /** The MCP resource the token is for; defaults to this server's own /mcp (differs behind a public URL). */
  resource = `${serverUrl}/mcp`,
): Promise<{ client_id: string; access_token: string; refresh_token: string }> {
  const redirect = 'http://localhost:51777/callback';
  const registered = (await (
    await fetch(`${serverUrl}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        redirect_uris: [redirect],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      }),
    })
  ).json()) as { client_id: string };
  const verifier = randomBytes(32).toString('base64url');
  const url = new URL(`${serverUrl}/authorize`);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: registered.client_id,
    redirect_uri: redirect,
    scope: 'mcp',
    resource,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString();
  const approval = await approveInBrowserless(url, apiKey);
  if (!approval.callback)
    throw new Error(`authorization failed: ${approval.status} ${approval.html.slice(0, 200)}`);
  const res = await fetch(`${serverUrl}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: approval.callback.searchParams.get('code')!,
      redirect_uri: redirect,
      client_id: registered.client_id,
      code_verifier: verifier,
    }),
  });
  const tokens = (await res.json()) as { access_token: string; refresh_token: string };
  return { client_id: registered.client_id, ...tokens };
}

/**
 * A loopback reverse proxy that adds a bearer token: for clients (like the conformance suite) that cannot do
 * OAuth themselves. Host and Origin pass through untouched so DNS-rebinding checks still see what was sent.
 */
export async function startTokenProxy(
  target: string,
  token: string,
): Promise<{ url: string; close(): Promise<void> }> {
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const forward = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, authorization: `Bearer ${token}` },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.writeHead(502).end());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, 'localhost', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
