// A test hook, read only for selftest's crash cases (selftest/robustness-cleanup.ts): DSC_INJECT_CRASH=<phase> throws
// an uncaught exception the first time the run enters <phase>; DSC_INJECT_CRASH=<phase>:rejection leaves a rejected
// promise unhandled instead. It shows that a crash still runs the cleanup and exits 2 (support/teardown.ts).
import { ConfigurationError } from '../lib/errors.ts';
import type { Phase } from './phase.ts';

export const CRASH_PHASES: readonly Phase[] = ['preflight', 'cluster-up', 'discover', 'create', 'wait', 'exec', 'cleanup', 'report'];

export interface CrashInjection {
  readonly phase: Phase;
  readonly kind: 'exception' | 'rejection';
}

/** The hook's value; undefined when unset, a ConfigurationError when malformed (a hook that silently does nothing would pass). */
export function parseCrashInjection(value: string | undefined): CrashInjection | undefined {
  if (value === undefined || value === '') return undefined;
  const [phaseName = '', kind = 'exception', ...rest] = value.split(':');
  const phase = CRASH_PHASES.find((candidate) => candidate === phaseName);
  if (!phase || (kind !== 'exception' && kind !== 'rejection') || rest.length > 0) {
    throw new ConfigurationError(`DSC_INJECT_CRASH=${value} is not <phase>[:exception|:rejection] (phases: ${CRASH_PHASES.join(', ')})`);
  }
  return { phase, kind };
}

let armed: CrashInjection | undefined | null = null;

/** Called on every phase change: crashes the process, asynchronously, once, when the hook names this phase. */
export function crashIfInjected(phase: Phase): void {
  if (armed === null) {
    // A malformed value throws once (the first phase, inside the run's setup: exit 2), never again at later phases.
    armed = undefined;
    armed = parseCrashInjection(process.env.DSC_INJECT_CRASH);
  }
  if (armed?.phase !== phase) return;
  const { kind } = armed;
  armed = undefined;
  const error = new Error(`injected crash at phase=${phase} (DSC_INJECT_CRASH)`);
  if (kind === 'exception') {
    setImmediate(() => {
      throw error;
    });
  } else {
    void Promise.reject(error);
  }
}
