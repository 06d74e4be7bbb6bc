// Every address and CIDR judgement of the suite goes through this module, built on ipaddr.js (never a regex).
//
// Decisions, documented in docs/addresses.md:
// - IPv4 is accepted only in four-part decimal form without leading zeros ("10.0.0.1"), the only form Kubernetes
//   writes; ipaddr.js alone would also accept "010.0.0.1", "0x7f.1" or "1.2.3".
// - IPv6 is accepted compressed or expanded; two spellings of one address compare equal.
// - An IPv4-mapped IPv6 address (::ffff:10.0.0.1) is NOT a valid IPv6 cluster address: it carries IPv4 traffic, so a
//   pod or Service holding one has no IPv6 connectivity. It is reported as "IPv4-mapped IPv6", never counted as
//   either family.
// - An address with a zone id (fe80::1%eth0) is link-local to one interface and never a valid cluster address.
import ipaddr from 'ipaddr.js';

export type IpFamily = 'IPv4' | 'IPv6';
export const ALL_FAMILIES: readonly IpFamily[] = ['IPv4', 'IPv6'];

type ParsedAddress = ipaddr.IPv4 | ipaddr.IPv6;

export interface ParsedIp {
  /** The text as given. */
  readonly text: string;
  /** Syntactic family: an IPv4-mapped address is syntactically IPv6. */
  readonly syntax: IpFamily;
  /** RFC 5952 form for IPv6, dotted decimal for IPv4 (zone id excluded). */
  readonly canonical: string;
  readonly zoneId: string | undefined;
  readonly ipv4Mapped: boolean;
  readonly address: ParsedAddress;
}

/** Parses an address in any textual form Kubernetes may print; undefined when it is not an address at all. */
export function parseIp(text: string): ParsedIp | undefined {
  const trimmed = text.trim();
  if (ipaddr.IPv4.isValidFourPartDecimal(trimmed)) {
    const address = ipaddr.IPv4.parse(trimmed);
    return { text, syntax: 'IPv4', canonical: address.toString(), zoneId: undefined, ipv4Mapped: false, address };
  }
  if (!ipaddr.IPv6.isValid(trimmed)) return undefined;
  const address = ipaddr.IPv6.parse(trimmed);
  const zoneId = address.zoneId;
  const withoutZone = new ipaddr.IPv6(address.parts);
  return {
    text,
    syntax: 'IPv6',
    canonical: withoutZone.toRFC5952String(),
    zoneId,
    ipv4Mapped: address.isIPv4MappedAddress(),
    address: withoutZone,
  };
}

export type AddressJudgement =
  | { readonly valid: true; readonly family: IpFamily; readonly canonical: string; readonly text: string }
  | { readonly valid: false; readonly text: string; readonly reason: string };

/** Judges an address a cluster reports (pod, host, node or cluster IP): its family, or why it counts as neither. */
export function judgeClusterAddress(text: string): AddressJudgement {
  const parsed = parseIp(text);
  if (!parsed) return { valid: false, text, reason: `"${text}" is not an IP address` };
  if (parsed.zoneId !== undefined) {
    return { valid: false, text, reason: `${text} carries a zone id (%${parsed.zoneId}); a cluster address has none` };
  }
  if (parsed.ipv4Mapped) {
    return {
      valid: false,
      text,
      reason: `${text} is an IPv4-mapped IPv6 address, which carries IPv4 traffic: it counts as neither IPv4 nor IPv6`,
    };
  }
  return { valid: true, family: parsed.syntax, canonical: parsed.canonical, text };
}

/** The family of a valid cluster address, or undefined (not an address, IPv4-mapped, zone id). */
export function familyOf(text: string): IpFamily | undefined {
  const judgement = judgeClusterAddress(text);
  return judgement.valid ? judgement.family : undefined;
}

/** True when both texts are the same address (compressed and expanded IPv6 spellings are equal). */
export function sameAddress(a: string, b: string): boolean {
  const pa = parseIp(a);
  const pb = parseIp(b);
  if (!pa || !pb || pa.syntax !== pb.syntax) return false;
  return pa.canonical === pb.canonical && pa.zoneId === pb.zoneId;
}

export interface ParsedCidr {
  readonly text: string;
  readonly family: IpFamily;
  readonly network: ParsedAddress;
  readonly prefixLength: number;
}

/** Parses "10.244.1.0/24" or "fd00:10:244:1::/64"; undefined when malformed. */
export function parseCidr(text: string): ParsedCidr | undefined {
  const trimmed = text.trim();
  const slash = trimmed.lastIndexOf('/');
  if (slash < 0) return undefined;
  const base = parseIp(trimmed.slice(0, slash));
  if (!base || base.zoneId !== undefined || base.ipv4Mapped) return undefined;
  if (!ipaddr.isValidCIDR(trimmed)) return undefined;
  const [network, prefixLength] = ipaddr.parseCIDR(trimmed);
  return { text, family: base.syntax, network, prefixLength };
}

