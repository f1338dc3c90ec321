/** A signal that aborts after `ms` or when the parent aborts; `clear()` releases the timer and the listener. */
export interface Deadline {
  signal: AbortSignal;
  /** True once the timer (not the parent) fired. */
  readonly timedOut: boolean;
  clear(): void;
}

/**
 * `AbortSignal.any([parent, AbortSignal.timeout(ms)])` without its Node 20 pitfalls: the timeout signal can be
 * collected before it fires when only `any` holds it, and every `any` leaves a listener on a long-lived parent
 * (a session's signal) until the parent itself goes away. Here the timer is a plain `setTimeout` and the
 * listener is removed as soon as the caller is done.
 */
export function timeoutSignal(ms: number, parent?: AbortSignal): Deadline {
  const controller = new AbortController();
  let timedOut = false;
  const onAbort = () => controller.abort(parent?.reason);
  const timer = setTimeout(
    () => {
      timedOut = true;
      parent?.removeEventListener('abort', onAbort);
      controller.abort(new DOMException(`Timed out after ${ms} ms.`, 'TimeoutError'));
    },
    Math.max(1, ms),
  );
  if (parent?.aborted) onAbort();
  else parent?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    get timedOut() {
      return timedOut;
    },
    clear() {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onAbort);
    },
  };
}
