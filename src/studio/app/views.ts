import { describeOutputs, OUTPUT_NOUN } from '../../tasks/output-words.js';
import { fileName, h, seconds, usd } from './dom.js';

/** run / get_task_details structuredContent (src/tools/task-result.ts TASK_RESULT_SCHEMA), plus studio_task_status's progress. */
export interface Task {
  taskUUID: string;
  taskType: string;
  model?: string;
  status: 'processing' | 'success' | 'error';
  cost?: number;
  outputs: Output[];
  error?: { code?: string; message?: string };
  elapsedMs?: number;
  createdAt?: string;
  completedAt?: string;
  progress?: number;
}

export interface Output {
  type: string;
  url?: string;
  seed?: number;
  text?: string;
  mimeType?: string;
  air?: string;
}

/** list_models structuredContent: one card per model. */
export interface ModelCard {
  air: string;
  name: string;
  category: string;
  capabilities?: string[];
  headline?: string;
  coverImage?: string;
  pricingOverview?: string;
}

/** What the view knows beyond the result: from the tool's arguments and the result's `_meta`. */
export interface Context {
  modelName?: string;
  prompt?: string;
}

export interface Actions {
  view(output: Output, label: string, from: HTMLElement): void;
  download(output: Output): void;
  open(url: string): void;
  /** Present when the run's parameters are known: the same run with a new seed. */
  another?: () => void;
  useModel(air: string, name: string): void;
}

function heading(task: Task, context: Context, verb: string) {
  const name = context.modelName ?? task.model ?? 'Runware';
  return h(
    'header',
    {},
    h('h1', { id: 'title', tabindex: -1 }, `${verb} · ${name}`),
    h('p', { class: 'sub' }, h('code', {}, task.model ?? ''), ` · ${task.taskType}`),
  );
}

function elapsed(task: Task): number | undefined {
  if (typeof task.elapsedMs === 'number') return task.elapsedMs;
  const from = Date.parse(task.createdAt ?? '');
  const to = task.completedAt ? Date.parse(task.completedAt) : Date.now();
  return Number.isFinite(from) && Number.isFinite(to) ? Math.max(0, to - from) : undefined;
}

/** Label/value rows; the prompt and the task id take a whole row. */
function facts(rows: Array<[string, string | undefined]>) {
  const list = h('dl', { class: 'facts' });
  for (const [term, value] of rows) {
    if (!value) continue;
    const wide = term === 'Prompt' || term === 'Task';
    const shown = term === 'Task' ? h('code', {}, value) : value;
    list.append(h('div', { class: wide ? 'wide' : undefined }, h('dt', {}, term), h('dd', {}, shown)));
  }
  return list;
}

function seeds(outputs: Output[]): string | undefined {
  const all = outputs.map((o) => o.seed).filter((s): s is number => typeof s === 'number');
  return all.length ? [...new Set(all)].join(', ') : undefined;
}

function button(label: string, onclick: () => void, attrs: Record<string, string> = {}) {
  return h('button', { type: 'button', onclick, ...attrs }, label);
}

function fileActions(output: Output, what: string, actions: Actions) {
  return h(
    'div',
    { class: 'actions' },
    button('Download', () => actions.download(output), { 'aria-label': `Download ${what}` }),
    output.url && button('Open', () => actions.open(output.url!), { 'aria-label': `Open ${what} full size` }),
  );
}

/** One output: images as thumbnails that open the full-size view, players for video and audio, files as downloads. */
function outputView(
  output: Output,
  index: number,
  total: number,
  context: Context,
  actions: Actions,
): HTMLElement {
  const noun = OUTPUT_NOUN[output.type] ?? output.type;
  const what = `${noun[0]!.toUpperCase()}${noun.slice(1)}${total > 1 ? ` ${index + 1} of ${total}` : ''}`;
  const seed = output.seed === undefined ? '' : `, seed ${output.seed}`;
  if (output.type === 'image' && output.url) {
    const label = `${what}${seed}${context.prompt ? `: ${context.prompt}` : ''}`;
    const thumb = h(
      'button',
      { type: 'button', class: 'thumb', 'aria-label': `View ${what}${seed} full size` },
      h('img', { src: output.url, alt: label, loading: 'lazy', decoding: 'async' }),
    );
    thumb.addEventListener('click', () => actions.view(output, label, thumb));
    return h('li', { class: 'media' }, thumb);
  }
  if ((output.type === 'video' || output.type === 'audio') && output.url) {
    const player = h(output.type, {
      controls: true,
      preload: 'metadata',
      src: output.url,
      'aria-label': `${what}${seed}`,
    });
    if (output.type === 'video') player.setAttribute('playsinline', '');
    const note = h(
      'p',
      { class: 'note', hidden: true },
      `This ${OUTPUT_NOUN[output.type]} cannot be played here: download or open it.`,
    );
    player.addEventListener('error', () => note.removeAttribute('hidden'));
    return h('li', { class: `media wide ${output.type}` }, player, note, fileActions(output, what, actions));
  }
  if (output.type === 'text' && output.text !== undefined)
    return h('li', { class: 'wide' }, h('p', { class: 'text' }, output.text));
  if (output.type === 'model' && output.air) {
    return h(
      'li',
      { class: 'wide file' },
      h('p', {}, 'Trained model ', h('code', {}, output.air)),
      h(
        'div',
        { class: 'actions' },
        button('Use this model', () => actions.useModel(output.air!, output.air!)),
      ),
    );
  }
  const kind = output.type === '3d' ? '3D model' : 'File';
  const label = output.url ? fileName(output.url, kind) : kind;
  return h(
    'li',
    { class: 'wide file' },
    h('p', {}, `${kind}: `, h('code', {}, label)),
    output.url ? fileActions(output, what, actions) : '',
  );
}

