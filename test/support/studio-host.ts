import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type {
  McpUiHostCapabilities,
  McpUiHostContext,
  McpUiResourceCsp,
} from '@modelcontextprotocol/ext-apps';
import { build } from 'esbuild';
import type { Browser, BrowserContext, Frame, Page } from 'playwright-core';
import { launchChromium } from './chromium.js';

/** What a client that supports MCP Apps declares at initialize (or in each 2026-07-28 request). */
export const STUDIO_CAPABILITIES = {
  extensions: { 'io.modelcontextprotocol/ui': { mimeTypes: ['text/html;profile=mcp-app'] } },
};

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/studio/', import.meta.url));
const HOST_PAGE_ENTRY = fileURLToPath(new URL('./studio-host-page.ts', import.meta.url));

export interface LoggedRequest {
  method: string;
  params: Record<string, unknown>;
}

export interface LoadedResponse {
  url: string;
  status: number;
  contentType: string;
}

/** A tool call the app made through the host; answered by the real server. */
export type HostToolCall = (params: {
  name: string;
  arguments?: Record<string, unknown>;
}) => Promise<unknown>;

export interface MountOptions {
  toolName: string;
  args: Record<string, unknown>;
  result: unknown;
  theme?: 'light' | 'dark';
  width?: number;
  /** Display modes the host offers (default: inline only). */
  displayModes?: Array<'inline' | 'fullscreen' | 'pip'>;
  /** Host capabilities (default: links, downloads, messages, context updates, server tools). */
  capabilities?: McpUiHostCapabilities;
}

export interface MountedStudio {
  page: Page;
  app: Frame;
  /** Every request the app sent the host, in order. */
  requests: LoggedRequest[];
  /** Every HTTP response any frame of the page received. */
  responses: LoadedResponse[];
  /** Content-security-policy violations reported in the app's frame. */
  violations(): Promise<Array<{ blockedURI: string; directive: string }>>;
  setTheme(theme: 'light' | 'dark'): Promise<void>;
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * Our host for Runware Studio: a host page on one loopback origin running ext-apps' AppBridge, the app in a
 * sandboxed iframe on another origin served with the content-security policy that the resource declares, built
 * as SEP-1865 says hosts must build it. Chromium (Debian's, through playwright-core) renders both.
 */
export interface StudioHost {
  mount(options: MountOptions): Promise<MountedStudio>;
  close(): Promise<void>;
}

/** SEP-1865 "CSP Construction from Metadata", word for word in effect. */
export function hostCsp(csp: McpUiResourceCsp | undefined): string {
  const resources = (csp?.resourceDomains ?? []).join(' ');
  const connect = (csp?.connectDomains ?? []).join(' ');
  return [
    "default-src 'none'",
    `script-src 'self' 'unsafe-inline' ${resources}`,
    `style-src 'self' 'unsafe-inline' ${resources}`,
    `connect-src 'self' ${connect}`,
    `img-src 'self' data: ${resources}`,
    `font-src 'self' ${resources}`,
    `media-src 'self' data: ${resources}`,
    `frame-src ${csp?.frameDomains?.join(' ') || "'none'"}`,
    "object-src 'none'",
    `base-uri ${csp?.baseUriDomains?.join(' ') || "'self'"}`,
  ].join('; ');
}

const HOST_VARIABLES: Record<string, string> = {
  '--color-background-primary': 'light-dark(#ffffff, #1f1e1d)',
  '--color-background-secondary': 'light-dark(#f5f4ef, #2b2a27)',
  '--color-text-primary': 'light-dark(#141413, #f5f4ef)',
  '--color-text-secondary': 'light-dark(#5e5d59, #b7b5a9)',
  '--color-border-primary': 'light-dark(#d9d7cf, #45443f)',
  '--color-ring-primary': 'light-dark(#2c6bed, #7aa7ff)',
  '--font-sans': 'system-ui, sans-serif',
  '--border-radius-md': '8px',
};

const listen = (server: Server) =>
  new Promise<string>((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );

export async function startStudioHost(options: {
  html: string;
  csp: McpUiResourceCsp | undefined;
  callTool: HostToolCall;
}): Promise<StudioHost> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const bundle = await build({
    entryPoints: [HOST_PAGE_ENTRY],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    logLevel: 'error',
  });
  const hostScript = bundle.outputFiles[0]!.text;
  const hostServer = createServer((req, res) => {
    if (req.url === '/host.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(hostScript);
      return;
    }
    res
      .writeHead(200, { 'content-type': 'text/html' })
      .end(
        '<!doctype html><html><head><meta name="viewport" content="width=device-width"><style>body{margin:0;padding:8px;background:Canvas;color-scheme:light dark}</style></head><body><div id="host"></div><script src="/host.js"></script></body></html>',
      );
  });
  // The app's own origin, as a host's sandbox would give it: the policy arrives as a response header.
  const sandboxServer = createServer((_req, res) => {
    res
      .writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': hostCsp(options.csp),
      })
      .end(options.html);
  });
  const [hostUrl, sandboxUrl] = await Promise.all([listen(hostServer), listen(sandboxServer)]);
  const browser: Browser = await launchChromium();

