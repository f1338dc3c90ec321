/**
 * While a call waits on Runware, the client hears from it at least this often (Claude Code resets its idle
 * timer on every progress notification and shows its message), even when Runware has nothing new to say.
 */
export const HEARTBEAT_MS = 10_000;

/** Where a wait on Runware stands. */
export interface WaitState {
  phase: 'submitted' | 'generating' | 'finished';
  /** Results final so far, of how many. */
  done: number;
  expected: number;
  /** Runware's own percentage, when it reports one. */
  percent?: number;
}

export interface Heartbeat {
  /** News from Runware: told at once, and the next beat is a full interval later. */
  update(state: WaitState): void;
  stop(): void;
}

/**
 * Sends the wait's state on every update and every HEARTBEAT_MS in between. The progress figure is the seconds
 * waited, which grows with every notification as MCP requires; the message is for people.
 */
export function startHeartbeat(
  label: string,
  send: (progress: number, message: string) => void,
  intervalMs = HEARTBEAT_MS,
): Heartbeat {
  const started = Date.now();
  let state: WaitState = { phase: 'generating', done: 0, expected: 1 };
  let last = 0;
  const beat = () => {
    const seconds = (Date.now() - started) / 1000;
    last = Math.max(seconds, last + 0.001);
    send(Math.round(last * 1000) / 1000, describeWait(label, state, seconds));
  };
  let timer = setInterval(beat, intervalMs);
  timer.unref();
  return {
    update(next) {
      state = next;
      clearInterval(timer);
      beat();
      timer = setInterval(beat, intervalMs);
      timer.unref();
    },
    stop: () => clearInterval(timer),
  };
}

/** "Veo 3.1 Fast · 40% · 32 s", "FLUX.1 [dev] · 1/2 done · generating · 12 s", "Veo 3.1 Fast · finished · 41 s". */
export function describeWait(label: string, state: WaitState, seconds: number): string {
  const parts = [label];
  if (state.expected > 1 && state.phase !== 'finished') parts.push(`${state.done}/${state.expected} done`);
  if (state.phase === 'finished') parts.push('finished');
  else if (state.percent !== undefined) parts.push(`${state.percent}%`);
  else parts.push(state.phase === 'submitted' ? 'queued' : 'generating');
  parts.push(`${Math.round(seconds)} s`);
  return parts.join(' · ');
}
