// Probes sent from inside the cluster (exec into a fixture pod; never a packet from the host to pod or Service
// networks); the off-cluster client (support/offcluster.ts) shares the retry and the line format. Each retries within its bound until the expectation holds, because dataplane and DNS programming lag
// object creation, and prints one line `src (ip) -> dst ([ip]:port): outcome`.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { V1Pod } from '@kubernetes/client-node';
import { parseNslookupOutput } from './dns.ts';
import { describeError, TimeoutError } from '../lib/errors.ts';
import { execInPod, summarizeExec, type ExecResult } from './exec.ts';
import type { ProbeProtocol } from './expectations.ts';
import { joinHostPort, parseIp } from '../lib/ip.ts';
import type { Clients } from './k8s.ts';
import type { Timeouts } from './timeouts.ts';
import { waitFor } from '../lib/wait.ts';

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

function report(outcome: ProbeOutcome): ProbeOutcome {
  const tries = `${outcome.attempts} attempt${outcome.attempts === 1 ? '' : 's'}, ${outcome.durationMs}ms`;
  const text = outcome.ok ? `ok: ${outcome.answer} (${tries})` : `FAILED: ${outcome.detail}`;
  printProbeLine(`${outcome.line}: ${text}`);
  return outcome;
}

function execTarget(pod: V1Pod): { namespace: string; pod: string; container: string } {
  return {
    namespace: pod.metadata?.namespace ?? '',
    pod: pod.metadata?.name ?? '',
    container: pod.spec?.containers[0]?.name ?? '',
  };
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
      timeoutName: boundName,
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
    return report({ line, ok: true, answer: done.answer, detail: '', attempts, durationMs: Date.now() - started });
  } catch (error) {
    const detail = error instanceof TimeoutError ? (last?.problem ?? error.message) : describeError(error);
    const bound = error instanceof TimeoutError ? ` (no success in ${attempts} attempts within ${boundMs}ms)` : '';
    return report({ line, ok: false, answer: last?.answer ?? '', detail: `${detail}${bound}`, attempts, durationMs: Date.now() - started });
  }
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

/** Requests per attempt of a hostname probe: one exec asks several times, so one attempt usually sees every backend. */
export const REQUESTS_PER_ATTEMPT = 4;

/** The answer of one request of a burst that got none. */
export const FAILED_REQUEST = '(failed)';

/**
 * Asks dst for its hostname `count` times in one exec, one line per request: HTTP GET /hostname with busybox `wget`
 * under `timeout 1` (busybox 1.35's own `wget -T` crashes), or the datagram "hostname" to the UDP serve-hostname with
 * `nc -u -w 1` (openbsd netcat, as in upstream's agnhost image). The address is checked to be an IP and the port and
 * count numbers before they go into the shell line.
 */
export function burstCommand(destination: ProbeDestination, protocol: ProbeProtocol, count: number): string[] {
  if (!Number.isInteger(count)) throw new Error(`not a count: ${count}`);
  return ['sh', '-c', `for i in $(seq ${count}); do ${oneRequest(destination, protocol)} || printf '${FAILED_REQUEST}'; echo; done`];
}

/** One request for the hostname as a shell command; only a checked IP and port number go into it. */
function oneRequest(destination: ProbeDestination, protocol: ProbeProtocol): string {
  if (!parseIp(destination.address) || !Number.isInteger(destination.port)) {
    throw new Error(`not an IP, port and count: ${destination.address} ${destination.port}`);
  }
  return protocol === 'udp'
    ? `echo hostname | nc -u -w 1 ${destination.address} ${destination.port}`
    : `timeout 1 wget -q -O - 'http://${joinHostPort(destination.address, destination.port)}/hostname'`;
}

/** One answer per request of a burst; a request without output (a UDP datagram nobody answered) failed. */
export function burstAnswers(stdout: string): string[] {
  const lines = stdout.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.map((line) => line.trim() || FAILED_REQUEST);
}

/** "backend-a x8, backend-b x7": who answered how often, in order of first answer. */
export function tallyAnswers(answers: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const answer of answers) counts.set(answer, (counts.get(answer) ?? 0) + 1);
  return [...counts].map(([name, count]) => `${name} x${count}`).join(', ') || 'no answer';
}

/**
 * Gives every answer of an attempt (failed requests left out) to `accept`; the problem is the one `accept` left
 * standing after the last answer, undefined when `answered` is 0 (the caller says why nobody answered).
 */
export function feedAnswers(
  answers: readonly string[],
  accept: (hostname: string) => string | undefined,
): { answer: string; answered: number; problem: string | undefined } {
  const answered = answers.filter((answer) => answer !== FAILED_REQUEST);
  let problem: string | undefined;
  for (const answer of answered) problem = accept(answer);
  return { answer: tallyAnswers(answers), answered: answered.length, problem };
}

/**
 * Every destination asked REQUESTS_PER_ATTEMPT times in one exec, all requests at once (background jobs): an attempt
 * lasts about one request (`nc -u -w 1` always waits its second), whatever the number of destinations. Each answer
 * line is `<index> <answer>`; one short echo is one write, so lines of parallel jobs do not mix.
 */
export function groupBurstCommand(destinations: readonly ProbeDestination[], protocol: ProbeProtocol): string[] {
  const jobs = destinations.map(
    (destination, index) =>
      `for i in $(seq ${REQUESTS_PER_ATTEMPT}); do (a=$(${oneRequest(destination, protocol)}) || a=''; echo "${index} \${a:-${FAILED_REQUEST}}") & done`,
  );
  return ['sh', '-c', [...jobs, 'wait'].join('\n')];
}

/** The answers of a group burst, per destination index. */
export function groupBurstAnswers(stdout: string, count: number): string[][] {
  const answers: string[][] = Array.from({ length: count }, () => []);
  for (const line of stdout.split('\n')) {
    const match = /^(\d+) (.*)$/.exec(line.trim());
    const index = match ? Number(match[1]) : NaN;
    if (match && index < count) answers[index]!.push(match[2]!.trim() || FAILED_REQUEST);
  }
  return answers;
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
      timeoutName: 'connectivity',
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
    report({
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