  async function mount(mountOptions: MountOptions): Promise<MountedStudio> {
    const theme = mountOptions.theme ?? 'light';
    const width = mountOptions.width ?? 900;
    const context: BrowserContext = await browser.newContext({
      viewport: { width: width + 16, height: 900 },
      colorScheme: theme,
    });
    // Nothing leaves this machine: any request to a non-loopback host is answered with a network error.
    await context.route('**/*', (route) =>
      /^https?:\/\/(127\.0\.0\.1|localhost)(:|\/)/.test(route.request().url())
        ? route.continue()
        : route.abort('internetdisconnected'),
    );
    await context.addInitScript(() => {
      const seen: Array<{ blockedURI: string; directive: string }> = [];
      (window as unknown as { cspViolations: typeof seen }).cspViolations = seen;
      document.addEventListener('securitypolicyviolation', (e) =>
        seen.push({ blockedURI: e.blockedURI, directive: e.effectiveDirective }),
      );
    });
    const page = await context.newPage();
    const requests: LoggedRequest[] = [];
    const responses: LoadedResponse[] = [];
    page.on('response', (r) =>
      responses.push({ url: r.url(), status: r.status(), contentType: r.headers()['content-type'] ?? '' }),
    );
    await page.exposeFunction('hostLog', (entry: LoggedRequest) => {
      requests.push(entry);
    });
    await page.exposeFunction('hostCallTool', options.callTool);
    await page.goto(hostUrl);
    const hostContext: McpUiHostContext = {
      theme,
      styles: { variables: HOST_VARIABLES as never },
      displayMode: 'inline',
      availableDisplayModes: mountOptions.displayModes ?? ['inline'],
      containerDimensions: { width, maxHeight: 4000 },
      platform: 'web',
      locale: 'en-US',
      toolInfo: { tool: { name: mountOptions.toolName, inputSchema: { type: 'object' } } },
    };
    const mountArgs: unknown = {
      sandboxUrl: `${sandboxUrl}/studio`,
      toolName: mountOptions.toolName,
      args: mountOptions.args,
      result: mountOptions.result as never,
      hostContext,
      capabilities: mountOptions.capabilities ?? {
        openLinks: {},
        downloadFile: {},
        serverTools: {},
        message: { text: {} },
        updateModelContext: { text: {} },
        logging: {},
      },
      width,
    };
    await page.evaluate((o) => window.mountStudio(o as Parameters<Window['mountStudio']>[0]), mountArgs);
    const app = page.frames().find((f) => f.url().startsWith(sandboxUrl));
    if (!app) throw new Error('the app frame did not load');
    return {
      page,
      app,
      requests,
      responses,
      violations: () =>
        app.evaluate(
          () =>
            (window as unknown as { cspViolations: Array<{ blockedURI: string; directive: string }> })
              .cspViolations,
        ),
      setTheme: async (next) => {
        await page.emulateMedia({ colorScheme: next });
        await page.evaluate((t) => window.setHostContext({ theme: t }), next);
      },
      screenshot: async (name) => {
        const path = join(ARTIFACTS, `${name}.png`);
        // The app as the host shows it: the frame, at the height the app asked for.
        await page.locator('iframe').screenshot({ path });
        return path;
      },
      close: () => context.close(),
    };
  }

  return {
    mount,
    close: async () => {
      await browser.close();
      hostServer.close();
      sandboxServer.close();
    },
  };
}
