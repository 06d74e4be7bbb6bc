// Phase markers on stderr (`phase=create`, `phase=wait`, `phase=exec`, ...) so an outside observer (selftest's
// interrupt cases) can time a signal to a phase. Printed only when the phase changes, to keep stderr readable.
export type Phase = 'preflight' | 'cluster-up' | 'discover' | 'create' | 'wait' | 'exec' | 'cleanup' | 'report' | 'done';

let current: Phase | undefined;

export function phase(next: Phase): void {
  if (next === current) return;
  current = next;
  process.stderr.write(`phase=${next}\n`);
}

export function currentPhase(): Phase | undefined {
  return current;
}
