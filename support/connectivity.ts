// Turns a connectivity check's scenario row (in its spec) and a family into concrete probes over the observed state:
// who probes from which address, which destinations, and who must answer (judged by support/responders.ts). Pure,
// so the planning of every scenario × family is unit-tested without a cluster.
import type { V1Node, V1Pod, V1Service } from '@kubernetes/client-node';
import type { Capability } from './checks.ts';
import type { CreatedService } from './deploy.ts';
import {
  BACKEND_CLUSTERIP_SERVICES,
  BACKEND_PORT,
  BACKEND_ROLES,
  SERVICE_PORT,
  SERVICES,
  type ConnectivityScenario,
  type PodRole,
  type ProbeProtocol,
  type ProbeSources,
} from './expectations.ts';
import { nodeAddressing } from './families.ts';
import { formatList, type IpFamily } from '../lib/ip.ts';
import { clusterIpOfFamily, podIPsOf, podIpOfFamily } from './judgements/objects.ts';
import type { ProbeDestination, ProbeSource } from './probes/retry.ts';

/** Where a probe goes, over which protocol, and who must answer there. */
export interface PlannedTarget {
  readonly destination: ProbeDestination;
  readonly protocol: ProbeProtocol;
  /** Hostnames that must each answer GET /hostname (every backend of a Service path). */
  readonly responders: readonly string[];
}

export interface PlannedProbe extends PlannedTarget {
  readonly source: ProbeSource;
}

export interface ProbePlan {
  /** Every source × every target of the scenario. */
  readonly probes: readonly PlannedProbe[];
  /** Why (part of) the scenario cannot be probed in this family; these fail the check. */
  readonly problems: readonly string[];
  readonly skip: { readonly capability: Capability; readonly reason: string } | undefined;
}

export interface ObservedState {
  readonly pods: Readonly<Record<PodRole, V1Pod>>;
  /** The client pinned to each selected node (it serves its hostname over HTTP too). */
  readonly nodeClients: readonly V1Pod[];
  /** The hostNetwork pod pinned to each selected node. */
  readonly nodeHostnets: readonly V1Pod[];
  readonly services: ReadonlyMap<string, CreatedService>;
  /** The nodes the suite judges: every one's address is a NodePort target. */
  readonly nodes: readonly V1Node[];
  readonly schedulableNodes: readonly string[];
}

export function podName(pod: V1Pod): string {
  return pod.metadata?.name ?? '?';
}

/** "svc x: rejected (...)" or "svc x: clusterIPs=[...]", for messages about a missing family. */
function describeService(name: string, created: CreatedService | undefined): string {
  if (!created) return `svc ${name}: not created`;
  if (!created.service) return `svc ${name}: rejected (${created.rejection ?? 'unknown reason'})`;
  return `svc ${name}: clusterIPs=${formatList(created.service.spec?.clusterIPs)}`;
}

function serviceTarget(
  name: string,
  created: CreatedService | undefined,
  family: IpFamily,
  responders: readonly string[],
  protocol: ProbeProtocol,
): PlannedTarget | string {
  const service: V1Service | undefined = created?.service;
  const ip = service ? clusterIpOfFamily(service, family) : undefined;
  if (ip === undefined) return `${describeService(name, created)}; no ${family} clusterIP to probe`;
  return { destination: { label: `svc ${name}`, address: ip, port: SERVICE_PORT }, responders, protocol };
}

/**
 * What a hostNetwork pod answers: its node's hostname (status.addresses type Hostname; the node name when the node
 * reports none), keyed to the node it runs on.
 */
export function hostnetResponders(hostnets: readonly V1Pod[], nodes: readonly V1Node[]): { names: string[]; where: Record<string, string> } {
  const where: Record<string, string> = {};
  for (const pod of hostnets) {
    const nodeName = pod.spec?.nodeName ?? '?';
    const node = nodes.find((candidate) => candidate.metadata?.name === nodeName);
    const hostname = node?.status?.addresses?.find((address) => address.type === 'Hostname')?.address ?? nodeName;
    where[hostname] = `${nodeName}, pod ${podName(pod)}`;
  }
  return { names: Object.keys(where), where };
}

