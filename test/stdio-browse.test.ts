import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectStdio, type StdioSession } from './support/stdio-client.js';

let s: StdioSession;
type Structured = Record<string, unknown> & {
  models?: Array<Record<string, unknown>>;
  total?: number;
  nextCursor?: string;
};
const call = async (name: string, args: Record<string, unknown> = {}) => {
  const result = await s.client.callTool({ name, arguments: args });
  return result as {
    isError?: boolean;
    content: Array<Record<string, unknown> & { type: string; text?: string }>;
    structuredContent?: Structured;
  };
};
const text = (r: Awaited<ReturnType<typeof call>>) => r.content.map((c) => c.text ?? '').join('\n');

beforeAll(async () => {
  s = await connectStdio({ RUNWARE_API_KEY: '' });
});
afterAll(() => s?.close());

describe('stdio server: list_models counts', () => {
  it('reads "1 model matches" for one and "N models match" for more', async () => {
    const all = await call('list_models', { limit: 100 });
    const perCreator = new Map<string, number>();
    for (const m of all.structuredContent!.models!)
      perCreator.set(String(m.creator), (perCreator.get(String(m.creator)) ?? 0) + 1);
    const single = [...perCreator].find(([, n]) => n === 1)![0];
    expect(text(await call('list_models', { creator: single }))).toMatch(/^1 model matches \(showing 1\):\n/);
    const video = await call('list_models', { category: 'video', limit: 2 });
    expect(text(video)).toMatch(
      new RegExp(`^${video.structuredContent!.total} models match \\(showing 2\\):`),
    );
  });
});

describe('stdio server: tools/list', () => {
  it('lists all twelve tools with schemas and annotations', async () => {
    const { tools } = await s.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(
      [
        'account',
        'get_task_details',
        'list_capabilities',
        'list_models',
        'media_storage',
        'model_details',
        'model_examples',
        'model_pricing',
        'model_schema',
        'model_search',
        'model_upload',
        'run',
      ].sort(),
    );
    for (const name of [
      'list_models',
      'model_details',
      'model_examples',
      'model_pricing',
      'list_capabilities',
      'model_schema',
    ]) {
      const tool = tools.find((t) => t.name === name)!;
      expect(tool.annotations?.readOnlyHint, name).toBe(true);
      expect(tool.outputSchema?.type, name).toBe('object');
    }
    expect(tools.find((t) => t.name === 'media_storage')!.annotations?.destructiveHint).toBe(true);
  });
});

