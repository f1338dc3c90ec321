#!/usr/bin/env node
// Stands in for the user's browser when mcp-remote "opens" the authorization URL ($BROWSER points here):
// follows redirects to the API-key page, submits FAKE_BROWSER_API_KEY, and follows the redirect back to
// mcp-remote's loopback callback, as a person's browser would.
import { appendFileSync } from 'node:fs';

const url = process.argv[2];
const apiKey = process.env.FAKE_BROWSER_API_KEY;
const log = (line) =>
  process.env.FAKE_BROWSER_LOG && appendFileSync(process.env.FAKE_BROWSER_LOG, `${line}\n`);
const cookies = new Map();
const take = (res) => {
  for (const line of res.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const eq = pair.indexOf('=');
    cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1));
  }
};
const cookie = () => [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');

async function go(target, init = {}) {
  let current = new URL(target);
  let res = await fetch(current, {
    ...init,
    redirect: 'manual',
    headers: { ...init.headers, cookie: cookie() },
  });
  take(res);
  for (let hops = 0; hops < 10 && res.status >= 300 && res.status < 400; hops++) {
    current = new URL(res.headers.get('location'), current);
    log(`redirect ${current.origin}${current.pathname}`);
    res = await fetch(current, { redirect: 'manual', headers: { cookie: cookie() } });
    take(res);
  }
  return { res, url: current };
}

const page = await go(url);
const html = await page.res.text();
const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
if (!action || !csrf) {
  log(`no form at ${page.url}: ${page.res.status}`);
  process.exit(1);
}
const done = await go(new URL(action, page.url), {
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', origin: page.url.origin },
  body: new URLSearchParams({ apiKey, csrf }),
});
log(`final ${done.res.status} ${done.url.origin}${done.url.pathname}`);
