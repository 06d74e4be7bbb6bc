// Probes sent from inside the cluster: exec into a fixture pod, never a packet from the host to pod or Service
// networks.
import type { V1Pod } from '@kubernetes/client-node';
import { parseNslookupOutput } from '../dns.ts';
import { describeError, TimeoutError } from '../../lib/errors.ts';
import { execInPod, summarizeExec, type ExecResult } from '../exec.ts';
import type { ProbeProtocol } from '../expectations.ts';
import type { Clients } from '../k8s.ts';
import type { Timeouts } from '../timeouts.ts';
import { waitFor } from '../../lib/wait.ts';
import { burstAnswers, burstCommand, feedAnswers, groupBurstAnswers, groupBurstCommand, REQUESTS_PER_ATTEMPT, tallyAnswers } from './burst.ts';
import { probeLine, reportProbe, retryProbe, type ProbeDestination, type ProbeOutcome, type ProbeSource } from './retry.ts';
import { timeoutEnvName } from '../timeouts.ts';

function execTarget(pod: V1Pod): { namespace: string; pod: string; container: string } {
  return {
    namespace: pod.metadata?.namespace ?? '',
    pod: pod.metadata?.name ?? '',
    container: pod.spec?.containers[0]?.name ?? '',
  };
}

function retryExec(
  clients: Clients,
  source: ProbeSource,
  line: string,
  command: readonly string[],
  judge: (result: ExecResult) => { answer: string; problem: string | undefined },
  boundMs: number,
  boundName: 'connectivity' | 'dns',
  attemptMs: number,
): Promise<ProbeOutcome> {
  return retryProbe(
    line,
    async () => judge(await execInPod(clients.kubeConfig, { ...execTarget(source.pod), command, timeoutMs: attemptMs })),
    boundMs,
    boundName,
  );
}

export interface GroupTarget {
  readonly destination: ProbeDestination;
  /** Takes one answer; returns the problem still standing, or undefined once this destination is done. */
  readonly accept: (hostname: string) => string | undefined;
}

/**
 * Several destinations from one source, one exec per attempt for all those not done yet: the probes of a check
 * that share a source cost one exec per attempt instead of one each (execs are what a small cluster runs out of).
 * Each destination gets its own outcome and line, as if probed alone.
 */
export async function hostnameProbeGroup(
  clients: Clients,
  timeouts: Timeouts,
  source: ProbeSource,
  targets: readonly GroupTarget[],
  protocol: ProbeProtocol,
): Promise<ProbeOutcome[]> {
  const started = Date.now();
  const states = targets.map((target) => ({
    line: `${probeLine(source, target.destination)}${protocol === 'udp' ? ' udp' : ''}`,
    attempts: 0,
    answer: '',
    problem: 'not probed' as string | undefined,
    durationMs: 0,
  }));
  const open = (): number[] => states.flatMap((state, index) => (state.problem === undefined ? [] : [index]));
  try {
    await waitFor({
      what: `${probeLine(source, targets[0]?.destination ?? { label: '-', address: '-', port: 0 })} and ${targets.length - 1} more`,
      timeoutMs: timeouts.connectivity,
      raise: timeoutEnvName('connectivity'),
      observe: async () => {
        const indexes = open();
        const command = groupBurstCommand(indexes.map((index) => targets[index]!.destination), protocol);
        const result = await execInPod(clients.kubeConfig, { ...execTarget(source.pod), command, timeoutMs: timeouts.probeAttempt });
        const answers = groupBurstAnswers(result.stdout, indexes.length);
        indexes.forEach((index, position) => {
          const state = states[index]!;
          const fed = feedAnswers(answers[position] ?? [], targets[index]!.accept);
          state.attempts += 1;
          state.answer = fed.answer;
          const each = protocol === 'udp' ? 'UDP requests (1s each)' : 'requests (1s each)';
          const problem = fed.answered === 0 ? `no answer to ${REQUESTS_PER_ATTEMPT} ${each}: ${summarizeExec(result)}` : fed.problem;
          state.problem = problem;
          if (problem === undefined) state.durationMs = Date.now() - started;
        });
        return open().length;
      },
      isDone: (remaining) => remaining === 0,
      describe: (remaining) => `${remaining} destination(s) not done`,
      firstIntervalMs: 100,
      maxIntervalMs: 500,
    });
  } catch (error) {
    if (!(error instanceof TimeoutError)) {
      for (const index of open()) states[index]!.problem = describeError(error);
    }
  }
  return states.map((state) =>
    reportProbe({
      line: state.line,
      ok: state.problem === undefined,
      answer: state.answer,
      detail: state.problem === undefined ? '' : `${state.problem} (no success in ${state.attempts} attempts within ${timeouts.connectivity}ms)`,
      attempts: state.attempts,
      durationMs: state.problem === undefined ? state.durationMs : Date.now() - started,
    }),
  );
}

/**
 * `count` HTTP GETs of /hostname in a row from one pod, in one exec (one source address, requests close together),
 * until `judge` of the answers returns no problem; a request that failed is the answer FAILED_REQUEST.
 */
export function repeatedHttpProbe(
  clients: Clients,
  timeouts: Timeouts,
  source: ProbeSource,
  destination: ProbeDestination,
  count: number,
  judge: (answers: readonly string[]) => string | undefined,
): Promise<ProbeOutcome> {
  return retryExec(
    clients,
    source,
    `${probeLine(source, destination)} x${count}`,
    burstCommand(destination, 'tcp', count),
    (result) => {
      const answers = burstAnswers(result.stdout);
      const answer = tallyAnswers(answers);
      if (result.exitCode !== 0) return { answer, problem: summarizeExec(result) };
      return { answer, problem: judge(answers) };
    },
    timeouts.connectivity,
    'connectivity',
    // Each request may take its second (`timeout 1`): the burst gets that on top of one command's bound.
    timeouts.probeAttempt + count * 1_000,
  );
}

/**
 * One in-cluster nslookup: its addresses, and the problem, if any. NXDOMAIN, a server error (SERVFAIL, REFUSED) or a
 * failed exec is one; otherwise `judge` decides on the addresses.
 */
export function judgeDnsExec(result: ExecResult, judge: (addresses: string[]) => string | undefined): { answer: string; problem: string | undefined } {
  const parsed = parseNslookupOutput(result.stdout);
  const answer = `[${parsed.addresses.join(', ')}]`;
  if (result.exitCode === undefined) return { answer, problem: summarizeExec(result) };
  if (parsed.notFound || parsed.serverError !== undefined) {
    return { answer, problem: `${parsed.serverError ?? 'NXDOMAIN'}: ${result.stdout.trim().split('\n').pop() ?? ''}` };
  }
  if (result.exitCode !== 0 && parsed.addresses.length === 0) return { answer, problem: summarizeExec(result) };
  return { answer, problem: judge(parsed.addresses) };
}

/** nslookup -type=a|aaaa <fqdn> until `judge` returns no problem; the answer is the list of addresses. */
export function dnsProbe(
  clients: Clients,
  timeouts: Timeouts,
  source: ProbeSource,
  nameserver: ProbeDestination,
  name: string,
  recordType: 'A' | 'AAAA',
  judge: (addresses: string[]) => string | undefined,
): Promise<ProbeOutcome> {
  return retryExec(
    clients,
    source,
    `${probeLine(source, nameserver)} ${recordType} ${name}`,
    ['nslookup', `-type=${recordType.toLowerCase()}`, name],
    (result) => judgeDnsExec(result, judge),
    timeouts.dns,
    'dns',
    timeouts.probeAttempt,
  );
}