describe('stdio server: browse tools with no API key', () => {
  it('list_models filters by category, capability, creator and text, with structured records', async () => {
    const video = await call('list_models', { category: 'video' });
    expect(video.isError).toBeFalsy();
    expect(video.structuredContent!.models!.length).toBeGreaterThan(0);
    expect(video.structuredContent!.models!.every((m) => m.category === 'video')).toBe(true);
    // FLUX.1.1 [pro]'s docs page lists Text to Image (runware.ai/docs/models/bfl-flux-1-1-pro.md).
    const t2i = await call('list_models', { capability: 'io:text-to-image', search: 'flux' });
    expect(t2i.structuredContent!.models!.map((m) => m.air)).toContain('bfl:2@1');
    const byCreator = await call('list_models', { creator: 'google' });
    expect(byCreator.structuredContent!.models!.every((m) => m.creator === 'google')).toBe(true);
    const typo = await call('list_models', { search: 'flxu dev' });
    expect(typo.structuredContent!.models!.map((m) => m.air)).toContain('runware:101@1');
    expect(text(t2i)).toContain('bfl:2@1');
  });

  it('paginates with an opaque cursor that walks every model once', async () => {
    const all = await call('list_models', { limit: 100 });
    const total = all.structuredContent!.total!;
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await call('list_models', { limit: 1, ...(cursor ? { cursor } : {}) });
      seen.push(...page.structuredContent!.models!.map((m) => String(m.air)));
      cursor = page.structuredContent!.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(total);
    expect(new Set(seen).size).toBe(total);
    const bad = await call('list_models', { cursor: 'not-a-cursor' });
    expect(bad.isError).toBe(true);
    expect(text(bad)).toMatch(/cursor/);
  });

  it('model_details, model_examples and model_pricing answer from the snapshot, with where each fact was read', async () => {
    const details = await call('model_details', { air: 'bfl:2@1' });
    expect(details.structuredContent!.model).toMatchObject({
      air: 'bfl:2@1',
      name: 'FLUX.1.1 [pro]',
      creator: 'black-forest-labs',
      checked: expect.stringMatching(
        /^checked against .*runware\.ai\/docs\/models\/bfl-flux-1-1-pro\.md.* on 2026-12-01/,
      ),
    });
    expect(text(details)).toMatch(/Facts checked against runware\.ai\/docs\/models\/bfl-flux-1-1-pro\.md/);
    // A real example from the model's docs page, with the output it produced.
    const examples = await call('model_examples', { air: 'minimax-hailuo-2-3' });
    const example = (examples.structuredContent!.examples as Array<{ asset: string }>)[0]!;
    expect(example.asset).toMatch(/^https:\/\/vm\.runware\.ai\//);
    const pricing = await call('model_pricing', { air: 'google:3@3' });
    expect(pricing.structuredContent).toMatchObject({
      air: 'google:3@3',
      pricingOverview: 'Each generation will cost $0.1/s for 1080p, or $0.15/s for 1080p with audio.',
      from: 'snapshot',
    });
    // As Runware publishes them: strings, plus the amount where it is one.
    expect(pricing.structuredContent!.pricingExamples).toContainEqual({
      configuration: '4K · 8s (with audio)',
      price: '$2.80',
      usd: 2.8,
    });
    const identityOnly = await call('model_details', { air: 'runware:35@14' });
    expect(text(identityOnly)).toMatch(/not checked against a Runware page: identity fields only/);
  });

  it('list_capabilities returns the taxonomy, filterable by family', async () => {
    const all = await call('list_capabilities');
    const caps = all.structuredContent!.capabilities as Array<{ id: string; label: string }>;
    expect(caps.length).toBeGreaterThanOrEqual(20);
    // Labels as Runware's pages write them: TTS models are "Text to Audio".
    expect(caps).toContainEqual({ id: 'io:text-to-audio', label: 'Text to Audio' });
    const io = await call('list_capabilities', { kind: 'io' });
    expect(
      (io.structuredContent!.capabilities as Array<{ id: string }>).every((c) => c.id.startsWith('io:')),
    ).toBe(true);
  });

  it('model_schema returns the schema as an embedded resource without transport fields', async () => {
    const result = await call('model_schema', { model: 'runware:101@1' });
    const resource = result.content.find((c) => c.type === 'resource') as unknown as {
      resource: { uri: string; text: string };
    };
    expect(resource.resource.uri).toBe('runware://models/runware%3A101%401/schema');
    const schema = JSON.parse(resource.resource.text) as {
      properties: Record<string, unknown>;
      required: string[];
    };
    for (const field of ['taskType', 'taskUUID', 'webhookURL', 'deliveryMethod', 'includeCost'])
      expect(schema.properties).not.toHaveProperty(field);
    // FLUX.1 [dev]'s parameter types as Runware's SDK generates them (flux-1-dev architecture).
    expect(schema.required).toEqual(expect.arrayContaining(['positivePrompt', 'width', 'height', 'model']));
    expect(schema.properties.inputs).toMatchObject({ properties: { seedImage: {}, maskImage: {} } });
    expect(text(result)).toMatch(/generic parameter types of Runware's SDK/);
  });

  it('lists every model schema as a resource and reads one', async () => {
    const { resources } = await s.client.listResources();
    expect(resources.length).toBeGreaterThanOrEqual(2);
    const { resourceTemplates } = await s.client.listResourceTemplates();
    expect(resourceTemplates[0]!.uriTemplate).toBe('runware://models/{air}/schema');
    const read = await s.client.readResource({ uri: 'runware://models/google%3A3%403/schema' });
    const schema = JSON.parse(String((read.contents[0] as { text: string }).text)) as {
      properties: Record<string, unknown>;
    };
    expect(schema.properties).toHaveProperty('outputFormat');
    expect(schema.properties).not.toHaveProperty('taskUUID');
    expect(JSON.stringify(schema)).toContain('3840'); // the documented 4K size
    await expect(s.client.readResource({ uri: 'runware://models/nope%3A1%401/schema' })).rejects.toThrow(
      /Unknown resource/,
    );
  });
});

describe('stdio server: bad input gets clear errors and the server keeps answering', () => {
  it('suggests the closest models for an unknown AIR', async () => {
    const result = await call('model_details', { air: 'runware:101@9' });
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/Unknown model "runware:101@9"\. Closest matches: runware:101@1/);
  });

  it('rejects wrong types and unknown filter values with actionable messages', async () => {
    const wrongType = await call('list_models', { limit: 'ten', category: 'sculpture' });
    expect(wrongType.isError).toBe(true);
    expect(text(wrongType)).toMatch(/limit/);
    expect(text(wrongType)).toMatch(/category.*image, video, audio, text, 3d/s);
    const unknownCapability = await call('list_models', { capability: 'io:text-to-smell' });
    expect(text(unknownCapability)).toMatch(/Unknown capability "io:text-to-smell".*list_capabilities/);
    const unknownCreator = await call('list_models', { creator: 'nobody' });
    expect(text(unknownCreator)).toMatch(/Unknown creator "nobody"\. Known creators: .*google/);
    const missing = await call('model_pricing', {});
    expect(text(missing)).toMatch(/air/);
    // The most common slip: `model` (as for run and model_schema) where the tool takes `air`.
    const renamed = await call('model_pricing', { model: 'google:4@2' });
    expect(renamed.isError).toBe(true);
    expect(text(renamed)).toMatch(/Rename "model" to "air" and call again\./);
    const unknownTool = await call('no_such_tool', {});
    expect(unknownTool.isError).toBe(true);
    expect(text(unknownTool)).toMatch(/Unknown tool "no_such_tool"\. Available tools: run, list_models/);
    expect((await call('list_capabilities')).isError).toBeFalsy();
  });

  it('key-holding tools explain how to set RUNWARE_API_KEY', async () => {
    for (const [name, args] of [
      ['run', { model: 'runware:101@1', positivePrompt: 'x', width: 512, height: 512 }],
      ['get_task_details', { taskUUID: '00000000-0000-4000-8000-000000000000' }],
      ['model_search', { search: 'flux' }],
      ['media_storage', { media: 'https://example.com/a.png' }],
      [
        'model_upload',
        {
          category: 'lora',
          architecture: 'sdxl',
          name: 'x',
          version: '1',
          downloadURL: 'https://example.com/x.safetensors',
        },
      ],
      ['account', {}],
    ] as const) {
      const result = await call(name, args);
      expect(result.isError, name).toBe(true);
      expect(text(result), name).toMatch(/RUNWARE_API_KEY/);
    }
  });

  it('writes nothing but protocol on stdout and logs to stderr', async () => {
    expect(s.stderr()).toMatch(/"msg":"runware-mcp stdio ready"/);
  });
});
