// The picture at the top of the HTML report: the nodes, the suite's pods and Services with their IPv4 and IPv6
// addresses, and the paths the checks probed, one line per family coloured by its verdict. A model built from what
// the API returned during the run (pure, unit-tested), then drawn as self-contained SVG.
import type { V1Node, V1Pod, V1Service } from '@kubernetes/client-node';
import { familyOf, type IpFamily } from '../../lib/ip.ts';
import type { CheckResult, Verdict } from '../results.ts';
import { BACKEND_CLUSTERIP_SERVICES, SERVICES } from '../expectations.ts';

export interface TopologyPod {
  readonly name: string;
  readonly ips: readonly string[];
  readonly hostNetwork: boolean;
}

export interface TopologyNode {
  readonly name: string;
  readonly internalIps: readonly string[];
  readonly podCidrs: readonly string[];
  readonly pods: readonly TopologyPod[];
}

/** One box of Services: the backends' ClusterIP Services share one, every other Service has its own. */
export interface TopologyServiceBox {
  readonly id: string;
  readonly title: string;
  readonly services: readonly { readonly name: string; readonly type: string; readonly clusterIps: readonly string[]; readonly externalIps: readonly string[] }[];
}

/** An edge between two boxes for one family, with the checks it stands for and their worst verdict. */
export interface TopologyEdge {
  readonly from: string;
  readonly to: string;
  readonly family: IpFamily;
  readonly verdict: Verdict;
  readonly checks: readonly string[];
}

export interface Topology {
  readonly nodes: readonly TopologyNode[];
  readonly serviceBoxes: readonly TopologyServiceBox[];
  /** Set when an off-cluster check ran (the client container on the nodes' docker network). */
  readonly offcluster: boolean;
  readonly edges: readonly TopologyEdge[];
}

const BACKENDS_BOX = 'services:backends';
const OFFCLUSTER_BOX = 'offcluster';
const NODES = 'nodes';
const NODE_RING = 'node-ring';

/** Where each probed path goes: from every node's pods, or the off-cluster client, to a Service box or the nodes. */
const PATHS: readonly { readonly baseId: string; readonly from: typeof NODES | typeof OFFCLUSTER_BOX; readonly to: string }[] = [
  { baseId: 'conn.pod-to-pod', from: NODES, to: NODE_RING },
  { baseId: 'conn.clusterip', from: NODES, to: BACKENDS_BOX },
  { baseId: 'conn.hostnetwork-clusterip', from: NODES, to: BACKENDS_BOX },
  { baseId: 'conn.nodeport', from: NODES, to: `service:${SERVICES.nodePort}` },
  { baseId: 'conn.udp.clusterip', from: NODES, to: `service:${SERVICES.nodePort}` },
  { baseId: 'conn.udp.nodeport', from: NODES, to: `service:${SERVICES.nodePort}` },
  { baseId: 'conn.hairpin', from: NODES, to: `service:${SERVICES.hairpin}` },
  { baseId: 'conn.hostnet-endpoints', from: NODES, to: `service:${SERVICES.hostnetEndpoints}` },
  { baseId: 'conn.affinity', from: NODES, to: `service:${SERVICES.affinity}` },
  { baseId: 'conn.endpoint-update', from: NODES, to: `service:${SERVICES.endpointUpdate}` },
  { baseId: 'offcluster.nodeport', from: OFFCLUSTER_BOX, to: NODES },
  { baseId: 'offcluster.udp.nodeport', from: OFFCLUSTER_BOX, to: NODES },
  { baseId: 'lb.ipv6.reachable', from: OFFCLUSTER_BOX, to: `service:${SERVICES.loadBalancerIpv6}` },
  { baseId: 'lb.dual.reachable', from: OFFCLUSTER_BOX, to: `service:${SERVICES.loadBalancerDual}` },
];

/** Worst first: one failing check on an edge makes the edge fail. */
const VERDICT_RANK: Readonly<Record<Verdict, number>> = { failed: 0, 'not-run': 1, skipped: 2, passed: 3 };

export function worstVerdict(verdicts: readonly Verdict[]): Verdict {
  return [...verdicts].sort((a, b) => VERDICT_RANK[a] - VERDICT_RANK[b])[0] ?? 'not-run';
}

const podIps = (pod: V1Pod): string[] => (pod.status?.podIPs ?? []).map((entry) => entry.ip).filter((ip): ip is string => ip !== undefined);

