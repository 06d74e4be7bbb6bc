// The judgements behind the checks, as pure functions over API objects and command output: each returns the
// problems it found (empty = pass), every problem naming the object and printing observed vs expected values.
// Specs gather the observations; these decide. Keeping them pure lets unit tests feed real-shaped objects.
import type { V1EndpointSlice, V1Node, V1Pod, V1Service } from '@kubernetes/client-node';
import { parseEnvOutput, splitCommaList } from './env.ts';
import {
  describeExcludedNodes,
  nodeAddressing,
  noNodeSelected,
  type ExcludedNode,
  type NodeAddressing,
  type ServiceRanges,
} from './families.ts';
import { mapsAddressToHostname, parseHostsFile } from './hosts.ts';
import {
  describeResolution,
  externalAddresses,
  ingressAddresses,
  ingressHostnames,
  type HostnameResolution,
} from './loadbalancer.ts';
import {
  cidrContains,
  familyOf,
  formatList,
  judgeClusterAddress,
  parseCidr,
  partitionByFamily,
  sameAddress,
  type IpFamily,
} from '../lib/ip.ts';

export function podRef(pod: V1Pod): string {
  return `pod ${pod.metadata?.namespace ?? '?'}/${pod.metadata?.name ?? '?'}`;
}

export function serviceRef(service: V1Service): string {
  return `svc ${service.metadata?.namespace ?? '?'}/${service.metadata?.name ?? '?'}`;
}

export function podIPsOf(pod: V1Pod): string[] {
  return (pod.status?.podIPs ?? []).map((entry) => entry.ip);
}

export function hostIPsOf(pod: V1Pod): string[] {
  return (pod.status?.hostIPs ?? []).map((entry) => entry.ip);
}

/** The pod's address of a family, if it has exactly one valid one. */
export function podIpOfFamily(pod: V1Pod, family: IpFamily): string | undefined {
  return podIPsOf(pod).find((ip) => familyOf(ip) === family);
}

/** "families=[IPv4,IPv6]" as the API lists them, with invalid entries marked. */
function familiesOfList(addresses: readonly string[]): string {
  return `[${addresses.map((address) => familyOf(address) ?? 'invalid').join(',')}]`;
}

/** Problems with a list that must hold exactly one valid address of each family. */
function oneOfEachFamily(addresses: readonly string[], what: string): string[] {
  const grouped = partitionByFamily(addresses);
  const problems = grouped.invalid.map((entry) => `${what} entry ${entry.reason}`);
  for (const family of ['IPv4', 'IPv6'] as const) {
    const count = grouped[family].length;
    if (count === 0) problems.push(`no ${family} address in ${what}`);
    if (count > 1) problems.push(`${count} ${family} addresses in ${what}, expected one`);
  }
  return problems;
}

function prefixed(prefix: string, problems: readonly string[]): string[] {
  return problems.length === 0 ? [] : [`${prefix}; ${problems.join('; ')}`];
}

// ---- Nodes -------------------------------------------------------------------------------------------------

/**
 * Runs a node judgement over the selected nodes. With none selected that is the failure, naming every excluded node;
 * otherwise any failure ends with the excluded nodes, so nobody reads it as a verdict on them.
 */
export function judgeSelectedNodes(
  nodes: readonly NodeAddressing[],
  excluded: readonly ExcludedNode[],
  judge: (node: NodeAddressing) => string[],
): string[] {
  if (nodes.length === 0) return [noNodeSelected(excluded)];
  const problems = nodes.flatMap(judge);
  return problems.length === 0 || excluded.length === 0 ? problems : [...problems, describeExcludedNodes(excluded)];
}

export function judgeNodePodCidrFamilies(node: NodeAddressing): string[] {
  const problems = node.invalid.filter((text) => text.startsWith('podCIDRs'));
  for (const family of ['IPv4', 'IPv6'] as const) {
    const count = node.podCidrsByFamily[family].length;
    if (count === 0) problems.push(`no ${family} block`);
    if (count > 1) problems.push(`${count} ${family} blocks, expected one`);
  }
  return prefixed(`node ${node.name}: spec.podCIDRs=${formatList(node.podCIDRs)}`, problems);
}

export function judgeNodePodCidrFirst(node: NodeAddressing): string[] {
  const first = node.podCIDRs[0];
  if (node.podCIDR === first) return [];
  return [`node ${node.name}: spec.podCIDR=${node.podCIDR ?? '<unset>'} but spec.podCIDRs[0]=${first ?? '<none>'}`];
}

export function judgeNodeInternalIps(node: NodeAddressing): string[] {
  const problems = node.invalid.filter((text) => text.startsWith('InternalIP'));
  for (const family of ['IPv4', 'IPv6'] as const) {
    if (node.internalIpsByFamily[family].length === 0) problems.push(`no ${family} InternalIP`);
  }
  return prefixed(`node ${node.name}: InternalIPs=${formatList(node.internalIPs)}`, problems);
}

