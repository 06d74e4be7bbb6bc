// Which IP families the cluster has, read from the API: nodes' podCIDRs and InternalIPs, and the service ranges
// (the `kubernetes` ServiceCIDR object of networking.k8s.io/v1, else a PreferDualStack probe Service).
import type { V1Node, V1Service, V1ServiceCIDR } from '@kubernetes/client-node';
import { ALL_FAMILIES, familyOf, judgeClusterAddress, parseCidr, type IpFamily } from './ip.ts';

export interface NodeAddressing {
  readonly name: string;
  readonly podCIDR: string | undefined;
  readonly podCIDRs: readonly string[];
  readonly internalIPs: readonly string[];
  /** podCIDRs grouped by family, in spec order. */
  readonly podCidrsByFamily: Readonly<Record<IpFamily, readonly string[]>>;
  /** InternalIPs grouped by family (IPv4-mapped and zoned addresses count as neither). */
  readonly internalIpsByFamily: Readonly<Record<IpFamily, readonly string[]>>;
  /** Entries that are no valid cluster address or CIDR, each with its reason. */
  readonly invalid: readonly string[];
}

export function nodeAddressing(node: V1Node): NodeAddressing {
  const podCIDRs = node.spec?.podCIDRs ?? [];
  const internalIPs = (node.status?.addresses ?? []).filter((a) => a.type === 'InternalIP').map((a) => a.address);
  const podCidrsByFamily: Record<IpFamily, string[]> = { IPv4: [], IPv6: [] };
  const internalIpsByFamily: Record<IpFamily, string[]> = { IPv4: [], IPv6: [] };
  const invalid: string[] = [];
  for (const cidr of podCIDRs) {
    const parsed = parseCidr(cidr);
    if (parsed) podCidrsByFamily[parsed.family].push(cidr);
    else invalid.push(`podCIDRs entry "${cidr}" is not a CIDR`);
  }
  for (const address of internalIPs) {
    const judged = judgeClusterAddress(address);
    if (judged.valid) internalIpsByFamily[judged.family].push(address);
    else invalid.push(`InternalIP ${judged.reason}`);
  }
  return {
    name: node.metadata?.name ?? '(unnamed node)',
    podCIDR: node.spec?.podCIDR,
    podCIDRs,
    internalIPs,
    podCidrsByFamily,
    internalIpsByFamily,
    invalid,
  };
}

export interface ServiceRanges {
  /** Families in the order the API server allocates them: [0] is the primary service family. */
  readonly families: readonly IpFamily[];
  /** The service CIDRs when the API shows them (ServiceCIDR); empty when only a probe Service told the families. */
  readonly cidrs: readonly string[];
  readonly source: string;
}

/** Service families from the default ServiceCIDR, whose spec.cidrs mirror --service-cluster-ip-range in order. */
export function serviceRangesFromServiceCidr(serviceCidr: V1ServiceCIDR): ServiceRanges {
  const cidrs = serviceCidr.spec?.cidrs ?? [];
  const families = uniqueFamilies(cidrs.map((cidr) => parseCidr(cidr)?.family));
  return { families, cidrs, source: `ServiceCIDR ${serviceCidr.metadata?.name ?? 'kubernetes'}` };
}

/** Service families from a PreferDualStack Service as created: it gets one clusterIP per configured family. */
export function serviceRangesFromProbeService(service: V1Service): ServiceRanges {
  const clusterIPs = service.spec?.clusterIPs ?? [];
  const families = uniqueFamilies(clusterIPs.map((ip) => familyOf(ip)));
  // A probe tells the families, not the ranges: cidrs stays empty.
  return { families, cidrs: [], source: `PreferDualStack probe Service (clusterIPs ${clusterIPs.join(', ')})` };
}

function uniqueFamilies(families: readonly (IpFamily | undefined)[]): IpFamily[] {
  const result: IpFamily[] = [];
  for (const family of families) if (family && !result.includes(family)) result.push(family);
  return result;
}

export interface ClusterFamilies {
  readonly services: ServiceRanges;
  /** Families every node has an InternalIP of, ordered as on the first node. */
  readonly nodeInternalIpFamilies: readonly IpFamily[];
  /** Families every node has a pod CIDR of; undefined when no node has podCIDRs (no node IPAM). */
  readonly podCidrFamilies: readonly IpFamily[] | undefined;
  /** The primary family: the first service family (what a Service without ipFamilies gets). */
  readonly primary: IpFamily | undefined;
  /** Families present in service ranges, node addresses and (if any) pod CIDRs alike. */
  readonly families: readonly IpFamily[];
  readonly dualStack: boolean;
}

export function detectClusterFamilies(nodes: readonly V1Node[], services: ServiceRanges): ClusterFamilies {
  const addressing = nodes.map(nodeAddressing);
  const everyNodeHas = (pick: (node: NodeAddressing) => readonly string[]): IpFamily[] => {
    if (addressing.length === 0) return [];
    const first = addressing[0];
    const ordered = first ? uniqueFamilies(pick(first).map((value) => familyOf(value) ?? parseCidr(value)?.family)) : [];
    return ordered.filter((family) =>
      addressing.every((node) => pick(node).some((value) => (familyOf(value) ?? parseCidr(value)?.family) === family)),
    );
  };
  const nodeInternalIpFamilies = everyNodeHas((node) => node.internalIPs);
  const anyPodCidrs = addressing.some((node) => node.podCIDRs.length > 0);
  const podCidrFamilies = anyPodCidrs ? everyNodeHas((node) => node.podCIDRs) : undefined;
  const families = ALL_FAMILIES.filter(
    (family) =>
      services.families.includes(family) &&
      nodeInternalIpFamilies.includes(family) &&
      (podCidrFamilies === undefined || podCidrFamilies.includes(family)),
  );
  return {
    services,
    nodeInternalIpFamilies,
    podCidrFamilies,
    primary: services.families[0],
    families,
    dualStack: families.length === 2,
  };
}

/**
 * Why a family is missing, naming each place it is absent: "cluster has no IPv6: service ranges (ServiceCIDR
 * kubernetes) [10.96.0.0/16]; node InternalIPs IPv4 only". Empty when the family is present everywhere.
 */
export function familyAbsence(cluster: ClusterFamilies, family: IpFamily): string {
  const gaps: string[] = [];
  if (!cluster.services.families.includes(family)) {
    gaps.push(`service ranges from ${cluster.services.source}: ${cluster.services.families.join('+') || 'none'} only${cluster.services.cidrs.length > 0 ? ` [${cluster.services.cidrs.join(', ')}]` : ''}`);
  }
  if (!cluster.nodeInternalIpFamilies.includes(family)) {
    gaps.push(`node InternalIPs ${cluster.nodeInternalIpFamilies.join('+') || 'none'} only`);
  }
  if (cluster.podCidrFamilies && !cluster.podCidrFamilies.includes(family)) {
    gaps.push(`node pod CIDRs ${cluster.podCidrFamilies.join('+') || 'none'} only`);
  }
  return gaps.length === 0 ? '' : `cluster has no ${family}: ${gaps.join('; ')}`;
}
