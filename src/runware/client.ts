import { randomUUID } from 'node:crypto';
import { scrubSecrets } from '../config/logger.js';
import { timeoutSignal } from './deadline.js';
import { abortedError, fromUpstream, RunwareError } from './errors.js';
import type { ResultItem, TaskObject, UpstreamErrorObject } from './types.js';

export interface RetryInfo {
  /** 1 for the first retry. */
  attempt: number;
  delayMs: number;
  /** The code of the failure being retried (`rateLimitExceeded`, `requestTimeout`, ...). */
  reason: string;
  status?: number | undefined;
  taskTypes: string[];
}

export interface RunwareClientOptions {
  apiUrl: string;
  apiKey: string;
  /** Per HTTP request (default 30 s). */
  timeoutMs?: number;
  /** Retries of retryable failures (408/429/5xx/network/timeout); the same taskUUIDs are re-sent (default 3). */
  maxRetries?: number;
  /** First backoff step; attempt n waits a random time in [0, retryBaseMs * 2^n) (default 500 ms). */
  retryBaseMs?: number;
  /** Upper bound on one wait, including an upstream `Retry-After` (default 30 s). */
  maxRetryDelayMs?: number;
  fetch?: typeof fetch;
  /** Metrics hook, called before each retry. */
  onRetry?: (info: RetryInfo) => void;
  /** Metrics hook: one call per HTTP exchange with its latency and outcome. */
  onExchange?: (info: { taskTypes: string[]; ms: number; ok: boolean; status: number | undefined }) => void;
  /** Identifies this server in the upstream's logs. */
  userAgent?: string;
}

export interface CallOptions {
  signal?: AbortSignal | undefined;
  /** Sends `X-Runware-Dry-Run: 1`: upstream validates and prices without running or charging. */
  dryRun?: boolean;
}

export interface PollOptions {
  /** How many result items the task produces (numberResults); default 1. */
  expected?: number;
  signal?: AbortSignal | undefined;
  /** Give up after this long and return what arrived with done=false (default: no deadline). */
  deadlineMs?: number;
  onProgress?: (p: { progress?: number; done: number; expected: number }) => void;
}

export interface PollResult {
  done: boolean;
  items: ResultItem[];
  errors: RunwareError[];
}

export interface SendResult {
  data: ResultItem[];
  errors: RunwareError[];
}

/** What one HTTP exchange produced: a usable envelope, or a failure that speaks for the whole request. */
type Attempt = { ok: true; result: SendResult } | { ok: false; failure: RunwareError; retryAfterMs?: number };

const FINAL_STATUSES = new Set(['success', 'error', 'failed']);
const FIRST_POLL_MS = 1000;
const MAX_POLL_MS = 5000;
/** Polls answered with an HTTP error and no task status, in a row, before the poll gives up with that error. */
const MAX_FAILED_POLLS = 5;
/** The least time one poll gets, even at the deadline (so the deadline can be overrun by this much). */
const MIN_POLL_BUDGET_MS = 500;
/** HTTP statuses whose errors speak for the whole request, whatever taskUUID they name. */
const REQUEST_LEVEL_STATUSES = new Set([401, 403, 408, 429]);

/**
 * The Runware REST client. It uses Node's global fetch, whose undici dispatcher keeps connections alive and
 * is shared by every client instance, so a client per API key (hosted mode: per request) costs one small object
 * (measured: 2,000 requests through 2,000 fresh clients reused 2 TCP connections). Knows nothing of MCP.
 */
export class RunwareClient {
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly retryBaseMs: number;
  private readonly maxRetryDelayMs: number;

  constructor(private readonly options: RunwareClientOptions) {
    this.fetchImpl = options.fetch ?? fetch;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxRetries = options.maxRetries ?? 3;
    this.retryBaseMs = options.retryBaseMs ?? 500;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 30_000;
  }

  /**
   * One POST of a task array, retried on 408/429/5xx/network/timeout with the SAME taskUUIDs, so a retry can
   * never run or charge a task twice. Per-task errors come back in `errors`; a failure of the whole request
   * (auth, rate limit after the retries, upstream down, malformed answer) is thrown as a RunwareError.
   */
  async send(tasks: TaskObject[], opts: CallOptions = {}): Promise<SendResult> {
    const body = JSON.stringify(tasks);
    const sent = new Set(tasks.map((t) => t.taskUUID));
    for (let attempt = 0; ; attempt++) {
      const started = performance.now();
      const outcome = await this.attempt(body, sent, opts);
      this.options.onExchange?.({
        taskTypes: tasks.map((t) => t.taskType),
        ms: performance.now() - started,
        ok: outcome.ok,
        status: outcome.ok ? undefined : outcome.failure.status,
      });
      if (outcome.ok) return opts.dryRun ? outcome.result : this.recoverConflicts(outcome.result, opts);
      const { failure } = outcome;
      if (!failure.retryable || attempt >= this.maxRetries || opts.signal?.aborted) throw failure;
      const delayMs = Math.min(this.maxRetryDelayMs, outcome.retryAfterMs ?? this.backoff(attempt));
      this.options.onRetry?.({
        attempt: attempt + 1,
        delayMs,
        reason: failure.code,
        status: failure.status,
        taskTypes: tasks.map((t) => t.taskType),
      });
      await sleep(delayMs, opts.signal);
    }
  }

