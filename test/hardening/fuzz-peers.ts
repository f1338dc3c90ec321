import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { type Agent, type IncomingHttpHeaders, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

/**
 * Unhandled rejections are reported as warnings instead of killing the process, so the fuzz run counts each of
 * them (grep of stderr) and still sees whether the server keeps answering. Either way the test fails on one.
 */
export const NODE_FLAGS = ['--unhandled-rejections=warn'];

/** Counts the log lines that betray an unhandled rejection or an uncaught exception. */
export const countUnhandled = (logs: string) => (logs.match(/unhandled|uncaught/gi) ?? []).length;

export type Reply = Record<string, unknown>;

/**
 * The stdio server driven on the raw pipe (the SDK client would refuse to send what the fuzzer sends): lines
 * in, every stdout line parsed and kept in arrival order.
 */
export class StdioPeer {
  readonly replies: Reply[] = [];
  /** stdout lines that were not JSON at all (the stdio channel must carry only JSON-RPC). */
  readonly junk: string[] = [];
  private stderrText = '';
  private waiters: Array<() => void> = [];
  private constructor(private readonly child: ChildProcess) {
    let pending = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      for (let nl = pending.indexOf('\n'); nl !== -1; nl = pending.indexOf('\n')) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        try {
          this.replies.push(JSON.parse(line) as Reply);
        } catch {
          this.junk.push(line);
        }
      }
      for (const wake of this.waiters.splice(0)) wake();
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderrText += chunk;
    });
  }

  static spawn(env: Record<string, string>): StdioPeer {
    const child = spawn(process.execPath, [...NODE_FLAGS, CLI], {
      env: {
        PATH: process.env.PATH ?? '',
        RUNWARE_OFFLINE: '1',
        RUNWARE_MCP_DATA_DIR: mkdtempSync(join(tmpdir(), 'runware-fuzz-')),
        RUNWARE_OUTPUT_DIR: 'off',
        LOG_LEVEL: 'info',
        ...env,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdin!.on('error', () => undefined); // a dead server shows up as "not alive", not as EPIPE here
    return new StdioPeer(child);
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get exitInfo(): string {
    return `exit ${this.child.exitCode} signal ${this.child.signalCode}`;
  }

  stderr(): string {
    return this.stderrText;
  }

  /** Writes one line, honouring back-pressure so big batches do not pile up in memory. */
  async writeLine(line: string): Promise<void> {
    if (!this.child.stdin!.write(`${line}\n`)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.child.stdin!.off('drain', done);
          this.child.off('exit', done);
          resolve();
        };
        this.child.stdin!.once('drain', done);
        this.child.once('exit', done);
      });
    }
  }

  /** Resolves once `done()` holds for the replies seen so far; rejects after `timeoutMs`. */
  async until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (!this.alive) throw new Error(`stdio server died (${this.exitInfo}) waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 500));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async close(): Promise<void> {
    if (!this.alive) return;
    await new Promise<void>((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.stdin!.end(); // the stdio server exits on EOF
      setTimeout(() => this.child.kill('SIGKILL'), 3000).unref();
    });
  }
}

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One raw HTTP exchange (node:http, so Host and framing are ours to choose). */
export function httpExchange(
  url: string,
  options: {
    method?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    agent?: Agent | false;
    /** Send no content-length: the body goes out chunked. */
    chunked?: boolean;
  } = {},
): Promise<HttpAnswer> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname + target.search,
        method: options.method ?? 'POST',
        headers: {
          ...(options.body !== undefined && !options.chunked
            ? { 'content-length': String(Buffer.byteLength(options.body)) }
            : {}),
          ...options.headers,
        },
        agent: options.agent ?? false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.once('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
        res.once('error', reject);
      },
    );
    req.once('error', reject);
    req.end(options.body);
  });
}

/** The JSON-RPC messages of an HTTP answer: a JSON body (one message or a batch) or the data lines of an SSE stream. */
export function messagesOf(answer: HttpAnswer): unknown[] {
  if (answer.body.length === 0) return [];
  const type = String(answer.headers['content-type'] ?? '');
  if (type.includes('text/event-stream')) {
    return answer.body
      .split('\n')
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).trim())
      .filter((data) => data.length > 0)
      .map((data) => JSON.parse(data) as unknown);
  }
  const parsed = JSON.parse(answer.body) as unknown;
  return Array.isArray(parsed) ? parsed : [parsed];
}
