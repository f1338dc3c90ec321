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

const RETRYABLE: ReadonlySet<RunwareErrorCategory> = new Set([
  'provider',
  'timeout',
  'connection',
  'rateLimit',
  'serverError',
]);

export interface RunwareErrorInit {
  category: RunwareErrorCategory;
  code: string;
  message: string;
  parameter?: string | string[] | undefined;
  taskUUID?: string | undefined;
  taskType?: string | undefined;
  documentation?: string | undefined;
  status?: number | undefined;
  details?: { allowedValues?: unknown[]; min?: number; max?: number; type?: string } | undefined;
}

export class RunwareError extends Error {
  override readonly name = 'RunwareError';
  readonly category: RunwareErrorCategory;
  readonly code: string;
  readonly parameter: string | string[] | undefined;
  readonly taskUUID: string | undefined;
  readonly taskType: string | undefined;
  readonly documentation: string | undefined;
  readonly status: number | undefined;
  readonly details: RunwareErrorInit['details'];

  constructor(init: RunwareErrorInit) {
    super(init.message);
    this.category = init.category;
    this.code = init.code;
    this.parameter = init.parameter;
    this.taskUUID = init.taskUUID;
    this.taskType = init.taskType;
    this.documentation = init.documentation;
    this.status = init.status;
    this.details = init.details;
  }

  get retryable(): boolean {
    return RETRYABLE.has(this.category);
  }
}

/** Maps a raw upstream code (and HTTP status) to a category; the code list follows Runware's SDKs. */
export function categorize(code: string, status?: number): RunwareErrorCategory {
  const c = code.toLowerCase();
  if (status === 401 || status === 403 || /apikey|unauthori[sz]ed|authfailed|forbidden|permission/.test(c))
    return 'auth';
  if (status === 402 || /credit|quota|balance|paymentrequired/.test(c)) return 'quota';
  if (status === 429 || /ratelimit|toomanyrequests/.test(c)) return 'rateLimit';
  if (/contentpolicy|nsfw|promptblocked|safety|moderation/.test(c)) return 'safety';
  if (/timeout/.test(c) || status === 408 || status === 504) return 'timeout';
  if (/notfound|expired/.test(c) || status === 404) return 'notFound';
  if (
    /^(invalid|missing|unsupported|conflict|duplicate|value|array|max|min|unknownparameter)/.test(c) ||
    status === 400
  ) {
    return 'validation';
  }
  if (/provider|inferenceerror|noavailableserver|modelunavailable/.test(c)) return 'provider';
  return 'serverError';
}

export function fromUpstream(error: UpstreamErrorObject, status?: number): RunwareError {
  const code = error.code ?? (status ? `http${status}` : 'unknownError');
  const details: NonNullable<RunwareErrorInit['details']> = {};
  if (error.allowedValues) details.allowedValues = error.allowedValues;
  if (typeof error.min === 'number') details.min = error.min;
  if (typeof error.max === 'number') details.max = error.max;
  if (typeof error.type === 'string') details.type = error.type;
  return new RunwareError({
    category: categorize(code, status),
    code,
    message: error.message ?? `Runware returned ${code}`,
    parameter: error.parameter,
    taskUUID: error.taskUUID,
    taskType: error.taskType,
    documentation: error.documentation,
    status,
    details: Object.keys(details).length ? details : undefined,
  });
}
