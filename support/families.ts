// Which IP families the cluster has, read from the API: the selected nodes' podCIDRs and InternalIPs, and the service
// ranges (every networking.k8s.io/v1 ServiceCIDR, the `kubernetes` one naming the families; else a PreferDualStack
// probe Service).
import type { V1Node, V1Service, V1ServiceCIDR } from '@kubernetes/client-node';
import { ALL_FAMILIES, familyOf, formatList, judgeClusterAddress, parseCidr, type IpFamily } from '../lib/ip.ts';

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

/** One ServiceCIDR object's ranges, in spec order. */
export interface ServiceCidrRange {
  readonly name: string;
  readonly cidrs: readonly string[];
}

export interface ServiceRanges {
  /** Families in the order the API server allocates them: [0] is the primary service family. */
  readonly families: readonly IpFamily[];
  /**
   * Every ServiceCIDR's cidrs, the `kubernetes` object's first: a clusterIP may come from any of them. Empty when only
   * a probe Service told the families.
   */
  readonly cidrs: readonly string[];
  /** The same ranges per ServiceCIDR object, for messages and the header. */
  readonly serviceCidrs: readonly ServiceCidrRange[];
  readonly source: string;
}

/** The name of the ServiceCIDR the API server creates from --service-cluster-ip-range. */
export const DEFAULT_SERVICE_CIDR = 'kubernetes';

function serviceCidrRange(serviceCidr: V1ServiceCIDR): ServiceCidrRange {
  return { name: serviceCidr.metadata?.name ?? '(unnamed)', cidrs: serviceCidr.spec?.cidrs ?? [] };
}

/** Service families from the default ServiceCIDR, whose spec.cidrs mirror --service-cluster-ip-range in order. */
export function serviceRangesFromServiceCidr(serviceCidr: V1ServiceCIDR): ServiceRanges {
  const range = serviceCidrRange(serviceCidr);
  const families = uniqueFamilies(range.cidrs.map((cidr) => parseCidr(cidr)?.family));
  return { families, cidrs: range.cidrs, serviceCidrs: [range], source: `ServiceCIDR ${range.name}` };
}

/**
 * Service families from a PreferDualStack Service as created: it gets one clusterIP per configured family. `others`
 * are ServiceCIDR objects that were listed although none is named `kubernetes`: they still bound the clusterIPs.
 */
export function serviceRangesFromProbeService(service: V1Service, others: readonly V1ServiceCIDR[] = []): ServiceRanges {
  const clusterIPs = service.spec?.clusterIPs ?? [];
  const families = uniqueFamilies(clusterIPs.map((ip) => familyOf(ip)));
  const serviceCidrs = others.map(serviceCidrRange);
  const listed = serviceCidrs.length > 0 ? `; ranges from ServiceCIDRs ${serviceCidrs.map((range) => range.name).join(', ')}` : '';
  // A probe tells the families, not the ranges: cidrs hold only what other ServiceCIDR objects show.
  return {
    families,
    cidrs: serviceCidrs.flatMap((range) => range.cidrs),
    serviceCidrs,
    source: `PreferDualStack probe Service (clusterIPs ${clusterIPs.join(', ')})${listed}`,
  };
}

/**
 * Families from the `kubernetes` ServiceCIDR, ranges from every listed one (ServiceCIDRs added later extend the
 * allocatable ranges, not the families the API server is configured for). Undefined when the list has no
 * `kubernetes` object: the caller then asks a probe Service for the families.
 */
export function serviceRangesFromServiceCidrs(serviceCidrs: readonly V1ServiceCIDR[]): ServiceRanges | undefined {
  const primary = serviceCidrs.find((item) => item.metadata?.name === DEFAULT_SERVICE_CIDR);
  if (!primary) return undefined;
  const ranges = [primary, ...serviceCidrs.filter((item) => item !== primary)].map(serviceCidrRange);
  const first = serviceRangesFromServiceCidr(primary);
  const source =
    ranges.length === 1
      ? first.source
      : `ServiceCIDRs ${ranges.map((range) => range.name).join(', ')} (families from ${DEFAULT_SERVICE_CIDR})`;
  return { families: first.families, cidrs: ranges.flatMap((range) => range.cidrs), serviceCidrs: ranges, source };
}

/** "ServiceCIDR kubernetes [10.96.0.0/16, fd00:10:96::/112]; ServiceCIDR extra [10.100.0.0/16]", or what the probe said. */
export function describeServiceRanges(ranges: ServiceRanges): string {
  const families = `${ranges.families.join('+') || 'none'} from ${ranges.source}`;
  if (ranges.serviceCidrs.length === 0) return `${families}; no ServiceCIDR object visible`;
  return `${families}; ${ranges.serviceCidrs.map((range) => `ServiceCIDR ${range.name} ${formatList(range.cidrs)}`).join('; ')}`;
}

function uniqueFamilies(families: readonly (IpFamily | undefined)[]): IpFamily[] {
  const result: IpFamily[] = [];
  for (const family of families) if (family && !result.includes(family)) result.push(family);
  return result;
}

/** A node the suite leaves out (NotReady, cordoned, tainted, not Linux, virtual), with why. */
export interface ExcludedNode {
  readonly name: string;
  readonly reason: string;
}