// ---- Pods --------------------------------------------------------------------------------------------------

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

// ---- Services ----------------------------------------------------------------------------------------------

export interface ExpectedAllocation {
  readonly policy: 'SingleStack' | 'PreferDualStack' | 'RequireDualStack';
  /** ipFamilies in order; clusterIPs must follow the same order. */
  readonly families: readonly IpFamily[];
}

/** "ServiceCIDR kubernetes [...], ServiceCIDR extra [...]" when several objects hold ranges of the family, else ''. */
function describeRangeOwners(ranges: ServiceRanges, family: IpFamily): string {
  const owners = ranges.serviceCidrs
    .map((range) => ({ name: range.name, cidrs: range.cidrs.filter((cidr) => parseCidr(cidr)?.family === family) }))
    .filter((range) => range.cidrs.length > 0);
  return owners.length < 2 ? '' : owners.map((range) => `ServiceCIDR ${range.name} ${formatList(range.cidrs)}`).join(', ');
}

export function judgeServiceAllocation(service: V1Service, expected: ExpectedAllocation, ranges: ServiceRanges): string[] {
  const clusterIPs = service.spec?.clusterIPs ?? [];
  const ipFamilies = service.spec?.ipFamilies ?? [];
  const policy = service.spec?.ipFamilyPolicy;
  const problems: string[] = [];
  if (policy !== expected.policy) problems.push(`expected ipFamilyPolicy ${expected.policy}, got ${policy ?? '<unset>'}`);
  if (ipFamilies.join(',') !== expected.families.join(',')) {
    problems.push(`expected ipFamilies [${expected.families.join(',')}]`);
  }
  if (clusterIPs.length !== expected.families.length) {
    problems.push(`expected ${expected.families.length} clusterIP(s), got ${clusterIPs.length}`);
  }
  expected.families.forEach((family, index) => {
    const ip = clusterIPs[index];
    if (ip === undefined) return;
    const judged = judgeClusterAddress(ip);
    if (!judged.valid) problems.push(`clusterIPs[${index}] ${judged.reason}`);
    else if (judged.family !== family) problems.push(`expected ${family} at [${index}], got ${judged.family} ${ip}`);
    else {
      // Containment is judged only against known CIDRs (ServiceCIDR objects); a probe Service tells families, not
      // ranges. Any ServiceCIDR may hand out the address, so it must lie in one of them.
      const rangesOfFamily = ranges.cidrs.filter((cidr) => parseCidr(cidr)?.family === family);
      if (rangesOfFamily.length > 0 && !rangesOfFamily.some((cidr) => cidrContains(cidr, ip))) {
        const owners = describeRangeOwners(ranges, family);
        problems.push(
          owners === ''
            ? `${ip} is outside the ${family} service range ${formatList(rangesOfFamily)}`
            : `${ip} is outside every ${family} service range (${owners})`,
        );
      }
    }
  });
  const clusterIP = service.spec?.clusterIP;
  if (clusterIPs[0] !== undefined && clusterIP !== clusterIPs[0]) {
    problems.push(`spec.clusterIP=${clusterIP ?? '<unset>'} differs from clusterIPs[0]`);
  }
  return prefixed(
    `${serviceRef(service)}: ipFamilyPolicy=${policy ?? '<unset>'} clusterIPs=${formatList(clusterIPs)} families=[${ipFamilies.join(',')}]`,
    problems,
  );
}

/** The Service's clusterIP of a family, if any. */
export function clusterIpOfFamily(service: V1Service, family: IpFamily): string | undefined {
  return (service.spec?.clusterIPs ?? []).find((ip) => familyOf(ip) === family);
}

export interface Backend {
  readonly name: string;
  readonly ips: readonly string[];
}

/** Addresses of a family that EndpointSlices of a Service list, ready or not, with their slice names. */
export function endpointSliceAddresses(slices: readonly V1EndpointSlice[], family: IpFamily): string[] {
  return slices
    .filter((slice) => slice.addressType === family)
    .flatMap((slice) => (slice.endpoints ?? []).filter((endpoint) => endpoint.conditions?.ready !== false))
    .flatMap((endpoint) => endpoint.addresses);
}

