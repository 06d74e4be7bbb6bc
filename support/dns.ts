// Parsing of `nslookup` output (busybox 1.35's, and BIND's, which both upstream's and the offline agnhost image ship)
// and of a pod's /etc/resolv.conf. Both nslookups print a server block, a blank line, then `Name:`/`Address:` lines
// per answer.
import { parseIp } from '../lib/ip.ts';

export interface NslookupAnswer {
  /** Addresses in the answer section, as printed. */
  readonly addresses: string[];
  /** True when the server said the name does not exist (NXDOMAIN). */
  readonly notFound: boolean;
  /**
   * The server's error code when it answered with one other than NXDOMAIN (SERVFAIL, REFUSED, ...): it could not say
   * whether the name has records, so this is a failure, not an empty answer.
   */
  readonly serverError: string | undefined;
}

// Both nslookups print a failed question as "** server can't find <name>: <RCODE>" (a name that exists without a
// record of the asked type is BIND's "*** Can't find <name>: No answer", or an empty answer from busybox).
const SERVER_CANT_FIND = /^\*\* server can't find .*: ([A-Z]+)$/;

export function parseNslookupOutput(output: string): NslookupAnswer {
  const lines = output.split(/\r?\n/);
  const firstBlank = lines.findIndex((line) => line.trim() === '');
  // Without a blank line there is no server block to skip (some builds omit it on errors).
  const answerLines = firstBlank >= 0 ? lines.slice(firstBlank + 1) : lines;
  const addresses: string[] = [];
  let notFound = false;
  let serverError: string | undefined;
  for (const line of answerLines) {
    const trimmed = line.trim();
    const rcode = SERVER_CANT_FIND.exec(trimmed)?.[1];
    if (rcode === 'NXDOMAIN') notFound = true;
    else if (rcode !== undefined) serverError ??= rcode;
    // "Address: 10.96.0.1" (both) or "Address 1: 10.96.0.1" (older busybox).
    if (!trimmed.startsWith('Address')) continue;
    const colon = trimmed.indexOf(':');
    if (colon < 0) continue;
    const value = trimmed.slice(colon + 1).trim();
    const candidate = value.split(/\s+/)[0] ?? '';
    if (parseIp(candidate)) addresses.push(candidate);
  }
  return { addresses, notFound, serverError };
}

export interface ResolvConf {
  readonly nameservers: string[];
  readonly search: string[];
  readonly options: string[];
}

export function parseResolvConf(content: string): ResolvConf {
  const result: ResolvConf = { nameservers: [], search: [], options: [] };
  for (const raw of content.split('\n')) {
    const line = raw.split('#')[0]?.trim() ?? '';
    const [keyword, ...values] = line.split(/\s+/);
    if (keyword === 'nameserver' && values[0] !== undefined) result.nameservers.push(values[0]);
    if (keyword === 'search') result.search.splice(0, result.search.length, ...values);
    if (keyword === 'options') result.options.push(...values);
  }
  return result;
}

/**
 * The cluster DNS domain, read from a pod's search list: the kubelet writes `<namespace>.svc.<domain>` first.
 * Undefined when the list does not have that shape (custom dnsConfig).
 */
export function clusterDomainFromSearch(search: readonly string[], namespace: string): string | undefined {
  const prefix = `${namespace}.svc.`;
  const first = search.find((entry) => entry.startsWith(prefix));
  const domain = first?.slice(prefix.length).replace(/\.$/, '');
  return domain === undefined || domain === '' ? undefined : domain;
}

/** Fully-qualified Service name with a trailing dot, so no search-list expansion can change the question. */
export function serviceFqdn(service: string, namespace: string, clusterDomain: string): string {
  return `${service}.${namespace}.svc.${clusterDomain}.`;
}
