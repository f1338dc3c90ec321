import { randomUUID } from 'node:crypto';
import { scrubSecrets } from '../config/logger.js';
import { fromUpstream, RunwareError } from './errors.js';
import type { ResultItem, TaskObject, UpstreamErrorObject } from './types.js';

export interface RetryInfo {
  attempt: number;
  delayMs: number;
  reason: string;
  taskTypes: string[];
}

export interface RunwareClientOptions {
  apiUrl: string;
  apiKey: string;
  /** Per HTTP request. */
  timeoutMs?: number;
  /** Retries of retryable failures (408/429/5xx/network/timeout); the same taskUUIDs are re-sent. */
  maxRetries?: number;
  retryBaseMs?: number;
  fetch?: typeof fetch;
  onRetry?: (info: RetryInfo) => void;
  /** Identifies this server in the upstream's logs. */
  userAgent?: string;
}

export interface CallOptions {
  signal?: AbortSignal | undefined;
  dryRun?: boolean;
}

export interface PollOptions {
  expected?: number;
  signal?: AbortSignal | undefined;
  deadlineMs?: number;
  onProgress?: (p: { progress?: number; done: number; expected: number }) => void;
}

export interface PollResult {
  done: boolean;
  items: ResultItem[];
  errors: RunwareError[];
}

