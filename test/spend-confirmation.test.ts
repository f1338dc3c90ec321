import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type HostedServer, startHostedServer } from './support/hosted-server.js';
import { type SimulatorProcess, spawnSimulator } from './support/simulator-process.js';
import { connectStdio, type StdioSession } from './support/stdio-client.js';
import { obtainAccessToken } from './support/token-proxy.js';
import { resultText, type ToolResult } from './support/tool-session.js';

/**
 * RUNWARE_CONFIRM_ABOVE: a run estimated above it (Runware's dry run prices it) asks the user first, by form
 * elicitation where the client can (2025: elicitation/create; 2026-07-28: an input-required round), and where
 * it cannot, refuses with the estimate until called again with confirmCost equal to it. Declined: nothing sent,
 * nothing charged. Veo 3.1 Fast, 8 s at 720p without audio, is $0.80; the threshold here is $0.50.
 */

const KEY = 'rw-confirm-key-1a2b3c4d';
const VEO = { model: 'google:3@3', positivePrompt: 'a costly wave', width: 1280, height: 720, duration: 8 };
const FLUX = { model: 'runware:101@1', positivePrompt: 'a cheap cat', width: 512, height: 512 };
const ENV = { RUNWARE_CONFIRM_ABOVE: '0.5' };

let sim: SimulatorProcess;
const sessions: Array<{ close(): Promise<void> }> = [];
beforeAll(async () => {
  sim = await spawnSimulator({ keys: [KEY], balance: 50, asyncDelayMs: 1500 });
});
afterAll(async () => {
  for (const s of sessions) await s.close().catch(() => undefined);
  await sim?.stop();
});
beforeEach(() => sim.admin.reset());

/** The video tasks that reached Runware for real (a dry run prices, it is not sent to run). */
const videosSent = async () =>
  (await sim.admin.requests()).filter(
    (r) => !r.dryRun && r.tasks.some((t) => t.taskType === 'videoInference'),
  );

/** A stdio session whose client answers elicitation/create with `answer` and keeps each question asked. */
async function stdioAsking(
  answer: () => {
    action: 'accept' | 'decline' | 'cancel';
    content?: Record<string, string | number | boolean>;
  },
  questions: string[],
): Promise<StdioSession> {
  const session = await connectStdio(
    { RUNWARE_API_KEY: KEY, RUNWARE_API_URL: sim.apiUrl, ...ENV },
    {
      capabilities: { elicitation: { form: {} } },
      beforeConnect: (client) =>
        client.setRequestHandler('elicitation/create', async (request) => {
          questions.push((request.params as { message: string }).message);
          return answer();
        }),
    },
  );
  sessions.push(session);
  return session;
}

describe('2025 era over stdio: elicitation/create', () => {
  it('asks "Run Veo 3.1 Fast for about $0.80?" and runs once the user accepts', async () => {
    const questions: string[] = [];
    const s = await stdioAsking(() => ({ action: 'accept', content: { confirm: true } }), questions);
    const result = (await s.client.callTool({ name: 'run', arguments: VEO })) as ToolResult;
    expect(questions).toEqual(['Run Veo 3.1 Fast for about $0.80?']);
    expect(result.structuredContent).toMatchObject({ status: 'success', cost: 0.8 });
    expect(await videosSent()).toHaveLength(1);
    expect(await sim.admin.charges()).toHaveLength(1);
  });

  it('declined: nothing is sent, nothing is charged, and the agent is told so', async () => {
    const questions: string[] = [];
    const s = await stdioAsking(() => ({ action: 'decline' }), questions);
    const result = (await s.client.callTool({ name: 'run', arguments: VEO })) as ToolResult;
    expect(questions).toHaveLength(1);
    expect(result.isError).toBe(true);
    expect(resultText(result)).toMatch(
      /the user did not confirm running Veo 3\.1 Fast for about \$0\.80\. Nothing was sent or charged/,
    );
    expect(await videosSent()).toHaveLength(0);
    expect(await sim.admin.charges()).toHaveLength(0);
  });

  it('asks nothing below the threshold', async () => {
    const questions: string[] = [];
    const s = await stdioAsking(() => ({ action: 'decline' }), questions);
    const result = (await s.client.callTool({ name: 'run', arguments: FLUX })) as ToolResult;
    expect(result.structuredContent).toMatchObject({ status: 'success' });
    expect(questions).toHaveLength(0);
  });
});

