import type { McpUiToolResultNotification } from '@modelcontextprotocol/ext-apps';
import { describeOutputs } from '../../tasks/output-words.js';
import { HostBridge } from './bridge.js';
import { fileName, h } from './dom.js';
import { applyHostContext } from './theme.js';
import {
  type Actions,
  type Context,
  failedView,
  type ModelCard,
  messageView,
  modelsView,
  type Output,
  resultView,
  runningView,
  type Task,
} from './views.js';

/**
 * Runware Studio: shows what run, get_task_details and list_models return. A running task is polled through the
 * app-only tool studio_task_status (no model turns), and every action goes through the host: downloads and links
 * by the host's own hands, a new run as a tools/call the host may confirm and the server prices like any other.
 */
declare const STUDIO_VERSION: string;

type Result = McpUiToolResultNotification['params'];

const RESULT_META_KEY = 'ai.runware/studio';
const POLL_FIRST_MS = 1000;
const POLL_MAX_MS = 5000;

const main = document.getElementById('app')!;
const status = document.getElementById('status')!;
const notice = document.getElementById('notice')!;

let args: Record<string, unknown> | undefined;
const context: Context = {};
/** Bumped by every new result: a poll answered after a newer result is dropped. */
let generation = 0;
let pollTimer: ReturnType<typeof setTimeout> | undefined;
let pollTool = 'studio_task_status';
let resultShown = false;
/** Display modes the host offers (host context); fullscreen makes the full-size view really full size. */
let displayModes: string[] = [];

const bridge = new HostBridge({
  toolInput: ({ arguments: given }) => {
    args = given ?? {};
    context.prompt = promptOf(args);
    if (!resultShown) render(messageView('Working', `Waiting for ${String(args.model ?? 'Runware')}.`));
  },
  toolResult: (result) => show(result),
  toolCancelled: (reason) => {
    stopPolling();
    render(messageView('Cancelled', reason ?? 'The tool call was cancelled.'));
  },
  contextChanged: (changed) => {
    if (changed.availableDisplayModes) displayModes = changed.availableDisplayModes;
    applyHostContext(changed);
  },
});

function promptOf(given: Record<string, unknown>): string | undefined {
  for (const key of ['positivePrompt', 'prompt', 'text'])
    if (typeof given[key] === 'string') return given[key];
  return undefined;
}

function render(view: HTMLElement) {
  const hadFocus = document.hasFocus() && main.contains(document.activeElement);
  main.replaceChildren(view);
  // Focus moves with the content only when the user was already in the app: never taken from the host's chat.
  if (hadFocus) document.getElementById('title')?.focus();
}

function announce(text: string) {
  status.textContent = text;
}

function showNotice(text: string) {
  notice.replaceChildren(
    h('p', { role: 'alert' }, text),
    h('button', { type: 'button', onclick: () => notice.replaceChildren() }, 'Dismiss'),
  );
}

function textOf(result: Result): string {
  return result.content
    .map((block) => (block.type === 'text' ? block.text : ''))
    .join('\n')
    .trim();
}

/** A tool result, from the host (the call that mounted the app) or from the app's own calls. */
function show(result: Result, fromAction = false) {
  resultShown = true;
  const data = result.structuredContent as Record<string, unknown> | undefined;
  const meta = result._meta?.[RESULT_META_KEY] as { modelName?: string } | undefined;
  if (meta?.modelName) context.modelName = meta.modelName;
  if (data && Array.isArray(data.models)) {
    render(modelsView(data.models as ModelCard[], Number(data.total ?? data.models.length), actions()));
    return;
  }
  if (data && typeof data.taskUUID === 'string') {
    showTask(data as unknown as Task);
    return;
  }
  // A refusal (invalid parameters, the spend cap): an action's refusal leaves the last result in place.
  if (fromAction) showNotice(textOf(result) || 'The call was refused.');
  else render(messageView(result.isError ? 'Not run' : 'Result', textOf(result)));
}

function showTask(task: Task) {
  generation++;
  stopPolling();
  if (task.status === 'processing') {
    const first = !main.querySelector('.running');
    main.replaceChildren(runningView(task, context));
    if (first) announce(`Generating with ${context.modelName ?? task.model}.`);
    schedulePoll(task.taskUUID, generation, 0);
    return;
  }
  if (task.status === 'success') {
    render(resultView(task, context, actions(task)));
    announce(`Finished: ${describeOutputs(task.outputs)}.`);
    return;
  }
  render(failedView(task, context, actions(task)));
  announce('The task failed.');
}

function stopPolling() {
  clearTimeout(pollTimer);
  pollTimer = undefined;
}

function schedulePoll(taskUUID: string, gen: number, polls: number) {
  const wait = Math.min(POLL_MAX_MS, POLL_FIRST_MS * 1.5 ** polls);
  pollTimer = setTimeout(() => void poll(taskUUID, gen, polls + 1), wait);
}

