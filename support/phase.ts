// Phase markers on stderr (`phase=create`, `phase=wait`, `phase=exec`, ...) so an outside observer (selftest's
// interrupt cases) can time a signal to a phase. Printed only when the phase changes, to keep stderr readable.
// The timeline is kept too: summary.json reports it, and `npm run bench` turns it into per-phase times.
import { crashIfInjected } from './crash-injection.ts';

export type Phase = 'preflight' | 'cluster-up' | 'discover' | 'create' | 'wait' | 'exec' | 'cleanup' | 'report' | 'done';

const started = Date.now();
const timeline: { phase: Phase; atSeconds: number }[] = [];

export function phase(next: Phase): void {
  if (timeline.at(-1)?.phase === next) return;
  timeline.push({ phase: next, atSeconds: (Date.now() - started) / 1000 });
  process.stderr.write(`phase=${next}\n`);
  crashIfInjected(next);
}

/** Each phase change, in seconds since the process loaded this module. */
export function phaseTimeline(): readonly { phase: Phase; atSeconds: number }[] {
  return timeline;
}