/** True when the address lies inside the CIDR; false across families (an IPv4-mapped address is never inside). */
export function cidrContains(cidr: string | ParsedCidr, address: string): boolean {
  const range = typeof cidr === 'string' ? parseCidr(cidr) : cidr;
  const judged = judgeClusterAddress(address);
  if (!range || !judged.valid || judged.family !== range.family) return false;
  const parsed = parseIp(address);
  if (!parsed) return false;
  if (parsed.address.kind() === 'ipv4' && range.network.kind() === 'ipv4') {
    return parsed.address.match(range.network, range.prefixLength);
  }
  if (parsed.address.kind() === 'ipv6' && range.network.kind() === 'ipv6') {
    return parsed.address.match(range.network, range.prefixLength);
  }
  return false;
}

/** The host part of a URL or `host:port` for an address: IPv6 in brackets ("[fd00::1]"), IPv4 as is. */
export function bracketHost(address: string): string {
  const parsed = parseIp(address);
  if (!parsed) throw new Error(`bracketHost: "${address}" is not an IP address`);
  if (parsed.syntax === 'IPv4') return parsed.canonical;
  // A zone id in a URL is percent-encoded (RFC 6874).
  return parsed.zoneId === undefined ? `[${parsed.canonical}]` : `[${parsed.canonical}%25${parsed.zoneId}]`;
}

/** `10.0.0.1:80` or `[fd00::1]:80`. */
export function joinHostPort(address: string, port: number): string {
  return `${bracketHost(address)}:${port}`;
}

/** Splits `10.0.0.1:80`, `[fd00::1]:80` or `[fe80::1%eth0]:80`; undefined when the host is not an address. */
export function splitHostPort(text: string): { address: string; port: number } | undefined {
  let host: string;
  let portText: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0 || text[close + 1] !== ':') return undefined;
    host = text.slice(1, close).replace('%25', '%');
    portText = text.slice(close + 2);
  } else {
    const colon = text.lastIndexOf(':');
    if (colon < 0) return undefined;
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    // An unbracketed IPv6 address has more colons: its port is ambiguous, so refuse it.
    if (host.includes(':')) return undefined;
  }
  const port = Number(portText);
  if (!/^\d{1,5}$/.test(portText) || port > 65535 || !parseIp(host)) return undefined;
  return { address: host, port };
}

/** Groups addresses by family; invalid ones (IPv4-mapped, zone ids, garbage) are listed apart with their reason. */
export function partitionByFamily(addresses: readonly string[]): {
  IPv4: string[];
  IPv6: string[];
  invalid: { text: string; reason: string }[];
} {
  const result = { IPv4: [] as string[], IPv6: [] as string[], invalid: [] as { text: string; reason: string }[] };
  for (const text of addresses) {
    const judged = judgeClusterAddress(text);
    if (judged.valid) result[judged.family].push(text);
    else result.invalid.push({ text, reason: judged.reason });
  }
  return result;
}

/** "ipv4" / "ipv6", the spelling used in check ids and CLI flags. */
export function familySlug(family: IpFamily): 'ipv4' | 'ipv6' {
  return family === 'IPv4' ? 'ipv4' : 'ipv6';
}

export function parseFamilySlug(text: string): IpFamily | undefined {
  const lower = text.trim().toLowerCase();
  if (lower === 'ipv4' || lower === '4') return 'IPv4';
  if (lower === 'ipv6' || lower === '6') return 'IPv6';
  return undefined;
}

export function otherFamily(family: IpFamily): IpFamily {
  return family === 'IPv4' ? 'IPv6' : 'IPv4';
}

/** Formats a list of addresses the way failure messages print them: `[10.96.0.10, fd00:10:96::a]`. */
export function formatList(values: readonly string[] | undefined): string {
  return `[${(values ?? []).join(', ')}]`;
}

/** A CIDR as its network in canonical form ("172.18.0.5/16" -> "172.18.0.0/16"); undefined when malformed. */
export function networkCidr(text: string): string | undefined {
  const parsed = parseCidr(text);
  if (!parsed) return undefined;
  const network =
    parsed.family === 'IPv4'
      ? ipaddr.IPv4.networkAddressFromCIDR(text.trim()).toString()
      : ipaddr.IPv6.networkAddressFromCIDR(text.trim()).toRFC5952String();
  return `${network}/${parsed.prefixLength}`;
}