describe('a client that cannot ask: confirmCost', () => {
  it('refuses with the estimate, runs when called again with confirmCost equal to it, and refuses another amount', async () => {
    const s = await connectStdio({ RUNWARE_API_KEY: KEY, RUNWARE_API_URL: sim.apiUrl, ...ENV });
    sessions.push(s);
    const refused = (await s.client.callTool({ name: 'run', arguments: VEO })) as ToolResult;
    expect(refused.isError).toBe(true);
    expect(resultText(refused)).toMatch(
      /estimated at about \$0\.80, above \$0\.50 \(RUNWARE_CONFIRM_ABOVE\)/,
    );
    expect(resultText(refused)).toMatch(/"confirmCost": 0\.8\. Nothing was sent or charged/);
    expect(await videosSent()).toHaveLength(0);

    const wrong = (await s.client.callTool({
      name: 'run',
      arguments: { ...VEO, confirmCost: 0.5 },
    })) as ToolResult;
    expect(wrong.isError).toBe(true);
    expect(resultText(wrong)).toMatch(/confirmCost 0\.5 is not the estimate \$0\.80/);
    expect(await videosSent()).toHaveLength(0);

    const confirmed = (await s.client.callTool({
      name: 'run',
      arguments: { ...VEO, confirmCost: 0.8 },
    })) as ToolResult;
    expect(confirmed.structuredContent).toMatchObject({ status: 'success', cost: 0.8 });
    // confirmCost is ours: it never reaches Runware.
    const sent = (await videosSent())[0]!.tasks[0]!;
    expect(sent).not.toHaveProperty('confirmCost');
    expect(await sim.admin.charges()).toHaveLength(1);
  });
});

describe('2026-07-28 over HTTP: the question as an input-required round (multi round-trip)', () => {
  let server: HostedServer;
  let token: string;
  beforeAll(async () => {
    server = await startHostedServer({ apiUrl: sim.apiUrl, env: ENV });
    token = await obtainAccessToken(server.url, KEY);
  });
  afterAll(async () => {
    await server?.stop();
  });

  /** The SDK client fulfils input-required rounds through its elicitation/create handler and calls again. */
  async function modernClient(
    answer: { action: 'accept' | 'decline'; content?: Record<string, string | number | boolean> },
    questions: string[],
  ) {
    const client = new Client({ name: 'confirm-2026', version: '1' }, {
      capabilities: { elicitation: { form: {} } },
      versionNegotiation: { mode: 'auto' },
    } as never);
    client.setRequestHandler('elicitation/create', async (request) => {
      questions.push((request.params as { message: string }).message);
      return answer;
    });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(server.mcpUrl), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    return client;
  }

  it('accepted: the run goes ahead on the second round', async () => {
    const questions: string[] = [];
    const client = await modernClient({ action: 'accept', content: { confirm: true } }, questions);
    const result = (await client.callTool({ name: 'run', arguments: VEO })) as ToolResult;
    expect(questions).toEqual(['Run Veo 3.1 Fast for about $0.80?']);
    expect(result.structuredContent).toMatchObject({ cost: 0.8 });
    expect(await videosSent()).toHaveLength(1);
    await client.close();
  });

  it('declined: refused, nothing sent, nothing charged', async () => {
    const questions: string[] = [];
    const client = await modernClient({ action: 'decline' }, questions);
    const result = (await client.callTool({ name: 'run', arguments: VEO })) as ToolResult;
    expect(questions).toHaveLength(1);
    expect(result.isError).toBe(true);
    expect(resultText(result)).toMatch(/did not confirm/);
    expect(await videosSent()).toHaveLength(0);
    expect(await sim.admin.charges()).toHaveLength(0);
    await client.close();
  });

  it('a 2025-era request over HTTP (stateless: no channel to ask on) gets the confirmCost refusal', async () => {
    const client = new Client(
      { name: 'confirm-2025-http', version: '1' },
      { capabilities: { elicitation: { form: {} } } },
    );
    await client.connect(
      new StreamableHTTPClientTransport(new URL(server.mcpUrl), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    const refused = (await client.callTool({ name: 'run', arguments: VEO })) as ToolResult;
    expect(resultText(refused)).toMatch(/this client cannot ask the user/);
    const confirmed = (await client.callTool({
      name: 'run',
      arguments: { ...VEO, confirmCost: 0.8 },
    })) as ToolResult;
    expect(confirmed.isError).toBeFalsy();
    expect(await videosSent()).toHaveLength(1);
    await client.close();
  });
});
