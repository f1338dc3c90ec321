/** One task object of the upstream protocol: every task carries its type and a client-generated UUID v4. */
export type TaskObject = { taskType: string; taskUUID: string; [k: string]: unknown };

/** One item of an upstream `data` array; it echoes the taskType and taskUUID it answers. */
export type ResultItem = {
  taskType: string;
  taskUUID: string;
  status?: string;
  cost?: number;
  [k: string]: unknown;
};

/** An upstream error object as it appears in an `errors` array. */
export interface UpstreamErrorObject {
  code?: string;
  message?: string;
  parameter?: string | string[];
  taskType?: string;
  taskUUID?: string;
  documentation?: string;
  type?: string;
  allowedValues?: unknown[];
  min?: number;
  max?: number;
  default?: unknown;
  status?: string;
  [k: string]: unknown;
}
