import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimulatorProcess, spawnSimulator } from './support/simulator-process.js';
import { connectStdio, type StdioSession } from './support/stdio-client.js';
import {
  type MountedStudio,
  type MountOptions,
  STUDIO_CAPABILITIES,
  type StudioHost,
  startStudioHost,
} from './support/studio-host.js';
import type { ToolResult } from './support/tool-session.js';

// Runware Studio in a real browser: our own host (ext-apps' AppBridge) renders the app in a sandboxed iframe
// with the CSP its resource declares, fed real results from the server running against the simulator. Every
// state is screenshotted into test-artifacts/studio/ in light and dark, at 320 px and at desktop width.
const KEY = 'rw-studio-key';

let sim: SimulatorProcess;
let s: StdioSession;
let host: StudioHost;
const open: MountedStudio[] = [];

beforeAll(async () => {
  // Async tasks take 6 s upstream and run answers "processing" after 1.5 s: the app watches the rest.
  sim = await spawnSimulator({ keys: [KEY], asyncDelayMs: 6000 });
  s = await connectStdio(
    { RUNWARE_API_KEY: KEY, RUNWARE_API_URL: sim.apiUrl, RUNWARE_RUN_DEADLINE_MS: '1500' },
    { capabilities: STUDIO_CAPABILITIES },
  );
  const { contents } = await s.client.readResource({ uri: 'ui://runware/studio' });
  const studio = contents[0] as unknown as {
    text: string;
    _meta: { ui: { csp: { resourceDomains: string[] } } };
  };
  host = await startStudioHost({
    html: studio.text,
    csp: studio._meta.ui.csp,
    callTool: (params) => s.client.callTool({ name: params.name, arguments: params.arguments ?? {} }),
  });
}, 60_000);

afterAll(async () => {
  for (const m of open) await m.close().catch(() => undefined);
  await host?.close();
  await s?.close();
  await sim?.stop();
});

const call = async (name: string, args: Record<string, unknown>) =>
  (await s.client.callTool({ name, arguments: args })) as ToolResult & { _meta?: Record<string, unknown> };

async function mount(options: MountOptions) {
  const mounted = await host.mount(options);
  open.push(mounted);
  return mounted;
}

/** Light and dark, 320 px and desktop, of the state `show` puts the app in. */
async function screenshots(name: string, options: MountOptions, show: (m: MountedStudio) => Promise<void>) {
  for (const width of [320, 900]) {
    for (const theme of ['light', 'dark'] as const) {
      const m = await mount({ ...options, width, theme });
      await show(m);
      await m.screenshot(`${name}-${width}-${theme}`);
      await m.close();
    }
  }
}

const simulatorOrigin = () => new URL(sim.apiUrl).origin;

describe('Runware Studio in a browser host', () => {
  it('shows an image result: a grid from the simulator, full-size view, download, open, and another like this', async () => {
    const args = {
      model: 'runware:101@1',
      positivePrompt: 'a lighthouse at dawn',
      width: 512,
      height: 512,
      numberResults: 2,
    };
    const result = await call('run', args);
    expect(result.structuredContent?.status).toBe('success');
    const m = await mount({ toolName: 'run', args, result });
    const thumbs = m.app.locator('button.thumb img');
    await expect.poll(() => thumbs.count()).toBe(2);
    // Both images decoded, from the simulator's own media URLs.
    await expect
      .poll(() => thumbs.evaluateAll((imgs) => imgs.map((i) => (i as HTMLImageElement).naturalWidth > 0)))
      .toEqual([true, true]);
    const urls = (result.structuredContent!.outputs as Array<{ url: string }>).map((o) => o.url);
    for (const url of urls) {
      expect(url.startsWith(simulatorOrigin())).toBe(true);
      expect(m.responses.find((r) => r.url === url)).toMatchObject({ status: 200, contentType: 'image/png' });
    }
    const details = await call('model_details', { air: 'runware:101@1' });
    const name = (details.structuredContent as { model: { name: string } }).model.name;
    await expect.poll(() => m.app.locator('h1').textContent()).toBe(`Generated 2 images · ${name}`);
    console.log(
      'iframe',
      await m.page.evaluate(() => {
        const f = document.querySelector('iframe')!;
        return [
          f.style.cssText,
          f.getBoundingClientRect().width,
          document.body.getBoundingClientRect().width,
        ];
      }),
      await m.app.evaluate(() => [window.innerWidth, document.documentElement.getBoundingClientRect().width]),
    );
    const facts = await m.app.locator('dl.facts').textContent();
    expect(facts).toContain('a lighthouse at dawn');
    expect(facts).toContain(usdOf(result.structuredContent!.cost as number));

    // Full-size view: a modal dialog, by keyboard.
    await m.app.locator('button.thumb').first().focus();
    await m.app.page().keyboard.press('Enter');
    await expect.poll(() => m.app.locator('dialog[open] img').getAttribute('src')).toBe(urls[0]);
    await m.screenshot('image-full-size');
    await m.app.locator('dialog[open]').getByRole('button', { name: 'Download' }).click();
    await m.app.locator('dialog[open]').getByRole('button', { name: 'Open' }).click();
    await expect.poll(() => m.requests.map((r) => r.method)).toContain('ui/open-link');
    expect(m.requests.find((r) => r.method === 'ui/download-file')?.params).toEqual({
      contents: [
        { type: 'resource_link', uri: urls[0], name: urls[0]!.split('/').pop(), mimeType: 'image/png' },
      ],
    });
    expect(m.requests.find((r) => r.method === 'ui/open-link')?.params).toEqual({ url: urls[0] });
    await m.app.page().keyboard.press('Escape');
    await expect.poll(() => m.app.locator('dialog[open]').count()).toBe(0);

    // Another like this: the same run through the host, a new seed, then the new result in place.
    const oldSeeds = (result.structuredContent!.outputs as Array<{ seed: number }>).map((o) => o.seed);
    await m.app.getByRole('button', { name: 'Another like this' }).click();
    await expect.poll(() => m.requests.filter((r) => r.method === 'tools/call').length).toBe(1);
    const again = m.requests.find((r) => r.method === 'tools/call')!.params as {
      name: string;
      arguments: Record<string, unknown>;
    };
    expect(again.name).toBe('run');
    const { seed, ...rest } = again.arguments;
    expect(rest).toEqual(args);
    expect(typeof seed).toBe('number');
    expect(oldSeeds).not.toContain(seed);
    await expect.poll(() => m.app.locator('dl.facts').textContent()).toContain(String(seed));
  });

  it('screenshots the image result', async () => {
    const args = {
      model: 'runware:101@1',
      positivePrompt: 'a red fox in snow',
      width: 768,
      height: 768,
      numberResults: 4,
    };
    const result = await call('run', args);
    await screenshots('image', { toolName: 'run', args, result }, async (m) => {
      await expect
        .poll(() =>
          m.app
            .locator('button.thumb img')
            .evaluateAll((imgs) => imgs.every((i) => (i as HTMLImageElement).naturalWidth > 0)),
        )
        .toBe(true);
    });
  });
});

function usdOf(amount: number) {
  return amount >= 0.1 ? `$${amount.toFixed(2)}` : `$${Number(amount.toPrecision(2))}`;
}