  /** One task; throws its RunwareError; returns all its items (several when numberResults > 1). */
  async runTask(task: TaskObject, opts: CallOptions = {}): Promise<ResultItem[]> {
    const { data, errors } = await this.send([task], opts);
    const { items, failures } = splitFailures(
      data.filter((d) => d.taskUUID === task.taskUUID || d.taskUUID === undefined),
    );
    const mine = errors.find((e) => !e.taskUUID || e.taskUUID === task.taskUUID) ?? failures[0];
    if (mine) throw mine;
    return items;
  }

  /** getResponse once: the current state of every generation of an earlier task. */
  async getResponse(
    taskUUID: string,
    opts: CallOptions = {},
  ): Promise<{ items: ResultItem[]; errors: RunwareError[] }> {
    const { data, errors } = await this.send([{ taskType: 'getResponse', taskUUID }], {
      signal: opts.signal,
    });
    // Errors naming the task are failed generations (an answer); anything else is a refusal of the poll itself.
    const refusal = errors.find(
      (e) => e.taskUUID !== taskUUID || e.category === 'auth' || e.category === 'quota',
    );
    if (refusal && data.length === 0) throw refusal;
    const { items, failures } = splitFailures(
      data.filter((d) => d.taskUUID === taskUUID || d.taskUUID === undefined),
    );
    return { items, errors: [...errors, ...failures] };
  }

  /**
   * Polls getResponse (first after 1 s, then x1.5 up to 5 s) until every expected item is final, the signal
   * aborts (RunwareError 'aborted') or the deadline passes (done=false with what arrived). Transient failures
   * of a poll are retried until the deadline: the task itself is still running upstream.
   */
  async pollUntilDone(taskUUID: string, opts: PollOptions = {}): Promise<PollResult> {
    const expected = Math.max(1, opts.expected ?? 1);
    const deadline = opts.deadlineMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + opts.deadlineMs;
    let last: PollResult = { done: false, items: [], errors: [] };
    let failedInARow = 0;
    for (let delay = FIRST_POLL_MS; ; delay = Math.min(MAX_POLL_MS, delay * 1.5)) {
      const wait = Math.min(delay, deadline - Date.now());
      if (wait > 0) await sleep(wait, opts.signal);
      if (opts.signal?.aborted) throw abortedError();
      const answer = await this.pollOnce(taskUUID, deadline, opts.signal);
      if (answer instanceof RunwareError) {
        // An answer with an HTTP error and no task status, again and again: say so instead of "processing" forever.
        if (answer.status !== undefined && ++failedInARow >= MAX_FAILED_POLLS)
          throw unanswerablePoll(taskUUID, answer);
      } else if (answer) {
        failedInARow = 0;
        last = summarizePoll(answer, expected);
        opts.onProgress?.(progressOf(answer.items, last, expected));
        if (last.done) return last;
      }
      if (Date.now() >= deadline) return { ...last, done: false };
    }
  }

  async getTaskDetails(taskUUID: string, opts: CallOptions = {}): Promise<ResultItem> {
    return this.single({ taskType: 'getTaskDetails', taskUUID }, opts);
  }

  /** accountManagement getDetails: balance and usage of the key's organisation. */
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

  /** Upstream may answer several status items (validated, downloaded, ..., ready) for one upload. */
  async modelUpload(params: Record<string, unknown>, opts: CallOptions = {}): Promise<ResultItem[]> {
    return this.runTask({ ...params, taskType: 'modelUpload', taskUUID: randomUUID() }, opts);
  }