function sourcePods(from: ProbeSources, state: ObservedState): readonly V1Pod[] {
  if (from === 'node-clients') return state.nodeClients;
  if (from === 'node-hostnets') return state.nodeHostnets;
  return [state.pods[from]];
}

/** Each pod as a probe source of the family; a pod without an address of the family is a problem. */
export function probeSources(pods: readonly V1Pod[], family: IpFamily, what: string): { sources: ProbeSource[]; problems: string[] } {
  const sources: ProbeSource[] = [];
  const problems: string[] = [];
  if (pods.length === 0) problems.push(`no ${what} pod to probe from (one is created on every selected node)`);
  for (const pod of pods) {
    const address = podIpOfFamily(pod, family);
    if (address) sources.push({ pod, address });
    else problems.push(`pod ${podName(pod)} on ${pod.spec?.nodeName ?? '?'} has no ${family} address to probe from: status.podIPs=${formatList(podIPsOf(pod))}`);
  }
  return { sources, problems };
}

/** A Service's clusterIP of the family as a probe destination (port 80), or why there is none. */
export function serviceDestination(name: string, created: CreatedService | undefined, family: IpFamily): ProbeDestination | string {
  const target = serviceTarget(name, created, family, [], 'tcp');
  return typeof target === 'string' ? target : target.destination;
}

/** Up to this many nodes, pod -> pod is a full mesh: every node client probes every other node's client. */
export const POD_TO_POD_FULL_MESH_MAX_NODES = 8;

/**
 * The node clients `source` probes for pod -> pod. Beyond POD_TO_POD_FULL_MESH_MAX_NODES nodes, a bounded sample that
 * still has every node as a source and as a destination twice: the next node in name order and the one halfway round
 * (2n probes per family instead of n(n-1)).
 */
export function podToPodTargets(nodeClients: readonly V1Pod[], source: V1Pod): V1Pod[] {
  const others = nodeClients.filter((pod) => pod.spec?.nodeName !== source.spec?.nodeName);
  if (nodeClients.length <= POD_TO_POD_FULL_MESH_MAX_NODES) return others;
  const ring = [...nodeClients].sort((a, b) => (a.spec?.nodeName ?? '').localeCompare(b.spec?.nodeName ?? ''));
  const index = ring.findIndex((pod) => pod.metadata?.name === source.metadata?.name);
  const picks = [ring[(index + 1) % ring.length], ring[(index + Math.floor(ring.length / 2)) % ring.length]];
  return [...new Set(picks)].filter((pod): pod is V1Pod => pod !== undefined && others.includes(pod));
}