const FINAL = new Set(['success', 'error', 'failed']);
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(aborted());
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }
    function onAbort() {
      clearTimeout(timer);
      reject(aborted());
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
const aborted = () =>
  new RunwareError({ category: 'aborted', code: 'aborted', message: 'The request was cancelled.' });

/**
 * The Runware REST client. Node's fetch keeps connections alive through undici's global pool, shared by every
 * client instance, so a client per API key (hosted mode: per request) costs one object.
 * Knows nothing of MCP.
 */
export class RunwareClient {
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly retryBaseMs: number;

  constructor(private readonly options: RunwareClientOptions) {
    this.fetchImpl = options.fetch ?? fetch;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxRetries = options.maxRetries ?? 3;
    this.retryBaseMs = options.retryBaseMs ?? 500;
  }

  /** One POST of a task array, retried with the SAME taskUUIDs (upstream never charges a taskUUID twice). */
  async send(
    tasks: TaskObject[],
    opts: CallOptions = {},
  ): Promise<{ data: ResultItem[]; errors: RunwareError[] }> {
    const body = JSON.stringify(tasks);
    for (let attempt = 0; ; attempt++) {
      let failure: RunwareError;
      let retryAfterMs: number | undefined;
      try {
        const res = await this.post(body, opts);
        const parsed = await this.parse(res);
        if (res.ok || parsed.data.length > 0) return parsed;
        // Whole-request failure: the first error speaks for the request.
        failure =
          parsed.errors[0] ?? fromUpstream({ message: `Runware answered HTTP ${res.status}` }, res.status);
        retryAfterMs = retryAfter(res.headers.get('retry-after'));
      } catch (error) {
        failure = this.asRunwareError(error, opts.signal);
      }
      if (!failure.retryable || attempt >= this.maxRetries || opts.signal?.aborted) throw failure;
      const delayMs = retryAfterMs ?? this.backoff(attempt);
      this.options.onRetry?.({
        attempt: attempt + 1,
        delayMs,
        reason: failure.code,
        taskTypes: tasks.map((t) => t.taskType),
      });
      await sleep(delayMs, opts.signal);
    }
  }

  /** One task; throws its RunwareError; returns all its items (several when numberResults > 1). */
  async runTask(task: TaskObject, opts: CallOptions = {}): Promise<ResultItem[]> {
    const { data, errors } = await this.send([task], opts);
    const mine = errors.find((e) => !e.taskUUID || e.taskUUID === task.taskUUID);
    if (mine?.code === 'conflictTaskUUID' && !opts.dryRun) {
      // A retry of a request that did reach upstream: the task exists, so read its result instead of running it again.
      const { items } = await this.getResponse(task.taskUUID, opts);
      if (items.length > 0) return items;
    }
    if (mine) throw mine;
    return data.filter((d) => d.taskUUID === task.taskUUID || d.taskUUID === undefined);
  }

  async getResponse(
    taskUUID: string,
    opts: CallOptions = {},
  ): Promise<{ items: ResultItem[]; errors: RunwareError[] }> {
    const { data, errors } = await this.send([{ taskType: 'getResponse', taskUUID }], opts);
    const fatal = errors.find(
      (e) => e.category !== 'provider' && e.category !== 'timeout' && e.category !== 'safety',
    );
    if (fatal && data.length === 0) throw fatal;
    return { items: data, errors };
  }

  /**
   * Polls getResponse (first after 1 s, then x1.5 up to 5 s) until every expected item is final,
   * the signal aborts (RunwareError 'aborted') or the deadline passes (done=false with what arrived).
   */
  async pollUntilDone(taskUUID: string, opts: PollOptions = {}): Promise<PollResult> {
    const expected = Math.max(1, opts.expected ?? 1);
    const deadline = opts.deadlineMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + opts.deadlineMs;
    let delay = 1000;
    for (;;) {
      const wait = Math.min(delay, deadline - Date.now());
      if (wait > 0) await sleep(wait, opts.signal);
      if (opts.signal?.aborted) throw aborted();
      const { items, errors } = await this.getResponse(taskUUID, { signal: opts.signal });
      const finals = items.filter((i) => FINAL.has(String(i.status ?? 'success')));
      const done = finals.length + errors.length;
      const progress = items.find((i) => typeof i.progress === 'number')?.progress as number | undefined;
      opts.onProgress?.({
        ...(progress === undefined ? {} : { progress }),
        done: Math.min(done, expected),
        expected,
      });
      if (done >= expected) return { done: true, items: finals, errors };
      if (Date.now() >= deadline) return { done: false, items: finals, errors };
      delay = Math.min(5000, delay * 1.5);
    }
  }

  async getTaskDetails(taskUUID: string, opts: CallOptions = {}): Promise<ResultItem> {
    return this.single({ taskType: 'getTaskDetails', taskUUID }, opts);
  }

  async accountDetails(opts: CallOptions = {}): Promise<ResultItem> {
    return this.single(
      { taskType: 'accountManagement', taskUUID: randomUUID(), operation: 'getDetails' },
      opts,
    );
  }

  async modelSearch(params: Record<string, unknown>, opts: CallOptions = {}): Promise<ResultItem> {
    return this.single({ ...params, taskType: 'modelSearch', taskUUID: randomUUID() }, opts);
  }

  async mediaStorage(params: Record<string, unknown>, opts: CallOptions = {}): Promise<ResultItem> {
    return this.single({ ...params, taskType: 'mediaStorage', taskUUID: randomUUID() }, opts);
  }

  async modelUpload(params: Record<string, unknown>, opts: CallOptions = {}): Promise<ResultItem[]> {
    return this.runTask({ ...params, taskType: 'modelUpload', taskUUID: randomUUID() }, opts);
  }

  private async single(task: TaskObject, opts: CallOptions): Promise<ResultItem> {
    const items = await this.runTask(task, opts);
    const first = items[0];
    if (!first) {
      throw new RunwareError({
        category: 'serverError',
        code: 'emptyResponse',
        message: `Runware returned no result for ${task.taskType}.`,
        taskUUID: task.taskUUID,
        taskType: task.taskType,
      });
    }
    return first;
  }

  private post(body: string, opts: CallOptions): Promise<Response> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    return this.fetchImpl(this.options.apiUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        authorization: `Bearer ${this.options.apiKey}`,
        'user-agent': this.options.userAgent ?? 'runware-mcp',
        ...(opts.dryRun ? { 'x-runware-dry-run': '1' } : {}),
      },
      body,
      signal: opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout,
    });
  }

  /** Reads a `{data, errors}` envelope; anything else becomes a clear serverError (never raw text). */
  private async parse(res: Response): Promise<{ data: ResultItem[]; errors: RunwareError[] }> {
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      throw new RunwareError({
        category: 'serverError',
        code: 'malformedResponse',
        message: `Runware returned a malformed response (HTTP ${res.status}, not JSON).`,
        status: res.status,
      });
    }
    const envelope = (json ?? {}) as { data?: unknown; errors?: unknown; error?: unknown };
    const data = Array.isArray(envelope.data)
      ? (envelope.data as ResultItem[])
      : envelope.data
        ? [envelope.data as ResultItem]
        : [];
    const rawErrors = Array.isArray(envelope.errors)
      ? envelope.errors
      : envelope.error && typeof envelope.error === 'object'
        ? [envelope.error]
        : [];
    const errors = (rawErrors as UpstreamErrorObject[]).map((e) =>
      fromUpstream(
        { ...e, message: scrubSecrets(String(e.message ?? ''), [this.options.apiKey]) || undefined },
        res.ok ? undefined : res.status,
      ),
    );
    if (!res.ok && errors.length === 0 && data.length === 0) {
      errors.push(fromUpstream({ message: `Runware answered HTTP ${res.status}` }, res.status));
    }
    return { data, errors };
  }

  private asRunwareError(error: unknown, signal: AbortSignal | undefined): RunwareError {
    if (error instanceof RunwareError) return error;
    if (signal?.aborted) return aborted();
    const name = (error as Error)?.name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      return new RunwareError({
        category: 'timeout',
        code: 'requestTimeout',
        message: `Runware did not answer within ${Math.round(this.timeoutMs / 1000)} s.`,
      });
    }
    return new RunwareError({
      category: 'connection',
      code: 'connectionFailed',
      message: `Could not reach Runware at ${new URL(this.options.apiUrl).host}: ${scrubSecrets(String((error as Error)?.message ?? error), [this.options.apiKey])}`,
    });
  }

  /** Exponential backoff with full jitter. */
  private backoff(attempt: number): number {
    return Math.round(Math.random() * this.retryBaseMs * 2 ** attempt);
  }
}

function retryAfter(header: string | null): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
