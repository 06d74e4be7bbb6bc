// The off-cluster client's probes as argv (no shell) and what their output says. Pure, so every tool's answer and
// failure is unit-tested. They use only what both upstream's alpine-based agnhost and the offline build (Debian's
// busybox 1.35 and BIND tools) have: sh, `timeout`, `wget -q -O -` (not `wget -T`, which crashes in busybox 1.35) and
// `nslookup` (BIND's in both).
import { parseNslookupOutput } from '../dns.ts';
import { cidrContains, familyOf, joinHostPort, parseCidr, parseIp, type IpFamily } from '../../lib/ip.ts';
import { feedAnswers, groupBurstAnswers, REQUESTS_PER_ATTEMPT } from '../probes/burst.ts';
import { formatDuration } from '../../lib/log.ts';

/**
 * Why an off-cluster probe must not be sent to this address, or undefined when it may: it must lie inside a subnet of
 * the client's docker network and outside every pod and Service CIDR of the cluster.
 */
export function judgeOffclusterTarget(address: string, subnets: readonly string[], clusterCidrs: readonly string[]): string | undefined {
  const parsed = parseIp(address);
  if (!parsed || parsed.zoneId !== undefined || parsed.ipv4Mapped) return `${address} is no plain IP address: not probed from off-cluster`;
  const forbidden = clusterCidrs.find((cidr) => cidrContains(cidr, address));
  if (forbidden !== undefined) return `${address} lies in the cluster's CIDR ${forbidden}: never probed from off-cluster`;
  if (!subnets.some((subnet) => parseCidr(subnet) !== undefined && cidrContains(subnet, address))) {
    return `${address} is outside the off-cluster network's subnets [${subnets.join(', ')}]: not probed from off-cluster`;
  }
  return undefined;
}

/**
 * An off-cluster GET as an argv (no shell): busybox/GNU `timeout` bounds busybox `wget`, whose own `-T` crashes in
 * busybox 1.35; the URL brackets an IPv6 address. The address has passed judgeOffclusterTarget (a plain IP).
 */
export function httpGetCommand(address: string, port: number, timeoutSeconds: number): string[] {
  return ['timeout', String(timeoutSeconds), 'wget', '-q', '-O', '-', `http://${joinHostPort(address, port)}/hostname`];
}

/** Multi-line tool output as one line for a message. */
export function oneLine(text: string): string {
  return text.trim().replace(/\s*\n\s*/g, '; ');
}

/** `timeout` exits 124 when it had to stop the command (coreutils, newer busybox); busybox 1.35 exits 143. */
const TIMED_OUT_EXIT_CODES: readonly number[] = [124, 143];

/** What one `timeout wget` attempt says: the body, or why there is none (timeout, refused, HTTP error). */
export function judgeHttpGet(
  result: { exitCode: number; stdout: string; stderr: string },
  timeoutSeconds: number,
): { answer: string; problem: string | undefined } {
  const answer = result.stdout.trim();
  if (result.exitCode === 0) return { answer, problem: undefined };
  const stderr = oneLine(result.stderr);
  const why = TIMED_OUT_EXIT_CODES.includes(result.exitCode) ? `no answer within ${formatDuration(timeoutSeconds * 1000)}` : `exit ${result.exitCode}`;
  return { answer, problem: `${why}${stderr ? `: ${stderr}` : ''}` };
}

/**
 * What one `timeout sh -c '<REQUESTS_PER_ATTEMPT datagrams at once with nc -u>'` attempt says: every answer is given
 * to `accept` (the problem it leaves standing is the attempt's), no answer at all is the problem.
 */
export function judgeUdpBurst(
  result: { exitCode: number; stdout: string; stderr: string },
  accept: (hostname: string) => string | undefined,
): { answer: string; problem: string | undefined } {
  const fed = feedAnswers(groupBurstAnswers(result.stdout, 1)[0] ?? [], accept);
  if (fed.answered > 0) return { answer: fed.answer, problem: fed.problem };
  const stderr = oneLine(result.stderr);
  return { answer: '', problem: `no UDP answer to ${REQUESTS_PER_ATTEMPT} requests (1s each, exit ${result.exitCode})${stderr ? `: ${stderr}` : ''}` };
}

/**
 * `nslookup -type=A|AAAA <name>.` under `timeout`, as an argv: the trailing dot keeps the client's search list from
 * changing the question. busybox's and BIND's nslookup both take `-type=`.
 */
export function nslookupCommand(hostname: string, type: 'A' | 'AAAA', timeoutSeconds: number): string[] {
  const absolute = hostname.endsWith('.') ? hostname : `${hostname}.`;
  return ['timeout', String(timeoutSeconds), 'nslookup', `-type=${type}`, absolute];
}

/**
 * One nslookup's answers of the asked family, or why the lookup failed. A name without the record (NXDOMAIN, "no
 * answer") is an empty answer, not a failure: busybox and BIND exit non-zero then too, so the output decides. A server
 * that answers SERVFAIL or REFUSED has said nothing about the name: that is a failure.
 */
export function judgeNslookup(
  type: 'A' | 'AAAA',
  result: { exitCode: number; stdout: string; stderr: string },
  timeoutSeconds: number,
): { addresses: string[]; error: string | undefined } {
  const family: IpFamily = type === 'A' ? 'IPv4' : 'IPv6';
  const parsed = parseNslookupOutput(result.stdout);
  const addresses = parsed.addresses.filter((address) => familyOf(address) === family);
  if (addresses.length > 0) return { addresses, error: undefined };
  if (parsed.serverError !== undefined) return { addresses, error: `${type}: the DNS server answered ${parsed.serverError}` };
  if (result.exitCode === 0 || parsed.notFound || /no answer/i.test(`${result.stdout}\n${result.stderr}`)) return { addresses, error: undefined };
  if (TIMED_OUT_EXIT_CODES.includes(result.exitCode)) return { addresses, error: `${type}: no answer within ${formatDuration(timeoutSeconds * 1000)}` };
  const detail = oneLine(result.stderr.trim() || result.stdout);
  return { addresses, error: `${type}: exit ${result.exitCode}${detail ? `: ${detail}` : ''}` };
}
