// `npm run bench [-- --runs N] [-- suite options]`: runs the whole suite N times (default 5) against the current
// cluster and prints the median wall time, per-phase and per-spec times. Wall time is measured around the CLI
// process, so it includes startup and cleanup, as a user waiting on `npm test` sees it.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigurationError } from '../lib/errors.ts';
import { runMain } from '../lib/log.ts';
import { PROJECT_ROOT as ROOT } from '../lib/paths.ts';
import { runProcess } from '../lib/process.ts';
import type { RunSummary } from '../support/results.ts';

/** One run of the suite ends within its own cleanup deadline; this bound only ends a run that hangs. */
const RUN_TIMEOUT_MS = 60 * 60_000;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

function parseRuns(argv: string[]): { runs: number; passThrough: string[] } {
  const index = argv.indexOf('--runs');
  if (index < 0) return { runs: 5, passThrough: argv };
  const runs = Number(argv[index + 1]);
  if (!Number.isInteger(runs) || runs < 1) throw new ConfigurationError('--runs needs a positive integer');
  return { runs, passThrough: [...argv.slice(0, index), ...argv.slice(index + 2)] };
}

async function runOnce(args: readonly string[]): Promise<{ exitCode: number | null; seconds: number }> {
  // Its report lines are not ours to print; its warnings and errors are.
  const finished = await runProcess(path.join(ROOT, 'node_modules', '.bin', 'tsx'), [path.join(ROOT, 'bin', 'dualstack-conformance.ts'), ...args], {
    cwd: ROOT,
    output: 'stdout',
    timeoutMs: RUN_TIMEOUT_MS,
  });
  return { exitCode: finished.code, seconds: finished.seconds };
}

/** Seconds spent in each phase, from the timeline summary.json records (the last, `report`, has no end there). */
function phaseDurations(summary: RunSummary): Map<string, number> {
  const durations = new Map<string, number>();
  summary.phases.forEach((entry, index) => {
    const next = summary.phases[index + 1];
    if (next) durations.set(entry.phase, (durations.get(entry.phase) ?? 0) + next.atSeconds - entry.atSeconds);
  });
  return durations;
}

async function main(): Promise<number> {
  const { runs, passThrough } = parseRuns(process.argv.slice(2));
  const walls: number[] = [];
  const phases = new Map<string, number[]>();
  const specs = new Map<string, number[]>();
  let failures = 0;
  for (let run = 1; run <= runs; run += 1) {
    const reportsDir = path.join(ROOT, 'reports', 'bench', `run-${run}`);
    const outcome = await runOnce([...passThrough, '--reports-dir', reportsDir]);
    walls.push(outcome.seconds);
    if (outcome.exitCode !== 0) failures += 1;
    let summary: RunSummary;
    try {
      summary = JSON.parse(readFileSync(path.join(reportsDir, 'summary.json'), 'utf8')) as RunSummary;
    } catch {
      process.stdout.write(`run ${run}/${runs}: ${outcome.seconds.toFixed(1)}s, exit ${outcome.exitCode ?? 'signal'}, no summary.json\n`);
      continue;
    }
    for (const [name, seconds] of phaseDurations(summary)) phases.set(name, [...(phases.get(name) ?? []), seconds]);
    const perArea = new Map<string, number>();
    // Checks run together: an area costs what its slowest check took.
    for (const check of summary.checks) perArea.set(check.area, Math.max(perArea.get(check.area) ?? 0, (check.durationMs ?? 0) / 1000));
    for (const [area, seconds] of perArea) specs.set(area, [...(specs.get(area) ?? []), seconds]);
    process.stdout.write(
      `run ${run}/${runs}: ${outcome.seconds.toFixed(1)}s, exit ${outcome.exitCode ?? 'signal'}, ${summary.counts.passed} passed, ${summary.counts.failed} failed, ${summary.counts.skipped} skipped\n`,
    );
  }
  const format = (values: readonly number[]): string => `${median(values).toFixed(1)}s (min ${Math.min(...values).toFixed(1)}s, max ${Math.max(...values).toFixed(1)}s)`;
  process.stdout.write(`\nmedian wall time of ${runs} runs: ${format(walls)}; runs not exiting 0: ${failures}\n`);
  process.stdout.write('per phase (median):\n');
  for (const [name, values] of phases) process.stdout.write(`  ${name.padEnd(12)} ${format(values)}\n`);
  // LoadBalancer provider detection (up to DSC_TIMEOUT_LOAD_BALANCER from setup) is waited for in a hook, not a check.
  process.stdout.write('per area, its slowest check (median; checks run together, hooks excluded):\n');
  for (const [name, values] of specs) process.stdout.write(`  ${name.padEnd(12)} ${format(values)}\n`);
  return failures > 0 ? 1 : 0;
}

runMain('bench', main);
