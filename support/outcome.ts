// The CLI's exit codes and the decisions that map how a run ended to its exit code, verdict and reason. Pure, so
// every combination is unit-tested; the CLI only gathers the inputs. Every exit code and where it is decided:
//   0, 1, 2, 130, 143 of a run whose checks started: decideOutcome, from the checks' counts, a configuration error met
//     during the run, the cleanup, a signal (exitCodeOfSignal) or a crash (EXIT.crash); a signal or a crash ends the
//     process from support/teardown.ts with exitCodeOfSignal or EXIT.crash, the codes decideOutcome writes in its report;
//   130, 143 on a second signal: support/teardown.ts, exitCodeOfSignal;
//   2 before the checks start (a bad option or environment, the pre-flight, no check selected, a bug): failureBeforeRun;
//   0 for --help, --version, --list and --print-images (EXIT.passed, bin/dualstack-conformance.ts).
import { ConfigurationError, describeError } from '../lib/errors.ts';
import type { Counts } from './results.ts';

// A crash (uncaught exception, unhandled rejection: a bug of ours) shares 2 with configuration errors: verdict
// `error`, never read as a failed check.
export const EXIT = { passed: 0, failed: 1, configuration: 2, crash: 2, sigint: 130, sigterm: 143 } as const;

export type RunVerdict = 'passed' | 'failed' | 'error' | 'interrupted';

export interface Outcome {
  readonly exitCode: number;
  readonly verdict: RunVerdict;
  readonly reason: string;
}

export interface OutcomeInputs {
  readonly counts: Counts;
  /** A configuration error that surfaced while mocha ran (an image that cannot be pulled, a malformed fixture). */
  readonly configurationFailure?: string | undefined;
  readonly cleanupFailures: readonly string[];
  readonly interruptedBy?: NodeJS.Signals | undefined;
  /** An uncaught exception or unhandled rejection ended the run: what it said. */
  readonly crash?: string | undefined;
}

export function exitCodeOfSignal(signal: NodeJS.Signals): number {
  return signal === 'SIGINT' ? EXIT.sigint : EXIT.sigterm;
}

/**
 * Precedence: an interrupt, then a crash (exit 2: a bug of ours, whatever the checks did), then a configuration
 * error (exit 2: the user must fix input, whatever the checks did), then failed or not-run checks, then cleanup
 * failures (exit 1: something may be left behind), else passed.
 */
export function decideOutcome(inputs: OutcomeInputs): Outcome {
  const { counts, configurationFailure, cleanupFailures, interruptedBy, crash } = inputs;
  if (interruptedBy !== undefined) {
    return { exitCode: exitCodeOfSignal(interruptedBy), verdict: 'interrupted', reason: `interrupted by ${interruptedBy}` };
  }
  if (crash !== undefined) return { exitCode: EXIT.crash, verdict: 'error', reason: `internal error: ${crash}` };
  if (configurationFailure !== undefined) return { exitCode: EXIT.configuration, verdict: 'error', reason: configurationFailure };
  if (counts.failed + counts.notRun > 0) {
    const notRun = counts.notRun > 0 ? `, ${counts.notRun} did not run` : '';
    return { exitCode: EXIT.failed, verdict: 'failed', reason: `${counts.failed} check(s) failed${notRun}` };
  }
  if (cleanupFailures.length > 0) {
    return { exitCode: EXIT.failed, verdict: 'failed', reason: `cleanup failed: ${cleanupFailures.join('; ')}` };
  }
  return { exitCode: EXIT.passed, verdict: 'passed', reason: `${counts.passed} passed, ${counts.skipped} skipped for allowed reasons` };
}

/**
 * An error that ended the run before its checks started: exit 2 with one line, the message itself for errors the user
 * can fix, no stack trace; `withStack` (DSC_DEBUG=1) adds it to unexpected errors, for bug reports.
 */
export function failureBeforeRun(error: unknown, withStack: boolean): { readonly exitCode: number; readonly message: string } {
  if (error instanceof ConfigurationError) return { exitCode: EXIT.configuration, message: error.message };
  const stack = withStack && error instanceof Error ? `\n${error.stack ?? ''}` : '';
  return { exitCode: EXIT.configuration, message: `unexpected error: ${describeError(error)}${stack}` };
}