async function poll(taskUUID: string, gen: number, polls: number) {
  let result: Result;
  try {
    result = await bridge.callTool(pollTool, { taskUUID });
  } catch (error) {
    if (gen !== generation) return;
    // A host that refuses app-only tools still lets the app call get_task_details, the model's own way to wait.
    if (pollTool !== 'get_task_details') {
      pollTool = 'get_task_details';
      return poll(taskUUID, gen, polls);
    }
    showNotice(`Could not check on the task: ${(error as Error).message}. Retrying.`);
    schedulePoll(taskUUID, gen, polls);
    return;
  }
  if (gen !== generation) return;
  if (result.structuredContent) {
    notice.replaceChildren();
    show(result);
  } else {
    showNotice(textOf(result) || 'The task could not be checked.');
  }
}

/** The actions a view offers; "another like this" only when the run's parameters are known. */
function actions(task?: Task): Actions {
  const repeatable = task && args && typeof args.model === 'string';
  return {
    view: openViewer,
    download,
    open: (url) => void openLink(url),
    useModel,
    ...(repeatable ? { another: () => void runAnother(task) } : {}),
  };
}

async function openLink(url: string) {
  try {
    const answer = (await bridge.openLink(url)) as { isError?: boolean } | undefined;
    if (answer?.isError) showNotice('The host did not open the link.');
  } catch (error) {
    showNotice(`The host did not open the link: ${(error as Error).message}`);
  }
}

async function download(output: Output) {
  if (!output.url) return;
  if (!bridge.capabilities.downloadFile) return openLink(output.url);
  try {
    const answer = (await bridge.downloadFile(
      output.url,
      fileName(output.url, output.type),
      output.mimeType,
    )) as { isError?: boolean } | undefined;
    if (answer?.isError) showNotice('The download did not start (cancelled or refused by the host).');
    else announce('Download started.');
  } catch (error) {
    showNotice(`The host could not download it: ${(error as Error).message}`);
  }
}

async function useModel(air: string, name: string) {
  const text = `Use the Runware model ${name} (${air}) for the next generation.`;
  try {
    if (bridge.capabilities.message) await bridge.sendMessage(text);
    else if (bridge.capabilities.updateModelContext) await bridge.updateModelContext(text);
    else return showNotice(`This host cannot take messages from the app. The model id is ${air}.`);
    announce(`${name} is now in the conversation.`);
  } catch (error) {
    showNotice(`The host did not take the message: ${(error as Error).message}`);
  }
}

/** 1 .. 2^31-1: inside every Runware model's seed range. */
function newSeed(): number {
  return (crypto.getRandomValues(new Uint32Array(1))[0]! % 2147483646) + 1;
}

async function runAnother(task: Task) {
  if (!args) return;
  const seeded = 'seed' in args || task.outputs.some((o) => typeof o.seed === 'number');
  const next = seeded ? { ...args, seed: newSeed() } : { ...args };
  announce('Starting another run.');
  main.querySelectorAll<HTMLButtonElement>('.main button').forEach((b) => {
    b.disabled = true;
  });
  try {
    const result = await bridge.callTool('run', next);
    if (result.structuredContent) args = next;
    show(result, true);
  } catch (error) {
    showNotice(`The host did not run it: ${(error as Error).message}`);
  } finally {
    main.querySelectorAll<HTMLButtonElement>('.main button').forEach((b) => {
      b.disabled = false;
    });
  }
}

const viewer = h('dialog', { id: 'viewer', 'aria-labelledby': 'viewer-title' }) as HTMLDialogElement;
document.body.append(viewer);

/** The full-size image in a modal dialog (Esc closes it, focus returns to the thumbnail). */
function openViewer(output: Output, label: string, from: HTMLElement) {
  viewer.replaceChildren(
    h('h2', { id: 'viewer-title' }, label),
    h('img', { src: output.url!, alt: label }),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'button', onclick: () => void download(output) }, 'Download'),
      h('button', { type: 'button', onclick: () => void openLink(output.url!) }, 'Open'),
      h('button', { type: 'button', class: 'close', onclick: () => viewer.close() }, 'Close'),
    ),
  );
  const fullscreen = displayModes.includes('fullscreen');
  viewer.addEventListener(
    'close',
    () => {
      if (fullscreen) void bridge.requestDisplayMode('inline').catch(() => undefined);
      from.focus();
    },
    { once: true },
  );
  viewer.showModal();
  if (fullscreen) void bridge.requestDisplayMode('fullscreen').catch(() => undefined);
}

/** Tells the host the content's size (width from the frame, height of the content), once per frame at most. */
function reportSize() {
  let queued = false;
  let last = '';
  const measure = () => {
    queued = false;
    const root = document.documentElement;
    const height = root.style.height;
    root.style.height = 'max-content';
    const size = {
      width: Math.ceil(window.innerWidth),
      height: Math.ceil(root.getBoundingClientRect().height),
    };
    root.style.height = height;
    if (`${size.width}x${size.height}` === last) return;
    last = `${size.width}x${size.height}`;
    bridge.sizeChanged(size);
  };
  const observer = new ResizeObserver(() => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(measure);
  });
  observer.observe(document.documentElement);
  observer.observe(document.body);
}

bridge.connect(STUDIO_VERSION).then(
  (hostContext) => {
    displayModes = hostContext.availableDisplayModes ?? [];
    applyHostContext(hostContext);
    reportSize();
  },
  (error: Error) => render(messageView('Runware Studio', `The host did not connect: ${error.message}`)),
);
