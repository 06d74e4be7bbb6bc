// The shell lines that ask destinations for their hostname, several requests per attempt, and how their output
// reads. Pure, so the quoting and the parsing are unit-tested.
import type { ProbeProtocol } from '../expectations.ts';
import { joinHostPort, parseIp } from '../../lib/ip.ts';
import type { ProbeDestination } from './retry.ts';

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
