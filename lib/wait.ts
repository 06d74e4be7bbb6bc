// The one waiter of the suite: poll an observation until it is done, within a bound. On timeout the error shows
// the last observed state, so a failure says what the cluster looked like rather than just "timeout".
import { describeError, InterruptedError, TimeoutError } from './errors.ts';
import { formatDuration } from './log.ts';

export interface WaitOptions<T> {
  /** What we wait for, as a phrase: "pods of dsc-ab12cd Ready". */
  readonly what: string;
  readonly timeoutMs: number;
  /** The setting the bound comes from (DSC_TIMEOUT_POD_READY): named in the timeout message so users know what to raise. */
  readonly raise?: string;
  /** One observation. A thrown error is recorded as the observed state and the wait goes on. */
  readonly observe: () => Promise<T>;
  readonly isDone: (observed: T) => boolean;
  readonly describe: (observed: T) => string;
  /** A state that can never become done (e.g. an image that cannot be pulled): stop now with this error. */
  readonly fatal?: (observed: T) => Error | undefined;
  readonly firstIntervalMs?: number;
  readonly maxIntervalMs?: number;
  /** False for cleanup waits, which must go on after SIGINT/SIGTERM (within their own bound). */
  readonly interruptible?: boolean;
  /** Long setup and cleanup waits: a line on stdout every PROGRESS_EVERY_MS saying what is still awaited. */
  readonly progress?: boolean;
}

/** How often a long wait says it is still waiting: a run that looks stuck for longer than this gets abandoned. */
export const PROGRESS_EVERY_MS = 10_000;

/** "  still waiting for pods Ready (10s of 3m, DSC_TIMEOUT_POD_READY): backend-a Pending (...)". */
export function progressLine(what: string, elapsedMs: number, timeoutMs: number, raise: string | undefined, state: string): string {
  const bound = `${formatDuration(elapsedMs)} of ${formatDuration(timeoutMs)}${raise ? `, ${raise}` : ''}`;
  return `  still waiting for ${what} (${bound}): ${state}`;
}

const interruption = new AbortController();

/** Called on SIGINT/SIGTERM: every current and future wait stops at once with an InterruptedError. */
export function interruptWaits(reason: string): void {
  if (!interruption.signal.aborted) interruption.abort(new InterruptedError(reason));
}

export function waitsInterrupted(): boolean {
  return interruption.signal.aborted;
}

function throwIfInterrupted(): void {
  if (interruption.signal.aborted) {
    throw interruption.signal.reason instanceof Error ? interruption.signal.reason : new InterruptedError('interrupted');
  }
}

/** A delay that ends early when the run is interrupted (unless the wait is not interruptible). */
function pause(ms: number, interruptible: boolean): Promise<void> {
  return new Promise((resolve) => {
    if (!interruptible) {
      setTimeout(resolve, ms);
      return;
    }
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      interruption.signal.removeEventListener('abort', done);
      resolve();
    }
    interruption.signal.addEventListener('abort', done, { once: true });
  });
}

export async function waitFor<T>(options: WaitOptions<T>): Promise<T> {
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  let interval = options.firstIntervalMs ?? 250;
  const maxInterval = options.maxIntervalMs ?? 2_000;
  let lastState = 'nothing observed yet';
  let attempts = 0;
  const interruptible = options.interruptible ?? true;
  let nextProgress = started + PROGRESS_EVERY_MS;
  for (;;) {
    if (interruptible) throwIfInterrupted();
    attempts += 1;
    let observed: { value: T } | undefined;
    try {
      observed = { value: await options.observe() };
    } catch (error) {
      if (error instanceof InterruptedError && interruptible) throw error;
      lastState = `error: ${describeError(error)}`;
    }
    if (observed) {
      lastState = options.describe(observed.value);
      if (options.isDone(observed.value)) return observed.value;
      const fatal = options.fatal?.(observed.value);
      if (fatal) throw fatal;
    }
    if (options.progress && Date.now() >= nextProgress) {
      process.stdout.write(`${progressLine(options.what, Date.now() - started, options.timeoutMs, options.raise, lastState)}\n`);
      nextProgress += PROGRESS_EVERY_MS;
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      const source = options.raise ? ` (${options.raise})` : '';
      throw new TimeoutError(
        `timed out after ${formatDuration(options.timeoutMs)}${source} waiting for ${options.what}; ` +
          `${attempts} observation(s), last observed: ${lastState}`,
      );
    }
    await pause(Math.min(interval, remaining), interruptible);
    interval = Math.min(maxInterval, Math.round(interval * 1.5));
  }
}

export interface SettleOptions<T> {
  readonly what: string;
  readonly timeoutMs: number;
  /** The setting the bound comes from, as in WaitOptions. */
  readonly raise: string;
  readonly observe: () => Promise<T>;
  /** Problems with an observation; empty means settled. */
  readonly judge: (observed: T) => string[];
}

/**
 * For checks on state that converges (EndpointSlices, LB status): waits until the judgement finds no problem, and
 * on timeout returns the last problems (noting how long they persisted) instead of throwing, so the check can
 * report observed vs expected values.
 */
export async function settle<T>(options: SettleOptions<T>): Promise<{ observed: T | undefined; problems: string[] }> {
  let last: { observed: T; problems: string[] } | undefined;
  try {
    const observed = await waitFor({
      what: options.what,
      timeoutMs: options.timeoutMs,
      raise: options.raise,
      observe: async () => {
        const value = await options.observe();
        last = { observed: value, problems: options.judge(value) };
        return last;
      },
      isDone: (state) => state.problems.length === 0,
      describe: (state) => state.problems.join('; ') || 'settled',
      maxIntervalMs: 1_000,
    });
    return observed;
  } catch (error) {
    if (!(error instanceof TimeoutError)) throw error;
    const persisted = `(still so after ${formatDuration(options.timeoutMs)}, ${options.raise})`;
    if (!last) return { observed: undefined, problems: [error.message] };
    return { observed: last.observed, problems: [...last.problems, persisted] };
  }
}
