/**
 * A model's price as a rule the spend guard can evaluate offline, written to reproduce every pricing example the
 * model's Runware page documents (each example's request parameters are kept beside the rule and replayed by
 * test/catalog-pricing.test.ts). Upstream's dry run is the better estimate whenever it can be asked.
 *
 * Lines are grouped by `part` (default "task"); in each part the first line whose `when` matches applies, and a
 * task costs the sum of its parts (text: input tokens + output tokens; video: seconds + a per-task surcharge).
 */
export interface PriceRule {
  lines: PriceLine[];
  /** Parameter values Runware uses when a request leaves them out (documented defaults), for estimates. */
  defaults?: Record<string, unknown>;
  /** Each documented pricing example as request parameters: the test data the rule must reproduce within 1%. */
  examples?: Array<{ configuration: string; params: Record<string, unknown> }>;
}

export type PriceUnit =
  | 'task'
  | 'result'
  | 'second'
  | 'minute'
  | 'megapixel'
  | '1k-characters'
  | '1m-input-tokens'
  | '1m-output-tokens'
  | 'input-image';

export interface PriceLine {
  part?: string;
  usd: number;
  per: PriceUnit;
  /** Units are multiplied by this (a rate per 1M tokens billed per second of output at N tokens a second). */
  scale?: number;
  /** The page prices this configuration in a way no request parameter shows: the estimate is unknown. */
  unknown?: boolean;
  /**
   * Conditions on request paths (dotted): a value, a list of values, {min, max}, or {present: true|false}.
   * Derived paths: `$pixels` (width x height), `$longEdge`, `$images`, `$videos`, `$audios` (how many inputs of
   * each kind), `$characters`, `$inputTokens`.
   */
  when?: Record<string, unknown>;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function pathValue(task: Record<string, unknown>, path: string): unknown {
  let v: unknown = task;
  for (const part of path.split('.'))
    v = v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
  return v;
}

/** Request paths that hold inputs a price may count, by kind. */
const INPUTS: Record<string, string[]> = {
  $images: [
    'inputs.referenceImages',
    'inputs.images',
    'inputs.frameImages',
    'inputs.image',
    'referenceImages',
  ],
  $videos: ['inputs.video', 'inputs.videos', 'inputs.referenceVideos'],
  $audios: ['inputs.audio', 'inputs.audios'],
};

function countInputs(task: Record<string, unknown>, kind: string): number {
  return (INPUTS[kind] ?? []).reduce((n, p) => {
    const v = pathValue(task, p);
    return n + (Array.isArray(v) ? v.length : v === undefined ? 0 : 1);
  }, 0);
}

function conditionValue(task: Record<string, unknown>, path: string): unknown {
  switch (path) {
    case '$pixels': {
      const w = num(task.width);
      const h = num(task.height);
      return w !== undefined && h !== undefined ? w * h : undefined;
    }
    case '$longEdge': {
      const w = num(task.width);
      const h = num(task.height);
      return w !== undefined && h !== undefined ? Math.max(w, h) : undefined;
    }
    case '$images':
    case '$videos':
    case '$audios':
      return countInputs(task, path);
    case '$characters':
      return textOf(task).length;
    case '$inputTokens':
      return inputTokens(task);
    default:
      return pathValue(task, path);
  }
}

function matches(cond: unknown, value: unknown): boolean {
  if (Array.isArray(cond)) return cond.some((c) => matches(c, value));
  if (cond && typeof cond === 'object') {
    if ('present' in cond) return (value !== undefined) === (cond as { present: boolean }).present;
    const { min, max } = cond as { min?: number; max?: number };
    const n = num(value);
    return n !== undefined && (min === undefined || n >= min) && (max === undefined || n <= max);
  }
  // A switch that is off may also be left out.
  return value === cond || (cond === false && value === undefined);
}

/** The text a per-character price counts: a TTS request's speech text, else the prompt. */
function textOf(task: Record<string, unknown>): string {
  const speech = pathValue(task, 'speech.text');
  return typeof speech === 'string'
    ? speech
    : typeof task.positivePrompt === 'string'
      ? task.positivePrompt
      : '';
}

/**
 * Input tokens of a text request (messages, system prompt, or a TTS request's text), estimated at four
 * characters a token (what tokenizers average in English).
 */
function inputTokens(task: Record<string, unknown>): number {
  const messages = Array.isArray(task.messages) ? task.messages : [];
  const chars = messages.reduce(
    (n: number, m) => n + String((m as { content?: unknown }).content ?? '').length,
    String(pathValue(task, 'settings.systemPrompt') ?? '').length +
      String(pathValue(task, 'speech.text') ?? '').length,
  );
  return Math.ceil(chars / 4);
}

/** How many units a line bills; undefined when the request lacks what they are counted from. */
function units(line: PriceLine, task: Record<string, unknown>): number | undefined {
  const results = num(task.numberResults) ?? 1;
  const duration = num(task.duration);
  const width = num(task.width);
  const height = num(task.height);
  switch (line.per) {
    case 'task':
      return 1;
    case 'result':
      return results;
    case 'second':
      return duration === undefined ? undefined : duration * results;
    case 'minute':
      return duration === undefined ? undefined : (duration / 60) * results;
    case 'megapixel':
      return width === undefined || height === undefined ? undefined : (width * height * results) / 1e6;
    case '1k-characters':
      return textOf(task).length / 1000;
    case '1m-input-tokens':
      return inputTokens(task) / 1e6;
    case '1m-output-tokens': {
      const max = num(pathValue(task, 'settings.maxTokens'));
      return max === undefined ? undefined : max / 1e6;
    }
    case 'input-image':
      return countInputs(task, '$images');
  }
}

/**
 * Estimated USD of one task (rounded to 1e-6); the rule's documented defaults fill what the request leaves out.
 * Undefined when a price depends on something the request does not say (a duration, a size, a token budget):
 * an estimate of zero would wave any task through a spend cap.
 */
export function estimateCost(rule: PriceRule, request: Record<string, unknown>): number | undefined {
  const task = withDefaults(request, rule.defaults);
  const chosen = new Map<string, PriceLine>();
  for (const line of rule.lines) {
    const part = line.part ?? 'task';
    if (chosen.has(part)) continue;
    if (Object.entries(line.when ?? {}).every(([path, cond]) => matches(cond, conditionValue(task, path)))) {
      chosen.set(part, line);
    }
  }
  let total = 0;
  for (const line of chosen.values()) {
    const n = line.unknown ? undefined : units(line, task);
    if (n === undefined) return undefined;
    total += line.usd * n * (line.scale ?? 1);
  }
  return roundUsd(total);
}

/** Deep-fills absent request paths with documented defaults (dotted keys). */
function withDefaults(request: Record<string, unknown>, defaults: Record<string, unknown> | undefined) {
  if (!defaults) return request;
  const task = structuredClone(request);
  for (const [path, value] of Object.entries(defaults)) {
    const parts = path.split('.');
    let node = task as Record<string, unknown>;
    for (const part of parts.slice(0, -1)) {
      if (!node[part] || typeof node[part] !== 'object') node[part] = {};
      node = node[part] as Record<string, unknown>;
    }
    const leaf = parts[parts.length - 1]!;
    if (node[leaf] === undefined) node[leaf] = value;
  }
  return task;
}

export const roundUsd = (usd: number) => Math.round(usd * 1e6) / 1e6;

/**
 * A documented price string as USD, when it is one amount: "$0.0105", "$2.40", "0.025$", "$ 0.025", "1.3247".
 * Rates ("$2 / 1M", "$0.14 / sec") and ranges are not single amounts and give undefined.
 */
export function parsePrice(price: string): number | undefined {
  const match = /^\s*\$?\s*(\d+(?:\.\d+)?)\s*\$?\s*$/.exec(price);
  return match ? Number(match[1]) : undefined;
}
