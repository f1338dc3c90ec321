/**
 * How the simulator bills a task: the model fixture's price lines, written from the model's documented prices.
 * Lines are grouped by `part` (default "task"); in each part the first line whose `when` matches applies, and a
 * task costs the sum of its parts (text models: input tokens + output tokens).
 */
export interface PriceLine {
  part?: string;
  /** USD per unit. */
  usd: number;
  per: 'task' | 'result' | 'second' | 'megapixel' | '1k-characters' | '1m-input-tokens' | '1m-output-tokens';
  /** Request paths (dotted) to a value, a list of values, or {min, max}; `$pixels` is width x height. */
  when?: Record<string, unknown>;
}

export interface Usage {
  promptTokens?: number;
  completionTokens?: number;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function valueAt(task: Record<string, unknown>, path: string): unknown {
  if (path === '$pixels') {
    const w = num(task.width);
    const h = num(task.height);
    return w !== undefined && h !== undefined ? w * h : undefined;
  }
  let v: unknown = task;
  for (const part of path.split('.'))
    v = v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
  return v;
}

function matches(cond: unknown, value: unknown): boolean {
  if (Array.isArray(cond)) return cond.some((c) => matches(c, value));
  if (cond && typeof cond === 'object') {
    const { min, max } = cond as { min?: number; max?: number };
    const n = num(value);
    return n !== undefined && (min === undefined || n >= min) && (max === undefined || n <= max);
  }
  return value === cond || (cond === false && value === undefined);
}

function units(line: PriceLine, task: Record<string, unknown>, text: string, usage: Usage): number {
  const results = num(task.numberResults) ?? 1;
  switch (line.per) {
    case 'task':
      return 1;
    case 'result':
      return results;
    case 'second':
      return (num(task.duration) ?? 5) * results;
    case 'megapixel':
      return (((num(task.width) ?? 1024) * (num(task.height) ?? 1024)) / 1e6) * results;
    case '1k-characters':
      return text.length / 1000;
    case '1m-input-tokens':
      return (usage.promptTokens ?? 0) / 1e6;
    case '1m-output-tokens':
      return (usage.completionTokens ?? 0) / 1e6;
  }
}

/** The cost of one task in USD (rounded to 1e-6). No price lines: the task is free. */
export function priceTask(
  lines: PriceLine[] | undefined,
  task: Record<string, unknown>,
  options: { textPath?: string; usage?: Usage } = {},
): number {
  if (!lines?.length) return 0;
  const text = options.textPath ? String(valueAt(task, options.textPath) ?? '') : '';
  const parts = new Map<string, PriceLine>();
  for (const line of lines) {
    const part = line.part ?? 'task';
    if (parts.has(part)) continue;
    if (Object.entries(line.when ?? {}).every(([path, cond]) => matches(cond, valueAt(task, path))))
      parts.set(part, line);
  }
  let total = 0;
  for (const line of parts.values()) total += line.usd * units(line, task, text, options.usage ?? {});
  return Math.round(total * 1e6) / 1e6;
}