export function judgeEndpointSlices(
  service: V1Service,
  slices: readonly V1EndpointSlice[],
  backends: readonly Backend[],
  family: IpFamily,
): string[] {
  const listed = endpointSliceAddresses(slices, family);
  const expected = backends.flatMap((backend) => backend.ips.filter((ip) => familyOf(ip) === family));
  const sliceSummary = slices.map((slice) => `${slice.metadata?.name ?? '?'}(${slice.addressType})`).join(', ') || 'none';
  const where = `${serviceRef(service)}: EndpointSlices ${sliceSummary}; ${family} ready addresses=${formatList(listed)}`;
  if (!slices.some((slice) => slice.addressType === family)) return [`${where}; no EndpointSlice of addressType ${family}`];
  const missing = expected.filter((ip) => !listed.some((address) => sameAddress(address, ip)));
  const extra = listed.filter((address) => !expected.some((ip) => sameAddress(address, ip)));
  const problems: string[] = [];
  if (missing.length > 0) problems.push(`missing backends' ${family} addresses ${formatList(missing)}`);
  if (extra.length > 0) problems.push(`unexpected addresses ${formatList(extra)}`);
  if (expected.length === 0) problems.push(`the backends have no ${family} address`);
  return prefixed(where, problems);
}

// ---- DNS ---------------------------------------------------------------------------------------------------

/** Compares a DNS answer with the expected address set of one family (order-insensitive, spelling-insensitive). */
export function judgeDnsAnswer(name: string, recordType: 'A' | 'AAAA', answer: readonly string[], expected: readonly string[]): string[] {
  const family: IpFamily = recordType === 'A' ? 'IPv4' : 'IPv6';
  const problems: string[] = [];
  const wrongFamily = answer.filter((address) => familyOf(address) !== family);
  const missing = expected.filter((ip) => !answer.some((address) => sameAddress(address, ip)));
  const extra = answer.filter((address) => !expected.some((ip) => sameAddress(address, ip)));
  if (expected.length === 0) problems.push(`nothing of ${family} to expect`);
  if (wrongFamily.length > 0) problems.push(`answers not of ${family}: ${formatList(wrongFamily)}`);
  if (missing.length > 0) problems.push(`missing ${formatList(missing)}`);
  if (extra.length > 0 && wrongFamily.length === 0) problems.push(`unexpected ${formatList(extra)}`);
  return prefixed(`${recordType} ${name} -> ${formatList(answer)}, expected ${formatList(expected)}`, problems);
}

// ---- LoadBalancer ------------------------------------------------------------------------------------------

/**
 * Why the Service lacks an external address of some of `families`: none among its ingress IPs, and none among the
 * answers for its ingress hostnames (each hostname named once, with what it resolved to).
 */
function externalFamilyProblems(service: V1Service, resolutions: readonly HostnameResolution[], families: readonly IpFamily[]): string[] {
  const missing = families.filter((family) => externalAddresses(service, resolutions, family).length === 0);
  if (missing.length === 0) return [];
  const hostnames = ingressHostnames(service);
  if (hostnames.length === 0) return missing.map((family) => `no ${family} external IP in status.loadBalancer.ingress`);
  const expected = `expected ${missing.map((family) => `an ${family}`).join(' and ')} address`;
  return hostnames.map((hostname) => {
    const resolution = resolutions.find((candidate) => candidate.hostname === hostname);
    return resolution ? `ingress hostname ${describeResolution(resolution)}; ${expected}` : `ingress hostname ${hostname} not resolved; ${expected}`;
  });
}

/**
 * Problems with the LB Service: an IPv6 clusterIP first, and an IPv6 external address: an ingress IP, or an AAAA
 * answer for an ingress hostname (`resolutions`, looked up by the caller from outside the cluster).
 */
export function judgeIpv6LoadBalancer(service: V1Service, resolutions: readonly HostnameResolution[] = []): string[] {
  const clusterIPs = service.spec?.clusterIPs ?? [];
  const problems: string[] = [];
  if (familyOf(clusterIPs[0] ?? '') !== 'IPv6') problems.push('expected an IPv6 clusterIP');
  problems.push(...externalFamilyProblems(service, resolutions, ['IPv6']));
  return problems.length === 0
    ? []
    : [`${serviceRef(service)}: clusterIPs=${formatList(clusterIPs)} ingress=${formatList(ingressAddresses(service))}; ${problems.join('; ')}`];
}

/** A RequireDualStack LoadBalancer Service: a clusterIP and an external address (IP or hostname answer) of each family. */
export function judgeDualStackLoadBalancer(service: V1Service, resolutions: readonly HostnameResolution[] = []): string[] {
  const clusterIPs = service.spec?.clusterIPs ?? [];
  const problems: string[] = [];
  for (const family of ['IPv4', 'IPv6'] as const) {
    if (!clusterIPs.some((address) => familyOf(address) === family)) problems.push(`no ${family} clusterIP`);
  }
  problems.push(...externalFamilyProblems(service, resolutions, ['IPv4', 'IPv6']));
  return problems.length === 0
    ? []
    : [`${serviceRef(service)}: clusterIPs=${formatList(clusterIPs)} ingress=${formatList(ingressAddresses(service))}; ${problems.join('; ')}`];
}
