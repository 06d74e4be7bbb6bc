// How a run ends, whatever ends it: the end of the checks (the driver calls tearDownRun), the first SIGINT/SIGTERM,
// or a crash (an uncaught exception or unhandled rejection: a bug of ours). Each runs the cleanup registry once,
// bounded by the cleanup deadline (DSC_TIMEOUT_CLEANUP; every API request inside has its own bound too). Whatever
// is left when it ends (failed, or not done by the deadline) is printed with the one command that removes it. A
// second signal during the cleanup abandons it at once: what is left, that command, exit 130/143.
import type { CleanupRegistry, Leftover } from './cleanup.ts';
import { describeError, InterruptedError } from '../lib/errors.ts';
import { RUN_ID_LABEL } from './namespace.ts';
import { EXIT, exitCodeOfSignal } from './outcome.ts';
import { phase } from './phase.ts';
import { currentSelection } from './run.ts';
import { timeoutEnvName } from './timeouts.ts';
import { formatDuration } from '../lib/log.ts';
import { interruptWaits } from '../lib/wait.ts';

// ---------------------------------------------------------------------------------------------------------------
// What is left, and the command removing it

/** Which run's objects the leftover command removes, and the kubectl flags reaching its cluster. */
export interface LeftoverTarget {
  readonly runId: string;
  /** `--kubeconfig` when the run did not use the user's own kubeconfig, `--context` when one was given. */
  readonly kubectlArgs: readonly string[];
}

let target: LeftoverTarget | undefined;

/** Set once the run id is chosen, before anything is created. */
export function setLeftoverTarget(value: LeftoverTarget): void {
  target = value;
}

/** A word as a POSIX shell reads it: bare when safe, else single-quoted. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * One shell command removing what a run left: its namespaces by the run-id label (everything of the run in the
 * cluster lives in them), and its off-cluster containers by the same label when `place` includes docker.
 */
export function leftoverCommand(leftTarget: LeftoverTarget, places: ReadonlySet<Leftover['place']>): string {
  const selector = shellQuote(`${RUN_ID_LABEL}=${leftTarget.runId}`);
  const parts: string[] = [];
  if (places.has('cluster')) parts.push(['kubectl', ...leftTarget.kubectlArgs.map(shellQuote), 'delete', 'namespace', '-l', selector].join(' '));
  if (places.has('docker')) parts.push(`docker ps -aq --filter label=${selector} | xargs -r docker rm -f -v`);
  return parts.join('; ');
}

/** What a cleanup left and the command removing it (for reports); empty when nothing is left. */
export function leftoverSummary(leftovers: readonly Leftover[], leftTarget: LeftoverTarget | undefined): string[] {
  if (leftovers.length === 0) return [];
  const what = leftovers.map((leftover) => `${leftover.description} (${leftover.state})`).join('; ');
  const command = leftTarget ? [`remove it with: ${leftoverCommand(leftTarget, new Set(leftovers.map((leftover) => leftover.place)))}`] : [];
  return [`left behind: ${what}`, ...command];
}

/** The same, as printed on stderr when a cleanup ends with something left. */
export function leftoverLines(leftovers: readonly Leftover[], leftTarget: LeftoverTarget | undefined): string[] {
  return leftoverSummary(leftovers, leftTarget).map((text) => `dualstack-conformance: ${text}`);
}

/** Prints what the cleanup left (stderr); returns it for reports. */
function printLeftovers(cleanup: CleanupRegistry): string[] {
  const left = cleanup.leftovers();
  for (const text of leftoverLines(left, target)) process.stderr.write(`${text}\n`);
  return leftoverSummary(left, target);
}

// ---------------------------------------------------------------------------------------------------------------
// Teardown

/**
 * Runs the cleanup registry (once; later calls share it), waiting at most the cleanup deadline; one line per failed
 * action, plus one naming what is left and the command removing it (also printed on stderr), with the deadline when
 * it passed.
 */
export async function tearDownRun(cleanup: CleanupRegistry): Promise<string[]> {
  phase('cleanup');
  const deadlineMs = currentSelection().config.timeouts.cleanup;
  const result = await cleanup.runWithin(deadlineMs);
  const failures = [...result.failures];
  // Reports carry what is left and the command too (summary.json's cleanupFailures).
  const left = printLeftovers(cleanup);
  if (!result.finished) failures.push([`cleanup did not finish within ${formatDuration(deadlineMs)} (${timeoutEnvName('cleanup')}); stopped waiting`, ...left].join('; '));
  else if (left.length > 0) failures.push(left.join('; '));
  return failures;
}

