// Pure edits and readings the faults make of node files and command output: unit-tested without a cluster.
import { familyOf, parseCidr } from '../../lib/ip.ts';

interface IpamRange {
  subnet?: string;
}
interface Plugin {
  type?: string;
  ipam?: { type?: string; ranges?: IpamRange[][] };
}
interface Conflist {
  plugins?: Plugin[];
}

/** Every IPAM range subnet of a CNI conflist, in order. */
export function ipamSubnets(conflist: string): string[] {
  const parsed = JSON.parse(conflist) as Conflist;
  return (parsed.plugins ?? []).flatMap((plugin) => (plugin.ipam?.ranges ?? []).flatMap((set) => set.map((range) => range.subnet ?? '')));
}

const isIpv6Subnet = (subnet: string | undefined): boolean => parseCidr(subnet ?? '')?.family === 'IPv6';

/**
 * The conflist with every IPv6 range set removed from host-local IPAM: new pods then get IPv4 only. Throws when
 * there is no IPv6 range to remove (the fault would be a no-op) or nothing would be left.
 */
export function withoutIpv6Ranges(conflist: string): string {
  const parsed = JSON.parse(conflist) as Conflist;
  let removed = 0;
  for (const plugin of parsed.plugins ?? []) {
    const ranges = plugin.ipam?.ranges;
    if (!plugin.ipam || !ranges) continue;
    const kept = ranges.filter((set) => !set.some((range) => isIpv6Subnet(range.subnet)));
    removed += ranges.length - kept.length;
    if (kept.length === 0) throw new Error(`CNI plugin ${plugin.type ?? '?'} has IPv6 ranges only: removing them leaves no IPAM range`);
    plugin.ipam.ranges = kept;
  }
  if (removed === 0) throw new Error(`the CNI config has no IPv6 IPAM range to remove (subnets ${ipamSubnets(conflist).join(', ') || 'none'})`);
  return JSON.stringify(parsed, null, 2) + '\n';
}

const NODE_IP = /--node-ip=(\S*?)(?=["'\s]|$)/;

/** The addresses of kubelet's --node-ip flag in kubeadm-flags.env ([] when the flag is absent). */
export function nodeIps(flagsEnv: string): string[] {
  const match = NODE_IP.exec(flagsEnv);
  return match?.[1] ? match[1].split(',').filter(Boolean) : [];
}

/** kubeadm-flags.env with --node-ip holding its IPv4 address only; throws when there is no IPv6 one to drop. */
export function nodeIpIpv4Only(flagsEnv: string): string {
  const ips = nodeIps(flagsEnv);
  const ipv4 = ips.filter((ip) => familyOf(ip) === 'IPv4');
  if (ipv4.length === 0 || ipv4.length === ips.length) {
    throw new Error(`kubelet --node-ip is ${ips.join(',') || 'absent'}: no IPv4 and IPv6 pair to make IPv4-only`);
  }
  return flagsEnv.replace(NODE_IP, `--node-ip=${ipv4.join(',')}`);
}

/** The first half of an IPv6 CIDR, as one more specific route: fd00:10:244::/64 → fd00:10:244::/65. */
export function firstHalf(cidr: string): string {
  const parsed = parseCidr(cidr);
  if (!parsed || parsed.family !== 'IPv6' || parsed.prefixLength >= 128) throw new Error(`${cidr} is no IPv6 CIDR that can be halved`);
  return `${parsed.network.toString()}/${parsed.prefixLength + 1}`;
}

/**
 * Whether `rule` (an iptables -S line) is in `listing` before the first line containing `before`: a RETURN placed
 * after kube-proxy's jump would never be reached.
 */
export function ruleComesBefore(listing: string, rule: string, before: string): boolean {
  const lines = listing.split('\n').map((line) => line.trim());
  const at = lines.indexOf(rule);
  const other = lines.findIndex((line) => line.includes(before));
  return at >= 0 && (other < 0 || at < other);
}

/** Process state letters from /proc/<pid>/stat lines ("401 (kube-proxy) T 1 ..." → T). */
export function processStates(statLines: string): string[] {
  return statLines
    .split('\n')
    .filter(Boolean)
    .map((line) => line.slice(line.lastIndexOf(')') + 2, line.lastIndexOf(')') + 3));
}
