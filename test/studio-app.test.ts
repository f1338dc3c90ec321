import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
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

/** The host's background variable (studio-host.ts) as the app must resolve it in each theme. */
const HOST_BACKGROUND = { light: 'rgb(255, 255, 255)', dark: 'rgb(31, 30, 29)' };

/** The app's layout in its frame: anything wider than the frame scrolls sideways. */
const layoutOf = (m: MountedStudio) =>
  m.app.evaluate(() => ({
    overflow: document.documentElement.scrollWidth - window.innerWidth,
    background: getComputedStyle(document.body).backgroundColor,
  }));

/**
 * Light and dark, 320 px and desktop, of the state `show` puts the app in; each one takes the host's theme
 * variables and fits its width without scrolling sideways.
 */
async function screenshots(name: string, options: MountOptions, show: (m: MountedStudio) => Promise<void>) {
  for (const width of [320, 900]) {
    for (const theme of ['light', 'dark'] as const) {
      const m = await mount({ ...options, width, theme });
      await show(m);
      const layout = await layoutOf(m);
      expect(layout.overflow, `${name} at ${width} px scrolls sideways`).toBeLessThanOrEqual(0);
      expect(layout.background).toBe(HOST_BACKGROUND[theme]);
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
    expect(m.requests.find((r) => r.method === 'ui/download-file')?.params).toEqual(
      downloadOf(urls[0]!, 'image/png'),
    );
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

  it('follows a running video task through the app-only tool, progress advancing, until the video from the simulator replaces it', async () => {
    const args = {
      model: 'google:3@3',
      positivePrompt: 'waves on a beach',
      width: 1280,
      height: 720,
      duration: 4,
    };
    const result = await call('run', args);
    expect(result.structuredContent?.status).toBe('processing');
    const m = await mount({ toolName: 'run', args, result });
    const seen: number[] = [];
    let indeterminate = false;
    await expect
      .poll(
        async () => {
          const state = await m.app.evaluate(() => {
            const bar = document.querySelector('progress');
            return {
              bar: Boolean(bar),
              value: bar?.hasAttribute('value') ? bar.value : undefined,
              video: Boolean(document.querySelector('video')),
            };
          });
          if (state.bar && state.value === undefined) indeterminate = true;
          if (state.value !== undefined && seen.at(-1) !== state.value) seen.push(state.value);
          return state.video;
        },
        { timeout: 40_000, interval: 150 },
      )
      .toBe(true);
    // Progress went up while it ran, never back, and every poll was the app-only tool (no model turns).
    expect(indeterminate || seen.length > 0).toBe(true);
    expect(seen.length, `progress seen: ${seen.join(', ')}`).toBeGreaterThanOrEqual(2);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    const calls = m.requests.filter((r) => r.method === 'tools/call');
    expect(calls.length).toBeGreaterThanOrEqual(2);
    for (const c of calls)
      expect(c.params).toEqual({
        name: 'studio_task_status',
        arguments: { taskUUID: result.structuredContent!.taskUUID },
      });
    const final = await finished(result.structuredContent!.taskUUID as string);
    const url = (final.structuredContent!.outputs as Array<{ url: string }>)[0]!.url;
    expect(await m.app.locator('video').getAttribute('src')).toBe(url);
    expect(url.startsWith(simulatorOrigin())).toBe(true);
    await expect
      .poll(() => m.responses.find((r) => r.url === url))
      .toMatchObject({ status: 200, contentType: 'video/mp4' });
    // The simulator's clip is a real H.264 file: the player decodes it (metadata and its 160x90 frame).
    await expect
      .poll(() =>
        m.app.locator('video').evaluate((v: HTMLVideoElement) => `${v.readyState >= 1}:${v.videoWidth}`),
      )
      .toBe('true:160');
    expect(await m.app.locator('dl.facts').textContent()).toContain(
      usdOf(final.structuredContent!.cost as number),
    );
    await m.app.getByRole('button', { name: 'Download Video' }).click();
    await expect
      .poll(() => m.requests.find((r) => r.method === 'ui/download-file')?.params)
      .toEqual(downloadOf(url, 'video/mp4'));
    await screenshots(
      'video',
      { toolName: 'get_task_details', args: { taskUUID: final.structuredContent!.taskUUID }, result: final },
      async (v) => {
        await expect.poll(() => v.app.locator('video').count()).toBe(1);
      },
    );
  });

  it('screenshots a running task (a fresh run for each shot, caught while it renders)', async () => {
    for (const width of [320, 900]) {
      for (const theme of ['light', 'dark'] as const) {
        const args = {
          model: 'google:3@3',
          positivePrompt: 'a paper boat on a river',
          width: 1280,
          height: 720,
          duration: 4,
        };
        const result = await call('run', args);
        expect(result.structuredContent?.status).toBe('processing');
        const m = await mount({ toolName: 'run', args, result, width, theme });
        await expect.poll(() => m.app.locator('progress[value]').count(), { timeout: 10_000 }).toBe(1);
        expect(await m.app.getByRole('status').textContent()).toContain('Generating');
        await m.screenshot(`running-${width}-${theme}`);
        await m.close();
      }
    }
  });

  it('plays an audio result loaded from the simulator (a get_task_details view: no "another like this" without the run\'s parameters)', async () => {
    const started = await call('run', {
      model: 'runware:ace-step@v1.5-turbo',
      positivePrompt: 'a calm piano melody',
    });
    const result = await finished(started.structuredContent!.taskUUID as string);
    expect(result.structuredContent?.status).toBe('success');
    const args = { taskUUID: result.structuredContent!.taskUUID };
    const m = await mount({ toolName: 'get_task_details', args, result });
    const url = (result.structuredContent!.outputs as Array<{ url: string }>)[0]!.url;
    expect(url.startsWith(simulatorOrigin())).toBe(true);
    // The file was fetched from the simulator and decoded: the player knows its duration.
    await expect
      .poll(() => m.app.locator('audio').evaluate((a) => (a as HTMLAudioElement).duration))
      .toBeGreaterThan(0);
    expect(await m.app.locator('audio').getAttribute('src')).toBe(url);
    expect(m.responses.find((r) => r.url === url)).toMatchObject({ status: 200 });
    expect(await m.app.getByRole('button', { name: 'Another like this' }).count()).toBe(0);
    await m.app.getByRole('button', { name: 'Open Audio clip full size' }).click();
    await expect.poll(() => m.requests.find((r) => r.method === 'ui/open-link')?.params).toEqual({ url });
    await screenshots('audio', { toolName: 'get_task_details', args, result }, async (a) => {
      await expect
        .poll(() => a.app.locator('audio').evaluate((el) => (el as HTMLAudioElement).duration))
        .toBeGreaterThan(0);
    });
  });

  it('offers a 3D model as a download', async () => {
    const started = await call('run', { model: 'meshy:meshy@6', positivePrompt: 'a small wooden chair' });
    const result = await finished(started.structuredContent!.taskUUID as string);
    expect(result.structuredContent?.status).toBe('success');
    const output = (result.structuredContent!.outputs as Array<{ type: string; url: string }>).find(
      (o) => o.type === '3d',
    )!;
    const m = await mount({
      toolName: 'get_task_details',
      args: { taskUUID: result.structuredContent!.taskUUID },
      result,
    });
    await m.app.getByRole('button', { name: 'Download 3D model' }).click();
    await expect
      .poll(() => m.requests.find((r) => r.method === 'ui/download-file')?.params)
      .toEqual(downloadOf(output.url, 'model/gltf-binary'));
    await screenshots(
      '3d',
      { toolName: 'get_task_details', args: { taskUUID: result.structuredContent!.taskUUID }, result },
      async (x) => {
        await expect.poll(() => x.app.getByRole('button', { name: 'Download 3D model' }).count()).toBe(1);
      },
    );
  });

  it('shows list_models as cards; "use this model" puts the model id into the conversation', async () => {
    const args = { category: 'video', limit: 6 };
    const result = await call('list_models', args);
    const models = (result.structuredContent as { models: Array<{ air: string; name: string }> }).models;
    expect(models.length).toBe(6);
    const m = await mount({ toolName: 'list_models', args, result });
    await expect.poll(() => m.app.locator('article.card').count()).toBe(6);
    expect(await m.app.locator('article.card h2').allTextContents()).toEqual(models.map((x) => x.name));
    await m.app.getByRole('button', { name: `Use ${models[1]!.name} (${models[1]!.air})` }).click();
    await expect
      .poll(() => m.requests.find((r) => r.method === 'ui/message')?.params)
      .toEqual({
        role: 'user',
        content: [
          {
            type: 'text',
            text: `Use the Runware model ${models[1]!.name} (${models[1]!.air}) for the next generation.`,
          },
        ],
      });
    // A host that takes no messages gets a model-context update instead.
    const quiet = await mount({
      toolName: 'list_models',
      args,
      result,
      capabilities: { updateModelContext: { text: {} }, serverTools: {} },
    });
    await quiet.app.getByRole('button', { name: `Use ${models[0]!.name} (${models[0]!.air})` }).click();
    await expect.poll(() => quiet.requests.map((r) => r.method)).toContain('ui/update-model-context');
    expect(quiet.requests.some((r) => r.method === 'ui/message')).toBe(false);
    await screenshots('models', { toolName: 'list_models', args, result }, async (c) => {
      await expect.poll(() => c.app.locator('article.card').count()).toBe(6);
    });
  });

  it('shows a failed task; a refused "try again" keeps it in view and says why', async () => {
    await sim.admin.faults({ failTaskCount: 1 });
    const args = { model: 'runware:101@1', positivePrompt: 'a storm', width: 512, height: 512 };
    const failed = await call('run', args);
    expect(failed.structuredContent?.status).toBe('error');
    const m = await mount({ toolName: 'run', args, result: failed });
    await expect.poll(() => m.app.getByRole('alert').textContent()).toContain('timeoutProvider');
    await screenshots('failed', { toolName: 'run', args, result: failed }, async (x) => {
      await expect.poll(() => x.app.getByRole('alert').count()).toBe(1);
    });
    await sim.admin.faults({ insufficientCredits: true });
    try {
      await m.app.getByRole('button', { name: 'Try again' }).click();
      await expect
        .poll(() => m.app.locator('#notice [role=alert]').textContent())
        .toContain('Insufficient Runware credits');
    } finally {
      await sim.admin.faults({ insufficientCredits: false });
    }
    expect(await m.app.locator('h1').textContent()).toMatch(/^Failed/);
    // A run refused before anything ran (the spend cap) mounts as the refusal itself.
    const refused = await call('run', { ...args, maxCost: 0.000001 });
    expect(refused.isError).toBe(true);
    const r = await mount({ toolName: 'run', args: { ...args, maxCost: 0.000001 }, result: refused });
    await expect.poll(() => r.app.locator('h1').textContent()).toBe('Not run');
    expect(await r.app.locator('main').textContent()).toContain('exceeds the spend cap');
  });

  it('loads nothing from a host its CSP does not name', async () => {
    let foreignHits = 0;
    const foreign = createServer((_req, res) => {
      foreignHits++;
      res.writeHead(200, { 'content-type': 'image/png' }).end();
    });
    await new Promise<void>((resolve) => foreign.listen(0, '127.0.0.1', resolve));
    const foreignOrigin = `http://127.0.0.1:${(foreign.address() as AddressInfo).port}`;
    try {
      const args = {
        model: 'runware:101@1',
        positivePrompt: 'two cats',
        width: 512,
        height: 512,
        numberResults: 2,
      };
      const result = await call('run', args);
      const outputs = result.structuredContent!.outputs as Array<{ url: string }>;
      // The same result, but its first image on a host the resource's CSP does not list.
      const moved = `${foreignOrigin}${new URL(outputs[0]!.url).pathname}`;
      const tampered = {
        ...result,
        structuredContent: {
          ...result.structuredContent,
          outputs: [{ ...outputs[0], url: moved }, outputs[1]],
        },
      };
      const m = await mount({ toolName: 'run', args, result: tampered });
      await expect.poll(async () => (await m.violations()).map((v) => v.blockedURI)).toContain(moved);
      expect((await m.violations()).find((v) => v.blockedURI === moved)?.directive).toBe('img-src');
      // The simulator's image, which the policy names, loads beside it; the foreign host never heard a thing.
      await expect
        .poll(() =>
          m.app
            .locator('button.thumb img')
            .nth(1)
            .evaluate((i) => (i as HTMLImageElement).naturalWidth),
        )
        .toBeGreaterThan(0);
      expect(foreignHits).toBe(0);
    } finally {
      foreign.close();
    }
  });

  it('is usable by keyboard and screen reader, and follows the host when it switches theme', async () => {
    const args = {
      model: 'runware:101@1',
      positivePrompt: 'a quiet harbour',
      width: 512,
      height: 512,
      numberResults: 2,
    };
    const result = await call('run', args);
    const m = await mount({
      toolName: 'run',
      args,
      result,
      width: 320,
      displayModes: ['inline', 'fullscreen'],
    });
    const seeds = (result.structuredContent!.outputs as Array<{ seed: number }>).map((o) => o.seed);
    await expect.poll(() => m.app.getByRole('status').textContent()).toBe('Finished: 2 images.');
    expect(await m.app.getByRole('heading', { level: 1 }).textContent()).toMatch(/^Generated 2 images · /);
    const list = m.app.getByRole('list', { name: '2 images' });
    expect(await list.getByRole('img').evaluateAll((imgs) => imgs.map((i) => i.getAttribute('alt')))).toEqual(
      [`Image 1 of 2, seed ${seeds[0]}: a quiet harbour`, `Image 2 of 2, seed ${seeds[1]}: a quiet harbour`],
    );
    // Tab walks every control in reading order, each with a name a screen reader can say.
    const names: string[] = [];
    await m.app.locator('body').focus();
    for (let i = 0; i < 3; i++) {
      await m.page.keyboard.press('Tab');
      names.push(
        await m.app.evaluate(
          () =>
            document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.textContent ?? '',
        ),
      );
    }
    expect(names).toEqual([
      `View Image 1 of 2, seed ${seeds[0]} full size`,
      `View Image 2 of 2, seed ${seeds[1]} full size`,
      'Another like this',
    ]);
    // The full-size view is a modal dialog: Escape closes it and focus returns to the thumbnail it came from.
    await m.page.keyboard.press('Shift+Tab');
    await m.page.keyboard.press('Enter');
    await expect.poll(() => m.app.getByRole('dialog').getAttribute('aria-labelledby')).toBe('viewer-title');
    // A host that offers fullscreen is asked for it while the full-size view is open, and for inline after.
    const modes = () => m.requests.filter((r) => r.method === 'ui/request-display-mode').map((r) => r.params);
    await expect.poll(modes).toEqual([{ mode: 'fullscreen' }]);
    await m.page.keyboard.press('Escape');
    await expect.poll(modes).toEqual([{ mode: 'fullscreen' }, { mode: 'inline' }]);
    await expect
      .poll(() => m.app.evaluate(() => document.activeElement?.getAttribute('aria-label')))
      .toBe(`View Image 2 of 2, seed ${seeds[1]} full size`);
    expect((await layoutOf(m)).background).toBe(HOST_BACKGROUND.light);
    await m.setTheme('dark');
    await expect.poll(async () => (await layoutOf(m)).background).toBe(HOST_BACKGROUND.dark);
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

/** Calls get_task_details until the task is final (each call waits up to the server's deadline). */
async function finished(taskUUID: string) {
  for (let i = 0; i < 20; i++) {
    const r = await call('get_task_details', { taskUUID });
    if (r.structuredContent?.status !== 'processing') return r;
  }
  throw new Error(`task ${taskUUID} did not finish`);
}

/** The ui/download-file request for one output: a link the host fetches, named after the file. */
function downloadOf(url: string, mimeType: string) {
  return { contents: [{ type: 'resource_link', uri: url, name: url.split('/').pop(), mimeType }] };
}

function usdOf(amount: number) {
  return amount >= 0.1 ? `$${amount.toFixed(2)}` : `$${Number(amount.toPrecision(2))}`;
}
