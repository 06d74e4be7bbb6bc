// Pod judgements: podIPs and hostIPs, their order and ranges, the downward API's MY_POD_IPS and /etc/hosts.
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { parseEnvOutput, splitCommaList } from '../env.ts';
import { nodeAddressing, type NodeAddressing } from '../families.ts';
import { mapsAddressToHostname, parseHostsFile } from '../hosts.ts';
import { cidrContains, familyOf, formatList, sameAddress, type IpFamily } from '../../lib/ip.ts';
import { hostIPsOf, podIPsOf, podIpOfFamily, podRef } from './objects.ts';
import { familiesOfList, oneOfEachFamily, prefixed } from './problems.ts';

export function judgePodIpFamilies(pod: V1Pod): string[] {
  const ips = podIPsOf(pod);
  const problems = oneOfEachFamily(ips, 'status.podIPs');
  if (ips.length > 2) problems.push(`${ips.length} addresses, expected two`);
  return prefixed(`${podRef(pod)}: status.podIPs=${formatList(ips)} families=${familiesOfList(ips)}`, problems);
}

export function judgePodIpFirst(pod: V1Pod): string[] {
  const ips = podIPsOf(pod);
  const podIP = pod.status?.podIP;
  if (podIP !== undefined && podIP === ips[0]) return [];
  return [`${podRef(pod)}: status.podIP=${podIP ?? '<unset>'} but status.podIPs=${formatList(ips)}; expected podIP == podIPs[0]`];
}

/** "node a [10.244.0.0/24, fd00:10:244::/64]; node b []": every node's podCIDRs, for messages. */
function describePodCidrs(nodes: readonly NodeAddressing[]): string {
  return nodes.map((node) => `node ${node.name} ${formatList(node.podCIDRs)}`).join('; ') || 'no node';
}

/**
 * The pod's address of the family against its node's podCIDRs. `nodes` (every node of the cluster) lets a failure say
 * which other node's block holds the address: an address from another node's range is a real fault (routes to it
 * lead to that node).
 */
export function judgePodIpInNodeCidr(pod: V1Pod, node: V1Node, family: IpFamily, nodes: readonly V1Node[] = [node]): string[] {
  const addressing = nodeAddressing(node);
  const ip = podIpOfFamily(pod, family);
  const cidrs = addressing.podCidrsByFamily[family];
  const where = `${podRef(pod)} on node ${addressing.name}: status.podIPs=${formatList(podIPsOf(pod))}, node spec.podCIDRs=${formatList(addressing.podCIDRs)}`;
  if (ip === undefined) return [`${where}; the pod has no ${family} address`];
  if (cidrs.some((cidr) => cidrContains(cidr, ip))) return [];
  const owners = nodes
    .map(nodeAddressing)
    .filter((other) => other.name !== addressing.name)
    .flatMap((other) => other.podCidrsByFamily[family].filter((cidr) => cidrContains(cidr, ip)).map((cidr) => `node ${other.name}'s ${cidr}`));
  const elsewhere = owners.length > 0 ? `; ${ip} lies in ${owners.join(', ')}: allocated from another node's block` : '';
  if (cidrs.length === 0) return [`${where}; the node has no ${family} pod CIDR${elsewhere}`];
  return [`${where}; ${ip} is outside ${formatList(cidrs)}${elsewhere}`];
}

/**
 * When the pod's address of the family lies in no node's podCIDRs, the CNI allocates addresses itself (Calico
 * IPPools, Cilium cluster-pool, cloud VPC IPAM): node podCIDRs say nothing about it, so the check has nothing to
 * judge. Returns that reason with the observed values, or undefined when node podCIDRs are in play (or the pod has
 * no address of the family, which the judgement itself fails).
 */
