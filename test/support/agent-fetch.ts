import http from 'node:http';
import { Readable } from 'node:stream';

/**
 * A minimal `fetch` over node:http with a caller-owned keep-alive agent, for the SDK transport's `fetch`
 * option. Why: a load generator on a busy machine runs its event loop late (seconds, measured), so the
 * global fetch's keep-alive timer (server hint 5 s minus 1 s) can fire after the server already closed an
 * idle socket, and the next request on it dies with ECONNRESET / "other side closed" before reaching the
 * server. With this agent idle sockets close after `idleMs` (well inside the server's 5 s even when late),
 * and the test can destroy the agent when done.
 */
export function createAgentFetch(options: { idleMs?: number } = {}) {
  const agent = new http.Agent({ keepAlive: true, timeout: options.idleMs ?? 1000, scheduling: 'lifo' });
  const agentFetch = (input: string | URL | Request, init: RequestInit = {}): Promise<Response> =>
    new Promise((resolve, reject) => {
      const url = new URL(input instanceof Request ? input.url : input.toString());
      const headers: Record<string, string> = {};
      new Headers(init.headers).forEach((value, name) => {
        headers[name] = value;
      });
      const req = http.request(url, { method: init.method ?? 'GET', headers, agent }, (res) => {
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          if (value !== undefined) responseHeaders.set(name, Array.isArray(value) ? value.join(', ') : value);
        }
        const empty = res.statusCode === 204 || res.statusCode === 304 || init.method === 'HEAD';
        if (empty) res.resume();
        resolve(
          new Response(empty ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), {
            status: res.statusCode!,
            statusText: res.statusMessage ?? '',
            headers: responseHeaders,
          }),
        );
      });
      req.on('error', reject);
      const signal = init.signal;
      if (signal) {
        const abort = () => req.destroy(new DOMException('This operation was aborted', 'AbortError'));
        if (signal.aborted) abort();
        else {
          // The SDK passes one long-lived signal per transport: release the listener with the request.
          signal.addEventListener('abort', abort, { once: true });
          req.once('close', () => signal.removeEventListener('abort', abort));
        }
      }
      const body = init.body;
      if (body === undefined || body === null) req.end();
      else if (typeof body === 'string' || body instanceof Uint8Array) req.end(body);
      else reject(new TypeError('agentFetch: only string and byte bodies are supported'));
    });
  return { fetch: agentFetch, agent };
}