  /**
   * A task upstream already holds (`conflictTaskUUID`: an earlier attempt that timed out did arrive, or a caller
   * re-submitting after a crash) is answered with its current state from getResponse, never run a second time.
   */
  private async recoverConflicts(result: SendResult, opts: CallOptions): Promise<SendResult> {
    const conflicts = result.errors.filter((e) => e.code === 'conflictTaskUUID' && e.taskUUID);
    if (conflicts.length === 0) return result;
    const data = [...result.data];
    const errors = result.errors.filter((e) => !conflicts.includes(e));
    for (const conflict of conflicts) {
      const recovered = await this.getResponse(conflict.taskUUID!, opts).catch(() => undefined);
      if (recovered && recovered.items.length + recovered.errors.length > 0) {
        data.push(...recovered.items);
        errors.push(...recovered.errors);
      } else {
        errors.push(conflict);
      }
    }
    return { data, errors };
  }

  private async single(task: TaskObject, opts: CallOptions): Promise<ResultItem> {
    const [first] = await this.runTask(task, opts);
    if (first) return first;
    throw new RunwareError({
      category: 'serverError',
      code: 'emptyResponse',
      message: `Runware returned no result for ${task.taskType}.`,
      taskUUID: task.taskUUID,
      taskType: task.taskType,
    });
  }

  /**
   * One poll bounded by the deadline; on a transient failure the error, or undefined when the deadline cut it
   * short (the caller polls again either way).
   */
  private async pollOnce(
    taskUUID: string,
    deadline: number,
    signal: AbortSignal | undefined,
  ): Promise<{ items: ResultItem[]; errors: RunwareError[] } | RunwareError | undefined> {
    // A poll at the deadline still gets MIN_POLL_BUDGET_MS to answer, so a task that just finished is seen.
    const remaining = deadline - Date.now();
    const bound = Number.isFinite(remaining)
      ? timeoutSignal(Math.max(MIN_POLL_BUDGET_MS, remaining), signal)
      : undefined;
    try {
      return await this.getResponse(taskUUID, { signal: bound?.signal ?? signal });
    } catch (error) {
      if (signal?.aborted) throw abortedError();
      // 'aborted' here can only be the deadline bound (the caller's signal is checked above).
      if (error instanceof RunwareError && error.category === 'aborted') return undefined;
      if (error instanceof RunwareError && error.retryable) return error;
      throw error;
    } finally {
      bound?.clear();
    }
  }

  /** One HTTP exchange, classified. Never throws for upstream trouble: it returns the failure to retry or throw. */
  private async attempt(body: string, sent: ReadonlySet<string>, opts: CallOptions): Promise<Attempt> {
    // The bound covers the whole exchange, body included: a server that sends headers and then stalls times out too.
    const bound = timeoutSignal(this.timeoutMs, opts.signal);
    let res: Response;
    let text: string;
    try {
      res = await this.post(body, opts, bound.signal);
      text = await res.text();
    } catch (error) {
      return { ok: false, failure: this.transportError(error, opts.signal, bound.timedOut) };
    } finally {
      bound.clear();
    }
    // An upstream that echoes the key (in an error message, an archived request, anywhere) never passes it on.
    const parsed = this.parseEnvelope(this.scrub(text) ?? '', res);
    if (parsed instanceof RunwareError) return { ok: false, failure: parsed };
    if (
      res.ok ||
      parsed.data.length > 0 ||
      isPerTask(parsed.errors, sent, res.status) ||
      areGenerationFailures(parsed.errors, sent, res.status)
    ) {
      return { ok: true, result: parsed };
    }
    const failure =
      parsed.errors[0] ?? fromUpstream({ message: `Runware answered HTTP ${res.status}.` }, res.status);
    const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
    return retryAfterMs === undefined ? { ok: false, failure } : { ok: false, failure, retryAfterMs };
  }

  private post(body: string, opts: CallOptions, signal: AbortSignal): Promise<Response> {
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
      signal,
    });
  }

  /** Reads a `{data, errors}` envelope; anything else is a clear serverError, never raw upstream text. */
  private parseEnvelope(text: string, res: Response): SendResult | RunwareError {
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      return malformed(res.status, 'not JSON');
    }
    if (json === undefined && !res.ok) return { data: [], errors: [] };
    if (typeof json !== 'object' || json === null || Array.isArray(json))
      return malformed(res.status, 'not an object');
    const envelope = json as { data?: unknown; errors?: unknown; error?: unknown };
    const data = toArray(envelope.data).filter(isResultLike);
    const rawErrors = toArray(envelope.errors ?? envelope.error).filter(
      (e): e is UpstreamErrorObject => typeof e === 'object' && e !== null,
    );
    if (res.ok && !('data' in envelope) && !('errors' in envelope) && !('error' in envelope)) {
      return malformed(res.status, 'no data and no errors');
    }
    const status = res.ok ? undefined : res.status;
    const errors = rawErrors.map((e) => fromUpstream(e, status));
    return { data, errors };
  }

  private transportError(error: unknown, signal: AbortSignal | undefined, timedOut: boolean): RunwareError {
    if (error instanceof RunwareError) return error;
    if (signal?.aborted) return abortedError();
    const name = (error as Error | undefined)?.name;
    if (timedOut || name === 'TimeoutError' || name === 'AbortError') {
      return new RunwareError({
        category: 'timeout',
        code: 'requestTimeout',
        message: `Runware did not answer within ${Math.round(this.timeoutMs / 100) / 10} s.`,
      });
    }
    const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause?.code;
    return new RunwareError({
      category: 'connection',
      code: 'connectionFailed',
      message: `Could not reach Runware at ${new URL(this.options.apiUrl).host}${typeof cause === 'string' ? ` (${cause})` : ''}.`,
    });
  }

  private scrub(text: unknown): string | undefined {
    return typeof text === 'string' && text ? scrubSecrets(text, [this.options.apiKey]) : undefined;
  }

  /** Exponential backoff with full jitter: a random wait in [0, base * 2^attempt). */
  private backoff(attempt: number): number {
    return Math.round(Math.random() * this.retryBaseMs * 2 ** attempt);
  }
}