// ---------------------------------------------------------------------------------------------------------------
// Signals and crashes

export type Ending =
  | { readonly kind: 'signal'; readonly signal: NodeJS.Signals; readonly exitCode: number }
  | { readonly kind: 'crash'; readonly error: unknown; readonly exitCode: number };

let ending: { readonly current: Ending; readonly at: number } | undefined;

/** Set once a signal or a crash is ending the run: create nothing more, its handler cleans up and exits. */
export function currentInterruption(): Ending | undefined {
  return ending?.current;
}

/** How an ending reads in reports: "interrupted by SIGINT", or the crash's message. */
export function describeEnding(current: Ending): string {
  return current.kind === 'signal' ? `interrupted by ${current.signal}` : describeError(current.error);
}

/**
 * The copies of one Ctrl-C arrive together (the terminal signals the whole process group, npm relays it, mocha's
 * wrapper sends SIGINT then SIGTERM): a repeat within this window is the same interrupt, not a second one.
 */
export const REPEAT_SIGNAL_GRACE_MS = 1_000;

export interface InterruptOptions {
  readonly cleanup: CleanupRegistry;
  /** Stops what the driver runs (mocha's runner, a child process group) before the cleanup starts. */
  readonly stop?: (ending: Ending) => void;
  /** Writes the ended run's reports once the cleanup is done (or abandoned). */
  readonly report?: (ending: Ending, cleanupFailures: string[]) => void;
}

/**
 * The first SIGINT/SIGTERM, or a crash: stop every wait, tear down (bounded), report, exit 130/143 (2 for a crash).
 * A second signal during that cleanup: print what is left and the command removing it, report, exit at once.
 */
export function handleInterrupts(options: InterruptOptions): void {
  const begin = (current: Ending): void => {
    ending = { current, at: Date.now() };
    interruptWaits(current.kind === 'signal' ? current.signal : 'crash');
    options.stop?.(current);
    void (async () => {
      try {
        const failures = await tearDownRun(options.cleanup);
        for (const failure of failures) process.stderr.write(`cleanup failed: ${failure}\n`);
        if (options.report) {
          phase('report');
          options.report(current, failures);
        }
      } finally {
        phase('done');
        process.exit(current.exitCode);
      }
    })();
  };

  const abandon = (signal: NodeJS.Signals): void => {
    process.stderr.write(`\n${signal} received again: stopped waiting for the cleanup\n`);
    const left = printLeftovers(options.cleanup);
    try {
      // The signal ending the process decides its exit code, and the report says so.
      options.report?.({ kind: 'signal', signal, exitCode: exitCodeOfSignal(signal) }, [
        [`cleanup abandoned on a second ${signal}`, ...left].join('; '),
      ]);
    } finally {
      phase('done');
      process.exit(exitCodeOfSignal(signal));
    }
  };

  const onSignal = (signal: NodeJS.Signals): void => {
    if (!ending) {
      process.stderr.write(
        `\n${signal} received: stopping and deleting the run's namespaces (within ${formatDuration(currentSelection().config.timeouts.cleanup)}; ` +
          `send it again to stop waiting)\n`,
      );
      begin({ kind: 'signal', signal, exitCode: exitCodeOfSignal(signal) });
      return;
    }
    if (ending.current.kind === 'signal' && Date.now() - ending.at < REPEAT_SIGNAL_GRACE_MS) return;
    abandon(signal);
  };

  const onCrash = (error: unknown, origin: 'uncaught exception' | 'unhandled rejection'): void => {
    if (ending) {
      // Waits stopped by the ending reject with InterruptedError; the crash itself can be re-emitted (mocha does).
      if (error instanceof InterruptedError || (ending.current.kind === 'crash' && ending.current.error === error)) return;
      process.stderr.write(`dualstack-conformance: ${origin} while ending the run: ${describeError(error)}\n`);
      return;
    }
    const stack = error instanceof Error && error.stack ? error.stack : describeError(error);
    process.stderr.write(`dualstack-conformance: internal error (${origin}); cleaning up, then exit ${EXIT.crash}:\n${stack}\n`);
    begin({ kind: 'crash', error, exitCode: EXIT.crash });
  };

  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('uncaughtException', (error) => onCrash(error, 'uncaught exception'));
  process.on('unhandledRejection', (reason) => onCrash(reason, 'unhandled rejection'));
}