function serviceEntry(service: V1Service): TopologyServiceBox['services'][number] {
  const ingress = service.status?.loadBalancer?.ingress ?? [];
  return {
    name: service.metadata?.name ?? '?',
    type: service.spec?.type ?? 'ClusterIP',
    clusterIps: (service.spec?.clusterIPs ?? []).filter((ip) => ip !== 'None'),
    externalIps: ingress.map((entry) => entry.ip ?? entry.hostname ?? '').filter((ip) => ip !== ''),
  };
}

export interface TopologyInput {
  /** The nodes the suite judged, in its order. */
  readonly nodes: readonly V1Node[];
  /** The run's pods in both namespaces, as listed at the end of the checks. */
  readonly pods: readonly V1Pod[];
  /** The run's Services in both namespaces. */
  readonly services: readonly V1Service[];
  readonly results: readonly CheckResult[];
}

export function buildTopology(input: TopologyInput): Topology {
  const nodes = input.nodes.map((node): TopologyNode => {
    const name = node.metadata?.name ?? '?';
    return {
      name,
      internalIps: (node.status?.addresses ?? []).filter((address) => address.type === 'InternalIP').map((address) => address.address),
      podCidrs: node.spec?.podCIDRs ?? (node.spec?.podCIDR ? [node.spec.podCIDR] : []),
      pods: input.pods
        .filter((pod) => pod.spec?.nodeName === name)
        .map((pod) => ({ name: pod.metadata?.name ?? '?', ips: podIps(pod), hostNetwork: pod.spec?.hostNetwork === true }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    };
  });

  const byName = new Map(input.services.map((service) => [service.metadata?.name ?? '', service]));
  // A Service a path targets by name keeps its own box, so its lines end there.
  const grouped = BACKEND_CLUSTERIP_SERVICES.filter((name) => !PATHS.some((path) => path.to === `service:${name}`));
  const backends = grouped.flatMap((name) => (byName.has(name) ? [serviceEntry(byName.get(name) as V1Service)] : []));
  const others = input.services
    .filter((service) => !grouped.includes(service.metadata?.name ?? ''))
    .map(serviceEntry)
    .sort((a, b) => a.name.localeCompare(b.name));
  const serviceBoxes: TopologyServiceBox[] = [
    ...(backends.length > 0 ? [{ id: BACKENDS_BOX, title: 'Services of the backends (app: MyApp)', services: backends }] : []),
    ...others.map((service) => ({ id: `service:${service.name}`, title: service.name, services: [service] })),
  ];
  const boxIds = new Set([...serviceBoxes.map((box) => box.id), NODES, NODE_RING, OFFCLUSTER_BOX]);

  const edges = new Map<string, { from: string; to: string; family: IpFamily; verdicts: Verdict[]; checks: string[] }>();
  for (const result of input.results) {
    const path = PATHS.find((candidate) => result.id === candidate.baseId || result.id.startsWith(`${candidate.baseId}.`));
    if (!path || !result.family || !boxIds.has(path.to)) continue;
    const key = `${path.from}|${path.to}|${result.family}`;
    const edge = edges.get(key) ?? { from: path.from, to: path.to, family: result.family, verdicts: [], checks: [] };
    edge.verdicts.push(result.verdict);
    edge.checks.push(`${result.id}: ${result.verdict}`);
    edges.set(key, edge);
  }
  return {
    nodes,
    serviceBoxes,
    offcluster: [...edges.values()].some((edge) => edge.from === OFFCLUSTER_BOX),
    edges: [...edges.values()].map((edge) => ({ from: edge.from, to: edge.to, family: edge.family, verdict: worstVerdict(edge.verdicts), checks: edge.checks })),
  };
}

/** "IPv4 10.244.1.5, IPv6 fd00:10:244:1::5" order: IPv4 first, whatever the cluster's primary family. */
export function byFamily(addresses: readonly string[]): string[] {
  const family = (address: string): string => familyOf(address.split('/')[0] ?? address) ?? 'zz';
  return [...addresses].sort((a, b) => family(a).localeCompare(family(b)));
}

export const TOPOLOGY_BOXES = { backends: BACKENDS_BOX, offcluster: OFFCLUSTER_BOX, nodes: NODES, nodeRing: NODE_RING } as const;
