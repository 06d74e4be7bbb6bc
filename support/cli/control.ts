// What the CLI's signal and crash handlers act on, filled in as the run progresses, and the one way a run that never
// got going ends: support/teardown.ts does the bounded cleanup and the exit for a signal or a crash.
import type Mocha from 'mocha';
import { CleanupRegistry } from '../cleanup.ts';
import { failureBeforeRun } from '../outcome.ts';
import { currentInterruption, handleInterrupts, tearDownRun, type Ending } from '../teardown.ts';

export interface RunControl {
  readonly cleanup: CleanupRegistry;
  /** mocha's runner once the checks started: aborted on a signal or a crash. */
  runner: Mocha.Runner | undefined;
  /** The process group of a running child (the embedded cluster's `cluster:up`): signalled with us. */
  childGroup: number | undefined;
  /** Writes the reports of a run a signal or a crash ended, once checks have started. */
  reportEnding: ((ending: Ending, cleanupFailures: string[]) => void) | undefined;
}

export function newRunControl(): RunControl {
  return { cleanup: new CleanupRegistry(), runner: undefined, childGroup: undefined, reportEnding: undefined };
}

export function installSignalHandlers(control: RunControl): void {
  handleInterrupts({
    cleanup: control.cleanup,
    stop: (ending) => {
      control.runner?.abort();
      // cluster:up runs in its own process group (npm does not forward signals to its script): signal the group.
      if (control.childGroup !== undefined) process.kill(-control.childGroup, ending.kind === 'signal' ? ending.signal : 'SIGTERM');
    },
    report: (ending, failures) => control.reportEnding?.(ending, failures),
  });
}

/**
 * An error that escaped before the run's checks started: clean up what exists (bounded), then one line on stderr and
 * exit 2. When a signal or a crash is already ending the run, its handler does all that.
 */
export function exitOnFailureBeforeRun(control: RunControl, error: unknown): void {
  if (currentInterruption()) return;
  void tearDownRun(control.cleanup).then(() => {
    const failure = failureBeforeRun(error, process.env.DSC_DEBUG === '1');
    process.stderr.write(`dualstack-conformance: ${failure.message}\n`);
    process.exit(failure.exitCode);
  });
}
