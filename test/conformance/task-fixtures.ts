import { setTimeout as sleep } from 'node:timers/promises';
import { isInputRequiredResult, ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';
import type { ToolDefinition } from '../../src/mcp/tool-definition.js';
import { askUser } from '../../src/mcp/user-input.js';

/**
 * The fixture tools @modelcontextprotocol/conformance 0.2.0-alpha.12's `tasks-*` scenarios call (each scenario's
 * description lists them), written from those descriptions on top of this server's own task layer
 * (ToolContext.asTask and its task context), so the suite judges that layer. Test-only: the product never lists
 * them; test/conformance/task-fixture-server.ts serves them beside the real tools.
 */

const text = (value: string) => ({ content: [{ type: 'text' as const, text: value }] });
const fixture = (
  name: string,
  taskSupport: ToolDefinition['taskSupport'],
  properties: Record<string, unknown>,
  handler: ToolDefinition['handler'],
): ToolDefinition => ({
  name,
  title: name,
  description: `Conformance fixture ${name}.`,
  inputSchema: { type: 'object', properties },
  annotations: { readOnlyHint: true, openWorldHint: false },
  requiresKey: false,
  ...(taskSupport ? { taskSupport } : {}),
  handler,
});

const confirmForm = (message: string) => ({
  mode: 'form' as const,
  message,
  requestedSchema: { type: 'object' as const, properties: { confirm: { type: 'boolean' as const } } },
});

export const TASK_FIXTURE_TOOLS: ToolDefinition[] = [
  // Sync-only: `Hello, {name}!`.
  fixture('greet', undefined, { name: { type: 'string' } }, async (args) =>
    text(`Hello, ${String(args.name)}!`),
  ),
  // Sleeps `seconds`, then answers; cancellable (settles to cancelled).
  fixture(
    'slow_compute',
    'optional',
    { seconds: { type: 'number' }, label: { type: 'string' } },
    (args, ctx) =>
      ctx.asTask(undefined, async (work) => {
        await sleep(Number(args.seconds ?? 0) * 1000, undefined, { signal: work.signal });
        return text(`Computed ${String(args.label ?? '')} after ${Number(args.seconds ?? 0)} s.`);
      }),
  ),
  // A tool execution error after about a second; task support required.
  fixture('failing_job', 'required', {}, (_args, ctx) =>
    ctx.asTask(undefined, async (work) => {
      await sleep(1000, undefined, { signal: work.signal });
      return { isError: true, content: [{ type: 'text', text: 'The job failed.' }] };
    }),
  ),
  // A protocol-level failure inside the task.
  fixture('protocol_error_job', 'optional', {}, (_args, ctx) =>
    ctx.asTask(undefined, async () => {
      throw new ProtocolError(ProtocolErrorCode.InternalError, 'The job broke.');
    }),
  ),
  // Parks the task for one elicitation, completes once it is answered.
  fixture('confirm_delete', 'optional', { filename: { type: 'string' } }, (args, ctx) =>
    ctx.asTask(undefined, async (_work, task) => {
      const answers = await task!.askInput!({
        [`confirm-${String(args.filename)}`]: {
          method: 'elicitation/create',
          params: confirmForm(`Delete ${String(args.filename)}?`),
        },
      });
      const answer = Object.values(answers)[0] as { action?: string } | undefined;
      return text(answer?.action === 'accept' ? `Deleted ${String(args.filename)}.` : 'Kept it.');
    }),
  ),
  // Two elicitations at once, so two keys are open together.
  fixture('multi_input', 'optional', {}, (_args, ctx) =>
    ctx.asTask(undefined, async (_work, task) => {
      const answers = await task!.askInput!({
        first: { method: 'elicitation/create', params: confirmForm('First?') },
        second: { method: 'elicitation/create', params: confirmForm('Second?') },
      });
      return text(`Answered ${Object.keys(answers).length} questions.`);
    }),
  ),
  // Round 1 asks for user_name (multi round-trip); round 2 becomes a task whose result names the user.
  fixture('test_tool_with_task', 'required', {}, async (_args, ctx) => {
    const answer = await askUser(ctx, 'user_name', {
      mode: 'form',
      message: 'Your name?',
      requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
    });
    if (answer === undefined || isInputRequiredResult(answer))
      return (answer ?? text('Cannot ask.')) as never;
    const name = String(answer.content?.name ?? 'nobody');
    return ctx.asTask(undefined, async () => text(`Hello, ${name}!`));
  }),
];
