import { createHash } from 'node:crypto';

/** Injectable faults; counts are consumed one per /v1 request. */
export interface Faults {
  latencyMs: number;
  status429Count: number;
  status503Count: number;
  hangCount: number;
  malformedJsonCount: number;
  insufficientCredits: boolean;
  /** The next N /v1 requests: the socket is destroyed before anything is processed (no reply at all). */
  dropConnectionCount: number;
  /** The next N /v1 requests are processed (tasks run and are charged), then the socket is destroyed: the reply is lost. */
  lostReplyCount: number;
  /** The next N /v1 answers that carry errors append the request's API key to every error message. */
  echoKeyCount: number;
  /**
   * The next N inference tasks fail (`timeoutProvider`, `status: "error"`, never charged): a sync task answers
   * the failure at once, an async one is acknowledged and getResponse reports it when ready; getTaskDetails
   * archives it. A task failing while echoKeyCount is set keeps the echoed key in its stored message.
   */
  failTaskCount: number;
  /** Like failTaskCount, but the failure comes inside `data`: `{status: "error", error: {code, message}}`. */
  failInDataCount: number;
  /** The next N dry runs (`X-Runware-Dry-Run: 1`) are executed and charged as if the header were absent. */
  dryRunExecutesCount: number;
  /** The next N getResponse polls answer HTTP 500 with no task status. */
  pollErrorCount: number;
  /**
   * The next N output images are rendered at the full requested size with noise pixels, as heavy as a real
   * photo (1216x1216 is about 4.4 MB of PNG), instead of a small gradient at 1/8 of the size.
   */
  largeImageCount: number;
  /** The next N downloads of stored media (GET /media/...) answer HTTP 503, as a CDN hiccup would. */
  mediaErrorCount: number;
}

export interface StoredTask {
  keyId: string;
  task: Record<string, unknown>;
  taskType: string;
  submittedAt: number;
  readyAt: number;
  /** The finished result items (computed at submit, revealed when ready). */
  results: Record<string, unknown>[];
  cost: number;
  charged: boolean;
  error?: Record<string, unknown>;
}

export const keyIdOf = (key: string) => `key_${createHash('sha256').update(key).digest('hex').slice(0, 10)}`;

export const noFaults = (): Faults => ({
  latencyMs: 0,
  status429Count: 0,
  status503Count: 0,
  hangCount: 0,
  malformedJsonCount: 0,
  insufficientCredits: false,
  dropConnectionCount: 0,
  lostReplyCount: 0,
  echoKeyCount: 0,
  failTaskCount: 0,
  failInDataCount: 0,
  dryRunExecutesCount: 0,
  pollErrorCount: 0,
  largeImageCount: 0,
  mediaErrorCount: 0,
});

/** Everything the simulator remembers: accounts, tasks, charges, what it was sent. */
export class SimState {
  readonly accounts = new Map<string, { keyId: string; balance: number; revoked: boolean }>();
  readonly tasks = new Map<string, StoredTask>();
  readonly charges: Array<{ taskUUID: string; keyId: string; cost: number; at: string }> = [];
  readonly requests: Array<{ keyId: string | null; at: string; dryRun: boolean; tasks: unknown[] }> = [];
  readonly media = new Map<string, { body: Buffer; mime: string }>();
  readonly uploadedModels = new Map<string, Record<string, unknown>>();
  /** Prices set through the admin API (Runware changing a price): AIR -> price lines, over the fixture's. */
  readonly priceOverrides = new Map<string, unknown[]>();
  faults: Faults = noFaults();

  constructor(
    private readonly initialKeys: string[],
    private readonly initialBalance: number,
  ) {
    this.reset();
  }

  reset(): void {
    this.accounts.clear();
    this.tasks.clear();
    this.charges.length = 0;
    this.requests.length = 0;
    this.media.clear();
    this.priceOverrides.clear();
    this.faults = noFaults();
    for (const key of this.initialKeys) this.addKey(key, this.initialBalance);
  }

  addKey(key: string, balance = this.initialBalance): void {
    this.accounts.set(key, { keyId: keyIdOf(key), balance, revoked: false });
  }

  /** Charges a task once; a second call for the same taskUUID is a no-op (the charge log proves it). */
  charge(taskUUID: string, key: string, cost: number): void {
    const task = this.tasks.get(taskUUID);
    if (task?.charged) return;
    if (task) task.charged = true;
    const account = this.accounts.get(key);
    if (!account) return;
    account.balance = Math.round((account.balance - cost) * 1e6) / 1e6;
    this.charges.push({ taskUUID, keyId: account.keyId, cost, at: new Date().toISOString() });
  }
}