/** "node x NotReady (KubeletNotReady)". */
export function describeExcludedNode(node: ExcludedNode): string {
  return `node ${node.name} ${node.reason}`;
}

/** "excluded: node x NotReady (KubeletNotReady); node w windows", or '' when no node is excluded. */
export function describeExcludedNodes(excluded: readonly ExcludedNode[]): string {
  return excluded.length === 0 ? '' : `excluded: ${excluded.map(describeExcludedNode).join('; ')}`;
}

/** Why no node can be judged: every node excluded (each named), or none listed at all. */
export function noNodeSelected(excluded: readonly ExcludedNode[]): string {
  if (excluded.length === 0) return 'no node selected: the API lists no node';
  return `no node selected (the suite needs a Ready, schedulable Linux node that is not virtual): ${excluded.map(describeExcludedNode).join('; ')}`;
}

export interface ClusterFamilies {
  readonly services: ServiceRanges;
  /** Families every selected node has an InternalIP of, ordered as on the first node. */
  readonly nodeInternalIpFamilies: readonly IpFamily[];
  /** Families every selected node has a pod CIDR of; undefined when no selected node has podCIDRs (no node IPAM). */
  readonly podCidrFamilies: readonly IpFamily[] | undefined;
  /** The primary family: the first service family (what a Service without ipFamilies gets). */
  readonly primary: IpFamily | undefined;
  /** Families present in service ranges, node addresses and (if any) pod CIDRs alike. */
  readonly families: readonly IpFamily[];
  readonly dualStack: boolean;
  /** Nodes left out of detection; a family they lack is never held against the cluster. */
  readonly excludedNodes: readonly ExcludedNode[];
  /** How many nodes the node families were read from. */
  readonly selectedNodeCount: number;
  /** Those nodes' addresses: a family some of them lack is named per node, not as the cluster's. */
  readonly selectedNodes: readonly NodeAddressing[];
}

/**
 * Families of the cluster, judged on the selected nodes only (see selectNodes in cluster.ts): a Windows, NotReady or
 * virtual node is not evidence that the cluster lacks a family.
 */
export function detectClusterFamilies(
  nodes: readonly V1Node[],
  services: ServiceRanges,
  excludedNodes: readonly ExcludedNode[] = [],
): ClusterFamilies {
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
    excludedNodes,
    selectedNodeCount: nodes.length,
    selectedNodes: addressing,
  };
}

/**
 * Why a family is missing, naming each place it is absent: "cluster has no IPv6: service ranges (ServiceCIDR
 * kubernetes) [10.96.0.0/16]; node InternalIPs IPv4 only". Empty when the family is present everywhere. Node gaps
 * say which nodes were left out, so a reader knows the verdict is about the selected ones. When the service ranges
 * and some nodes have the family, the cluster has it: the nodes lacking it are named instead ("IPv6 missing on part
 * of the cluster ...: node w has no IPv6 InternalIP [172.18.0.5]").
 */
export function familyAbsence(cluster: ClusterFamilies, family: IpFamily): string {
  const clusterGaps: string[] = [];
  const nodeGaps: string[] = [];
  if (!cluster.services.families.includes(family)) {
    clusterGaps.push(`service ranges from ${cluster.services.source}: ${cluster.services.families.join('+') || 'none'} only${cluster.services.cidrs.length > 0 ? ` [${cluster.services.cidrs.join(', ')}]` : ''}`);
  }
  const excluded = cluster.excludedNodes.length > 0 ? ` (${describeExcludedNodes(cluster.excludedNodes)})` : '';
  /** The gap of one node field: cluster-wide when no selected node has the family, else per node lacking it. */
  const judgeField = (families: readonly IpFamily[], what: string, values: (node: NodeAddressing) => readonly string[], byFamily: (node: NodeAddressing) => readonly string[]) => {
    if (families.includes(family)) return;
    const lacking = cluster.selectedNodes.filter((node) => byFamily(node).length === 0);
    if (lacking.length === 0 || lacking.length === cluster.selectedNodes.length) {
      clusterGaps.push(`node ${what}s ${families.join('+') || 'none'} only${excluded}`);
    } else {
      nodeGaps.push(...lacking.map((node) => `node ${node.name} has no ${family} ${what} [${values(node).join(', ')}]`));
    }
  };
  if (cluster.selectedNodeCount === 0) {
    clusterGaps.push(noNodeSelected(cluster.excludedNodes));
  } else {
    judgeField(cluster.nodeInternalIpFamilies, 'InternalIP', (node) => node.internalIPs, (node) => node.internalIpsByFamily[family]);
  }
  if (cluster.podCidrFamilies) {
    judgeField(cluster.podCidrFamilies, 'pod CIDR', (node) => node.podCIDRs, (node) => node.podCidrsByFamily[family]);
  }
  if (clusterGaps.length > 0) return `cluster has no ${family}: ${[...clusterGaps, ...nodeGaps].join('; ')}`;
  if (nodeGaps.length > 0) return `${family} missing on part of the cluster (its service ranges and other nodes have it): ${nodeGaps.join('; ')}`;
  return '';
}
