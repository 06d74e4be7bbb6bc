// Smoke's judgements: does what the cluster reports hold the families of its variant? Built on the suite's family
// model (support/ip.ts on ipaddr.js, support/families.ts), so an IPv4-mapped or zoned address, or text that is no
// address at all, counts as neither family here exactly as it does for the suite. Each returns problems carrying
// the observed values (empty: as expected).
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { nodeAddressing } from '../../support/families.ts';
import { formatList, judgeClusterAddress, parseCidr, parseIp, type IpFamily } from '../../lib/ip.ts';
import { podIPsOf } from '../../support/judgements/objects.ts';

/**
 * How a list's families must match the wanted ones: `ordered`, one entry per family in the variant's order (the
 * primary first); `each`, one entry per family in any order; `covering`, every wanted family and no other, any count.
 */
type Match = 'ordered' | 'each' | 'covering';

const addressFamily = (text: string): string => {
  const judged = judgeClusterAddress(text);
  return judged.valid ? judged.family : 'invalid';
};
const cidrFamily = (text: string): string => parseCidr(text)?.family ?? 'invalid';

function judgeFamilies(what: string, values: readonly string[], want: readonly IpFamily[], match: Match, familyOf = addressFamily): string[] {
  const families = values.map(familyOf);
  const sorted = (list: readonly string[]): string => [...list].sort().join(',');
  const ok =
    match === 'ordered'
      ? families.join(',') === want.join(',')
      : match === 'each'
        ? sorted(families) === sorted(want)
        : sorted([...new Set(families)]) === sorted([...new Set(want)]);
  return ok ? [] : [`${what}=${formatList(values)} families=${formatList(families)}, expected ${formatList(want)}`];
}

export function judgeNodePodCidrs(node: V1Node, want: readonly IpFamily[]): string[] {
  const { name, podCIDRs } = nodeAddressing(node);
  return judgeFamilies(`node ${name}: spec.podCIDRs`, podCIDRs, want, 'ordered', cidrFamily);
}

export function judgeNodeInternalIps(node: V1Node, want: readonly IpFamily[]): string[] {
  const { name, internalIPs } = nodeAddressing(node);
  return judgeFamilies(`node ${name}: InternalIPs`, internalIPs, want, 'covering');
}

export function judgePodIps(pod: V1Pod, want: readonly IpFamily[]): string[] {
  return judgeFamilies(`pod ${pod.metadata?.name ?? '?'}: status.podIPs`, podIPsOf(pod), want, 'ordered');
}

export function judgeClusterIps(service: string, clusterIPs: readonly string[], want: readonly IpFamily[]): string[] {
  return judgeFamilies(`service ${service}: spec.clusterIPs`, clusterIPs, want, 'ordered');
}

/** Whether an address lies in a range written first-last (a MetalLB pool as cluster:up records it), same family. */
export function inAddressRange(address: string, range: string): boolean {
  const [first, last, extra] = range.split('-').map((part) => parseIp(part));
  const ip = parseIp(address);
  if (!ip || !first || !last || extra !== undefined || addressFamily(address) !== first.syntax || first.syntax !== last.syntax) return false;
  const bytes = (parsed: NonNullable<typeof ip>): string => parsed.address.toByteArray().map((b) => b.toString(16).padStart(2, '0')).join('');
  // Same-length hex strings of the same family order as the addresses do.
  return bytes(first) <= bytes(ip) && bytes(ip) <= bytes(last);
}

/** A LoadBalancer's ingress: one address of each wanted family, in any order. */
export function judgeLoadBalancerFamilies(service: string, ips: readonly string[], want: readonly IpFamily[]): string[] {
  return judgeFamilies(`service ${service}: status.loadBalancer.ingress`, ips, want, 'each');
}

/** A LoadBalancer's ingress addresses, each inside one of the pool's ranges (when the pool is known). */
export function judgeLoadBalancerPool(service: string, ips: readonly string[], pool: readonly string[] | undefined): string[] {
  const outside = pool ? ips.filter((ip) => !pool.some((range) => inAddressRange(ip, range))) : [];
  return outside.length === 0 ? [] : [`service ${service}: ingress=${formatList(ips)}: ${outside.join(', ')} outside the pool ${formatList(pool)}`];
}
