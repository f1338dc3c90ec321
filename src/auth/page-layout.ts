import { randomBytes } from 'node:crypto';

/**
 * The one look of every HTML page the server shows a person (the API-key page, "sign-in expired", OAuth errors,
 * rate limits, not found): a card readable from 320 px wide up, styled by an inline stylesheet that only a
 * fresh nonce lets through the CSP.
 */
export interface HtmlPage {
  html: string;
  headers: Record<string, string>;
}

export const newNonce = () => randomBytes(16).toString('base64');

export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

/** CSP: this page's stylesheet and nothing else; forms may post only to `formTargets` (none by default). */
export function pageHeaders(nonce: string, formTargets: string[] = ["'none'"]): Record<string, string> {
  return {
    'content-security-policy': `default-src 'none'; style-src 'nonce-${nonce}'; img-src 'self' data:; form-action ${formTargets.join(' ')}; frame-ancestors 'none'; base-uri 'none'`,
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    // same-origin (not no-referrer): browsers then send a real Origin on the form post, which the Host/Origin check needs.
    'referrer-policy': 'same-origin',
    'cache-control': 'no-store',
  };
}

/** A page that only says something: a heading, paragraphs of (already escaped) HTML, no form. */
export function messagePage(title: string, paragraphs: string[]): HtmlPage {
  const nonce = newNonce();
  const body = `<main>
    <h1><span aria-hidden="true">◆</span> ${escapeHtml(title)}</h1>
    ${paragraphs.map((p, i) => `<p${i === 0 ? ' role="alert"' : ' class="help"'}>${p}</p>`).join('\n    ')}
  </main>`;
  return { html: layout(title, body, nonce), headers: pageHeaders(nonce) };
}

export function layout(title: string, body: string, nonce: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${escapeHtml(title)}</title>
<style nonce="${nonce}">
  :root { color-scheme: dark; font-family: system-ui, sans-serif; line-height: 1.45; }
  *, *::before, *::after { box-sizing: border-box; }
  body { margin: 0; min-height: 100vh; display: grid; place-items: center; padding: 1rem; background: #0d0f14; color: #e8eaf0; }
  main { width: 100%; max-width: 420px; padding: clamp(1.25rem, 6vw, 2rem); border-radius: 14px; background: #171a22; box-shadow: 0 10px 40px #0008; overflow-wrap: anywhere; }
  h1 { font-size: 1.4rem; margin: 0 0 1rem; } h1 span { color: #7c5cff; }
  label { display: block; font-weight: 600; margin: 1rem 0 .4rem; }
  input[type=password] { width: 100%; padding: .7rem; border-radius: 8px; border: 1px solid #3a3f4d; background: #0d0f14; color: inherit; font: inherit; }
  input:focus, button:focus { outline: 3px solid #7c5cff; outline-offset: 2px; }
  .help { font-size: .85rem; color: #aab0bf; } a { color: #a48bff; }
  .notice { padding: .7rem; border-radius: 8px; background: #2a2340; } .key { white-space: nowrap; }
  .error { color: #ff8a8a; font-weight: 600; }
  code { font-size: .9em; }
  button { margin-top: 1rem; width: 100%; padding: .8rem; border: 0; border-radius: 8px; background: #7c5cff; color: #fff; font: inherit; font-weight: 700; cursor: pointer; }
</style>
</head>
<body>${body}</body>
</html>`;
}