export function planProbes(scenario: ConnectivityScenario, family: IpFamily, state: ObservedState): ProbePlan {
  const { sources, problems } = probeSources(sourcePods(scenario.from, state), family, scenario.from);
  const backendNames = BACKEND_ROLES.map((role) => podName(state.pods[role]));
  const hostnetNames = hostnetResponders(state.nodeHostnets, state.nodes).names;
  const responders = (source?: V1Pod): string[] =>
    scenario.responder === 'source' && source ? [podName(source)] : scenario.responder === 'every-node-hostnet' ? hostnetNames : backendNames;
  const { protocol } = scenario;
  /** The same targets for every source; a string is a problem. */
  const everySource = (targets: readonly (PlannedTarget | string)[]): PlannedProbe[] => {
    for (const target of targets) if (typeof target === 'string') problems.push(target);
    const planned = targets.filter((target): target is PlannedTarget => typeof target !== 'string');
    return sources.flatMap((source) => planned.map((target) => ({ ...target, source })));
  };

  let probes: PlannedProbe[] = [];
  switch (scenario.to) {
    case 'backend-service-cluster-ips': {
      const targets = BACKEND_CLUSTERIP_SERVICES.map((name) => serviceTarget(name, state.services.get(name), family, responders(), protocol));
      const reachable = targets.filter((target): target is PlannedTarget => typeof target !== 'string');
      // Services of the other family only are expected to lack this family; the check fails only when none has it.
      if (reachable.length === 0) problems.push(`no backend Service has an ${family} clusterIP: ${targets.join('; ')}`);
      probes = everySource(reachable);
      break;
    }
    case 'node-clients-on-other-nodes': {
      if (state.schedulableNodes.length < 2) {
        return {
          probes: [],
          problems: [],
          skip: {
            capability: 'multiple-nodes',
            reason: `only one schedulable node (${state.schedulableNodes.join(', ') || 'none'}): no pod on another node to reach`,
          },
        };
      }
      // Every node reaches a pod on every other node (a bounded sample on big clusters, see podToPodTargets).
      for (const target of state.nodeClients) {
        const ip = podIpOfFamily(target, family);
        if (ip === undefined) problems.push(`pod ${podName(target)} on ${target.spec?.nodeName ?? '?'} has no ${family} address: status.podIPs=${formatList(podIPsOf(target))}`);
      }
      for (const source of sources) {
        for (const target of podToPodTargets(state.nodeClients, source.pod)) {
          const ip = podIpOfFamily(target, family);
          if (ip === undefined) continue;
          probes.push({
            source,
            destination: { label: `${podName(target)} on ${target.spec?.nodeName ?? '?'}`, address: ip, port: BACKEND_PORT },
            responders: [podName(target)],
            protocol,
          });
        }
      }
      break;
    }
    case 'nodeport-on-every-node': {
      const planned = nodePortProbes(state.services, state.nodes, family, responders(), protocol);
      problems.push(...planned.problems);
      probes = everySource(planned.probes);
      break;
    }
    case 'prefer-service-cluster-ip':
      probes = everySource([serviceTarget(SERVICES.prefer, state.services.get(SERVICES.prefer), family, responders(), protocol)]);
      break;
    case 'nodeport-service-cluster-ip':
      probes = everySource([serviceTarget(SERVICES.nodePort, state.services.get(SERVICES.nodePort), family, responders(), protocol)]);
      break;
    case 'hostnet-service-cluster-ip':
      if (hostnetNames.length === 0) problems.push('no hostNetwork pod to answer (one is created on every selected node)');
      probes = everySource([serviceTarget(SERVICES.hostnetEndpoints, state.services.get(SERVICES.hostnetEndpoints), family, responders(), protocol)]);
      break;
    case 'own-service-cluster-ip':
      probes = sources.flatMap((source) => {
        const target = serviceTarget(SERVICES.hairpin, state.services.get(SERVICES.hairpin), family, responders(source.pod), protocol);
        if (typeof target === 'string') {
          problems.push(target);
          return [];
        }
        return [{ ...target, source }];
      });
      break;
  }
  return { probes, problems, skip: undefined };
}

/**
 * The NodePort Service's nodePort of the protocol on every node's InternalIP of the family; shared by the in-cluster
 * checks (conn.nodeport, conn.udp.nodeport) and the off-cluster ones (offcluster.nodeport, offcluster.udp.nodeport).
 */
export function nodePortProbes(
  services: ReadonlyMap<string, CreatedService>,
  nodes: readonly V1Node[],
  family: IpFamily,
  responders: readonly string[],
  protocol: ProbeProtocol = 'tcp',
): { probes: PlannedTarget[]; problems: string[] } {
  const created = services.get(SERVICES.nodePort);
  const service = created?.service;
  const nodePort = service?.spec?.ports?.find((port) => (port.protocol ?? 'TCP') === protocol.toUpperCase())?.nodePort;
  if (!service || nodePort === undefined) {
    return { probes: [], problems: [`${describeService(SERVICES.nodePort, created)}; no ${protocol.toUpperCase()} nodePort`] };
  }
  if (!(service.spec?.ipFamilies ?? []).includes(family)) {
    return { probes: [], problems: [`svc ${SERVICES.nodePort}: ipFamilies=[${(service.spec?.ipFamilies ?? []).join(',')}]; no ${family} NodePort`] };
  }
  const probes: PlannedTarget[] = [];
  const problems: string[] = [];
  for (const node of nodes) {
    const addressing = nodeAddressing(node);
    const [ip] = addressing.internalIpsByFamily[family];
    if (ip === undefined) problems.push(`node ${addressing.name} has no ${family} InternalIP: ${formatList(addressing.internalIPs)}`);
    else probes.push({ destination: { label: `node ${addressing.name} ${protocol === 'udp' ? 'UDP nodePort' : 'nodePort'}`, address: ip, port: nodePort }, responders, protocol });
  }
  return { probes, problems };
}
