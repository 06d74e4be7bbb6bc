// What every probe shares, in-cluster (support/probes/from-pod.ts) and off-cluster (support/offcluster/probes.ts):
// each retries within its bound until the expectation holds, because dataplane and DNS programming lag object
// creation, and prints one line `src (ip) -> dst ([ip]:port): outcome`.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { V1Pod } from '@kubernetes/client-node';
import { describeError, TimeoutError } from '../../lib/errors.ts';
import { joinHostPort } from '../../lib/ip.ts';
import { waitFor } from '../../lib/wait.ts';
import { timeoutEnvName } from '../timeouts.ts';

export interface ProbeSource {
  readonly pod: V1Pod;
  /** The source address of the probe's family (pod IP, or node IP for a hostNetwork pod). */
  readonly address: string;
}

export interface ProbeDestination {
  /** What is probed, e.g. "svc dual-stack-ipv6-svc" or "backend-b". */
  readonly label: string;
  readonly address: string;
  readonly port: number;
}

export interface ProbeOutcome {
  readonly line: string;
  readonly ok: boolean;
  /** The answer (HTTP body, DNS addresses) of the last attempt. */
  readonly answer: string;
  /** Why it failed (last observed state), empty when ok. */
  readonly detail: string;
  readonly attempts: number;
  readonly durationMs: number;
}

export function probeLine(source: ProbeSource, destination: ProbeDestination): string {
  return formatProbeLine(source.pod.metadata?.name ?? '?', source.address, destination);
}

/** `src (ip) -> dst ([ip]:port)`: IPv6 destinations always bracketed. */
export function formatProbeLine(sourceName: string, sourceAddress: string, destination: ProbeDestination): string {
  return `${sourceName} (${sourceAddress}) -> ${destination.label} (${joinHostPort(destination.address, destination.port)})`;
}

/**
 * Where probe lines go while a check runs ahead of its `it` (support/check.ts): kept, and printed when mocha reaches
 * the check, so each line still appears under its own check.
 */
export const probeLineSink = new AsyncLocalStorage<string[]>();

/** Prints a line of a check's progress now, or keeps it for the check it belongs to. */
export function printCheckLine(line: string): void {
  const sink = probeLineSink.getStore();
  if (sink) sink.push(`${line}\n`);
  else process.stdout.write(`${line}\n`);
}

/** `      probe <line>: <outcome>`. */
export function printProbeLine(text: string): void {
  printCheckLine(`      probe ${text}`);
}

/** Prints the outcome line of a finished probe; returns the outcome. */
export function reportProbe(outcome: ProbeOutcome): ProbeOutcome {
  const tries = `${outcome.attempts} attempt${outcome.attempts === 1 ? '' : 's'}, ${outcome.durationMs}ms`;
  const text = outcome.ok ? `ok: ${outcome.answer} (${tries})` : `FAILED: ${outcome.detail}`;
  printProbeLine(`${outcome.line}: ${text}`);
  return outcome;
}

/**
 * Retries one probe attempt within its bound until it counts as success, then prints the outcome line. Shared by
 * the in-cluster probes (exec into a pod) and the off-cluster ones (exec into the client container).
 */
export async function retryProbe(
  line: string,
  attempt: () => Promise<{ answer: string; problem: string | undefined }>,
  boundMs: number,
  boundName: 'connectivity' | 'dns',
): Promise<ProbeOutcome> {
  const started = Date.now();
  let attempts = 0;
  let last: { answer: string; problem: string | undefined } | undefined;
  try {
    const done = await waitFor({
      what: line,
      timeoutMs: boundMs,
      raise: timeoutEnvName(boundName),
      observe: async () => {
        attempts += 1;
        last = await attempt();
        return last;
      },
      isDone: (observed) => observed.problem === undefined,
      describe: (observed) => observed.problem ?? 'ok',
      // Short pauses: collecting every backend takes several answers from kube-proxy's random choice, and a check
      // waits for its slowest probe.
      firstIntervalMs: 100,
      maxIntervalMs: 500,
    });
    return reportProbe({ line, ok: true, answer: done.answer, detail: '', attempts, durationMs: Date.now() - started });
  } catch (error) {
    const detail = error instanceof TimeoutError ? (last?.problem ?? error.message) : describeError(error);
    const bound = error instanceof TimeoutError ? ` (no success in ${attempts} attempts within ${boundMs}ms)` : '';
    return reportProbe({ line, ok: false, answer: last?.answer ?? '', detail: `${detail}${bound}`, attempts, durationMs: Date.now() - started });
  }
}