export function resultView(task: Task, context: Context, actions: Actions): HTMLElement {
  const images = task.outputs.filter((o) => o.type === 'image' && o.url).length;
  const list = h('ul', {
    class: images > 1 ? 'outputs grid' : 'outputs',
    'aria-label': describeOutputs(task.outputs),
  });
  // Numbered within their kind: "image 2 of 4".
  const seen = new Map<string, number>();
  for (const o of task.outputs) {
    const index = seen.get(o.type) ?? 0;
    seen.set(o.type, index + 1);
    const total = task.outputs.filter((x) => x.type === o.type).length;
    list.append(outputView(o, index, total, context, actions));
  }
  const took = elapsed(task);
  return h(
    'section',
    { class: 'result', 'aria-labelledby': 'title' },
    heading(task, context, `Generated ${describeOutputs(task.outputs)}`),
    list,
    facts([
      ['Prompt', context.prompt],
      ['Seed', seeds(task.outputs)],
      ['Cost', usd(task.cost)],
      ['Elapsed', took === undefined ? undefined : seconds(took)],
      ['Task', task.taskUUID],
    ]),
    actions.another &&
      h(
        'div',
        { class: 'actions main' },
        button('Another like this', actions.another, { 'aria-describedby': 'another-hint' }),
        h(
          'span',
          { id: 'another-hint', class: 'hint' },
          'Same parameters, a new seed; priced and confirmed like any run.',
        ),
      ),
  );
}

export function runningView(task: Task, context: Context): HTMLElement {
  const took = elapsed(task);
  const percent = typeof task.progress === 'number' ? Math.max(0, Math.min(100, task.progress)) : undefined;
  const bar = h('progress', {
    max: 100,
    'aria-labelledby': 'title',
    ...(percent === undefined ? {} : { value: percent }),
  });
  return h(
    'section',
    { class: 'running', 'aria-labelledby': 'title', 'aria-busy': 'true' },
    heading(task, context, 'Generating'),
    bar,
    h(
      'p',
      { class: 'progress-text' },
      percent === undefined ? 'Waiting for Runware' : `${percent}%`,
      took === undefined ? '' : ` · ${seconds(took)}`,
    ),
    facts([
      ['Prompt', context.prompt],
      ['Task', task.taskUUID],
    ]),
  );
}

export function failedView(task: Task, context: Context, actions: Actions): HTMLElement {
  return h(
    'section',
    { class: 'failed', 'aria-labelledby': 'title' },
    heading(task, context, 'Failed'),
    h(
      'p',
      { class: 'alert', role: 'alert' },
      `${task.error?.code ?? 'error'}: ${task.error?.message ?? 'Runware reported an error.'}`,
    ),
    facts([
      ['Prompt', context.prompt],
      ['Task', task.taskUUID],
    ]),
    actions.another && h('div', { class: 'actions main' }, button('Try again', actions.another)),
  );
}

export function modelsView(models: ModelCard[], total: number, actions: Actions): HTMLElement {
  const cards = h('ul', { class: 'cards' });
  for (const m of models) {
    const id = `m-${cards.children.length}`;
    const cover = m.coverImage
      ? h('img', { src: m.coverImage, alt: '', loading: 'lazy', decoding: 'async' })
      : undefined;
    cover?.addEventListener('error', () =>
      cover.replaceWith(h('div', { class: 'cover-fallback', 'aria-hidden': 'true' }, m.name.slice(0, 1))),
    );
    cards.append(
      h(
        'li',
        {},
        h(
          'article',
          { class: 'card', 'aria-labelledby': id },
          h(
            'div',
            { class: 'cover' },
            cover ?? h('div', { class: 'cover-fallback', 'aria-hidden': 'true' }, m.name.slice(0, 1)),
          ),
          h('h2', { id }, m.name),
          h('p', { class: 'sub' }, h('code', {}, m.air), ` · ${m.category}`),
          m.headline && h('p', { class: 'headline' }, m.headline),
          (m.capabilities?.length ?? 0) > 0 &&
            h(
              'ul',
              { class: 'chips', 'aria-label': 'Capabilities' },
              ...(m.capabilities ?? []).slice(0, 4).map((c) => h('li', {}, c.replace(/^(io|op|form):/, ''))),
            ),
          h('p', { class: 'price' }, m.pricingOverview ?? 'Price: see model_pricing'),
          button('Use this model', () => actions.useModel(m.air, m.name), {
            'aria-label': `Use ${m.name} (${m.air})`,
          }),
        ),
      ),
    );
  }
  return h(
    'section',
    { class: 'models', 'aria-labelledby': 'title' },
    h(
      'header',
      {},
      h('h1', { id: 'title', tabindex: -1 }, total === 1 ? '1 model' : `${total} models`),
      models.length < total ? h('p', { class: 'sub' }, `Showing ${models.length}`) : '',
    ),
    cards,
  );
}

export function messageView(title: string, text: string): HTMLElement {
  return h(
    'section',
    { 'aria-labelledby': 'title' },
    h('header', {}, h('h1', { id: 'title', tabindex: -1 }, title)),
    h('p', {}, text),
  );
}