/** A non-2xx answer whose every error names a task we sent (a batch of refused tasks) is an answer, not a failure. */
function isPerTask(errors: RunwareError[], sent: ReadonlySet<string>, status: number): boolean {
  if (REQUEST_LEVEL_STATUSES.has(status) || status >= 500 || errors.length === 0) return false;
  return errors.every(
    (e) => e.taskUUID !== undefined && sent.has(e.taskUUID) && !e.retryable && e.category !== 'auth',
  );
}

/**
 * Failed generations (getResponse `errors` items with `status: "error"` naming a task we asked about) are the
 * task's final answer whatever their code: retrying the poll would only hear the same failure again.
 */
function areGenerationFailures(errors: RunwareError[], sent: ReadonlySet<string>, status: number): boolean {
  if (REQUEST_LEVEL_STATUSES.has(status) || errors.length === 0) return false;
  return errors.every((e) => e.generationFailed && e.taskUUID !== undefined && sent.has(e.taskUUID));
}

function summarizePoll(
  answer: { items: ResultItem[]; errors: RunwareError[] },
  expected: number,
): PollResult {
  const finals = answer.items.filter((i) => FINAL_STATUSES.has(String(i.status ?? 'success')));
  const done = finals.length + answer.errors.length >= expected;
  return { done, items: finals, errors: answer.errors };
}

function progressOf(
  items: ResultItem[],
  poll: PollResult,
  expected: number,
): { progress?: number; done: number; expected: number } {
  const done = Math.min(expected, poll.items.length + poll.errors.length);
  const reported = items.map((i) => i.progress).filter((p): p is number => typeof p === 'number');
  if (reported.length === 0) return { done, expected };
  // Finished items count as 100 % so the figure never goes backwards as generations complete.
  const sum = reported.reduce((a, b) => a + b, 0) + 100 * done;
  return { progress: Math.round(sum / Math.max(expected, reported.length + done)), done, expected };
}

/**
 * A generation that failed inside `data` (`status: "error"` with an embedded `error: {code, message}`, as
 * Runware's SDK polling handles it, runware-typescript src/client.ts) is the task's final answer, an error.
 */
function splitFailures(data: ResultItem[]): { items: ResultItem[]; failures: RunwareError[] } {
  const items: ResultItem[] = [];
  const failures: RunwareError[] = [];
  for (const item of data) {
    if (item.status !== 'error') {
      items.push(item);
      continue;
    }
    const embedded = (item.error ?? {}) as UpstreamErrorObject;
    failures.push(
      fromUpstream({ ...embedded, status: 'error', taskUUID: item.taskUUID, taskType: item.taskType }),
    );
  }
  return { items, failures };
}

function unanswerablePoll(taskUUID: string, last: RunwareError): RunwareError {
  return new RunwareError({
    category: last.category,
    code: last.code,
    message: `Runware could not report on task ${taskUUID}: ${MAX_FAILED_POLLS} polls in a row answered HTTP ${last.status} (${last.message}). The task may still finish; try get_task_details again later.`,
    taskUUID,
    status: last.status,
  });
}

function malformed(status: number, what: string): RunwareError {
  return new RunwareError({
    category: 'serverError',
    code: 'malformedResponse',
    message: `Runware returned a malformed response (HTTP ${status}, ${what}).`,
    status,
  });
}

function toArray(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

function isResultLike(value: unknown): value is ResultItem {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `Retry-After` in seconds or as an HTTP date. */
function parseRetryAfter(header: string | null): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortedError());
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }
    function onAbort() {
      clearTimeout(timer);
      reject(abortedError());
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