export function cniOwnedPodAddress(pod: V1Pod, nodes: readonly V1Node[], family: IpFamily): string | undefined {
  const ip = podIpOfFamily(pod, family);
  if (ip === undefined) return undefined;
  const addressing = nodes.map(nodeAddressing);
  if (addressing.some((node) => node.podCidrsByFamily[family].some((cidr) => cidrContains(cidr, ip)))) return undefined;
  return (
    `${podRef(pod)}: ${family} address ${ip} (status.podIPs=${formatList(podIPsOf(pod))}) lies in no node's spec.podCIDRs ` +
    `(${describePodCidrs(addressing)}): the CNI allocates pod addresses from its own pools, not from node IPAM`
  );
}

export function judgeHostIps(pod: V1Pod, node: V1Node): string[] {
  const hostIPs = hostIPsOf(pod);
  const addressing = nodeAddressing(node);
  const problems = oneOfEachFamily(hostIPs, 'status.hostIPs');
  for (const ip of hostIPs) {
    if (!addressing.internalIPs.some((internal) => sameAddress(internal, ip))) {
      problems.push(`${ip} is not an InternalIP of node ${addressing.name} ${formatList(addressing.internalIPs)}`);
    }
  }
  return prefixed(`${podRef(pod)}: status.hostIPs=${formatList(hostIPs)} families=${familiesOfList(hostIPs)}`, problems);
}

export function judgeEnvPodIps(envOutput: string, pod: V1Pod, variable = 'MY_POD_IPS'): string[] {
  const value = parseEnvOutput(envOutput).get(variable);
  const ips = podIPsOf(pod);
  const expected = ips.join(',');
  if (value === undefined) return [`${podRef(pod)}: env has no ${variable}; expected ${variable}=${expected}`];
  const listed = splitCommaList(value);
  const problems: string[] = [];
  if (listed.length !== ips.length || listed.some((ip, index) => ips[index] !== ip)) {
    problems.push(`expected ${variable}=${expected} (status.podIPs joined in order)`);
  }
  problems.push(...oneOfEachFamily(listed, variable));
  return prefixed(`${podRef(pod)}: ${variable}=${value}, status.podIPs=${formatList(ips)}`, problems);
}

export function judgeEtcHostsHeader(content: string, pod: V1Pod): string[] {
  const hosts = parseHostsFile(content);
  if (hosts.managedBy === 'kubelet') return [];
  const firstLine = content.split('\n')[0] ?? '';
  return [`${podRef(pod)}: /etc/hosts starts with "${firstLine}"; expected "# Kubernetes-managed hosts file."`];
}

/** The hostname the kubelet writes into /etc/hosts: spec.hostname, else the pod name. */
export function podHostname(pod: V1Pod): string {
  return pod.spec?.hostname ?? pod.metadata?.name ?? '';
}

export function judgeEtcHostsFamily(content: string, pod: V1Pod, family: IpFamily): string[] {
  const ip = podIpOfFamily(pod, family);
  const hostname = podHostname(pod);
  const where = `${podRef(pod)}: status.podIPs=${formatList(podIPsOf(pod))}`;
  if (ip === undefined) return [`${where}; the pod has no ${family} address to find in /etc/hosts`];
  if (mapsAddressToHostname(parseHostsFile(content), ip, hostname)) return [];
  const lines = content.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#'));
  return [`${where}; /etc/hosts has no line "${ip} ... ${hostname}"; its lines: ${lines.join(' | ')}`];
}

export function judgeHostNetworkPodIps(pod: V1Pod, node: V1Node): string[] {
  const ips = podIPsOf(pod);
  const addressing = nodeAddressing(node);
  const problems = oneOfEachFamily(ips, 'status.podIPs');
  for (const family of ['IPv4', 'IPv6'] as const) {
    const podIp = ips.find((ip) => familyOf(ip) === family);
    const nodeIps = addressing.internalIpsByFamily[family];
    if (podIp !== undefined && !nodeIps.some((nodeIp) => sameAddress(nodeIp, podIp))) {
      problems.push(`${family} podIP ${podIp} is not node ${addressing.name}'s ${family} InternalIP ${formatList(nodeIps)}`);
    }
  }
  return prefixed(
    `${podRef(pod)} (hostNetwork) on node ${addressing.name}: status.podIPs=${formatList(ips)}, node InternalIPs=${formatList(addressing.internalIPs)}`,
    problems,
  );
}
