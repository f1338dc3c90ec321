import type { UpstreamErrorObject } from './types.js';

/** A small stable set an agent (or a retry loop) can act on, whatever the raw upstream code. */
export type RunwareErrorCategory =
  | 'auth'
  | 'quota'
  | 'validation'
  | 'rateLimit'
  | 'safety'
  | 'provider'
  | 'timeout'
  | 'notFound'
  | 'serverError'
  | 'connection'
  | 'aborted';

/** Categories worth another attempt with the same taskUUIDs (upstream never runs a taskUUID twice). */
const RETRYABLE: ReadonlySet<RunwareErrorCategory> = new Set([
  'provider',
  'timeout',
  'connection',
  'rateLimit',
  'serverError',
]);

export interface RunwareErrorDetails {
  allowedValues?: unknown[];
  min?: number;
  max?: number;
  type?: string;
}

export interface RunwareErrorInit {
  category: RunwareErrorCategory;
  code: string;
  message: string;
  parameter?: string | string[] | undefined;
  taskUUID?: string | undefined;
  taskType?: string | undefined;
  documentation?: string | undefined;
  status?: number | undefined;
  details?: RunwareErrorDetails | undefined;
  /** Upstream marked it `status: "error"`: a generation that ran and failed (final), not a refused request. */
  generationFailed?: boolean | undefined;
}

export class RunwareError extends Error {
  override readonly name = 'RunwareError';
  readonly category: RunwareErrorCategory;
  /** The raw upstream code (`invalidApiKey`, `insufficientCredits`, ...) or one of ours (`malformedResponse`). */
  readonly code: string;
  readonly parameter: string | string[] | undefined;
  readonly taskUUID: string | undefined;
  readonly taskType: string | undefined;
  readonly documentation: string | undefined;
  /** The HTTP status of the answer that carried the error, when there was one. */
  readonly status: number | undefined;
  readonly retryable: boolean;
  readonly details: RunwareErrorDetails | undefined;
  readonly generationFailed: boolean;

  constructor(init: RunwareErrorInit) {
    super(init.message);
    this.category = init.category;
    this.code = init.code;
    this.parameter = init.parameter;
    this.taskUUID = init.taskUUID;
    this.taskType = init.taskType;
    this.documentation = init.documentation;
    this.status = init.status;
    this.retryable = RETRYABLE.has(init.category);
    this.details = init.details;
    this.generationFailed = init.generationFailed === true;
  }

  /** What logs and tool results may show: every field, no stack, never a request or a key. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      category: this.category,
      code: this.code,
      message: this.message,
      parameter: this.parameter,
      taskUUID: this.taskUUID,
      taskType: this.taskType,
      documentation: this.documentation,
      status: this.status,
      retryable: this.retryable,
      details: this.details,
    };
  }
}

/**
 * Maps a raw upstream code (and the HTTP status) to a category. The code patterns follow Runware's own SDKs;
 * the code wins over the status because upstream sometimes answers 400 for a quota or auth refusal.
 */
export function categorize(code: string, status?: number): RunwareErrorCategory {
  const c = code.toLowerCase();
  if (/apikey|unauthori[sz]ed|authfailed|authentication|forbidden|permission/.test(c)) return 'auth';
  if (/credit|quota|balance|paymentrequired/.test(c)) return 'quota';
  if (/ratelimit|toomanyrequests/.test(c)) return 'rateLimit';
  if (/contentpolicy|nsfw|promptblocked|safety|moderation/.test(c)) return 'safety';
  if (/timeout/.test(c)) return 'timeout';
  if (/notfound|expired/.test(c)) return 'notFound';
  if (/^(invalid|missing|unsupported|conflict|duplicate|value|array|max|min|unknownparameter)/.test(c)) {
    return 'validation';
  }
  if (/provider|inferenceerror|noavailableserver|modelunavailable/.test(c)) return 'provider';
  return categorizeStatus(status);
}

function categorizeStatus(status: number | undefined): RunwareErrorCategory {
  if (status === 401 || status === 403) return 'auth';
  if (status === 402) return 'quota';
  if (status === 429) return 'rateLimit';
  if (status === 408 || status === 504) return 'timeout';
  if (status === 404) return 'notFound';
  if (status !== undefined && status >= 400 && status < 500) return 'validation';
  return 'serverError';
}

/** One upstream error object as a RunwareError; `message` must already be scrubbed of secrets. */
export function fromUpstream(error: UpstreamErrorObject, status?: number): RunwareError {
  const code =
    typeof error.code === 'string' && error.code ? error.code : status ? `http${status}` : 'unknownError';
  return new RunwareError({
    category: categorize(code, status),
    code,
    message: typeof error.message === 'string' && error.message ? error.message : `Runware returned ${code}.`,
    parameter: normalizeParameter(error.parameter),
    taskUUID: typeof error.taskUUID === 'string' ? error.taskUUID : undefined,
    taskType: typeof error.taskType === 'string' ? error.taskType : undefined,
    documentation: typeof error.documentation === 'string' ? error.documentation : undefined,
    status,
    details: detailsOf(error),
    generationFailed: error.status === 'error',
  });
}

function normalizeParameter(parameter: unknown): string | string[] | undefined {
  if (typeof parameter === 'string' && parameter) return parameter;
  if (Array.isArray(parameter)) {
    const names = parameter.filter((p): p is string => typeof p === 'string');
    return names.length > 1 ? names : names[0];
  }
  return undefined;
}

function detailsOf(error: UpstreamErrorObject): RunwareErrorDetails | undefined {
  const details: RunwareErrorDetails = {};
  if (Array.isArray(error.allowedValues)) details.allowedValues = error.allowedValues;
  if (typeof error.min === 'number') details.min = error.min;
  if (typeof error.max === 'number') details.max = error.max;
  if (typeof error.type === 'string') details.type = error.type;
  return Object.keys(details).length ? details : undefined;
}

/** The caller cancelled: never retried, never reported as an upstream failure. */
export function abortedError(): RunwareError {
  return new RunwareError({ category: 'aborted', code: 'aborted', message: 'The request was cancelled.' });
}
