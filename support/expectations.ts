// Expectations as data, apart from the probes that test them (the cilium-cli connectivity style): which fixtures
// exist, and the shapes of a Service allocation and a connectivity scenario (each check's own row is in its spec).
import type { ExpectedAllocation } from './judgements/services.ts';
import { otherFamily, type IpFamily } from '../lib/ip.ts';

/** Pod fixtures by role; the file names under fixtures/ and the pod names are the same. */
export const POD_ROLES = ['pod01', 'client', 'backend-a', 'backend-b', 'hairpin', 'hostnet'] as const;
export type PodRole = (typeof POD_ROLES)[number];
export const BACKEND_ROLES: readonly PodRole[] = ['backend-a', 'backend-b'];

export interface FixtureFile {
  readonly file: string;
  /** `host` = the run's privileged namespace, for hostNetwork pods only. */
  readonly namespace: 'main' | 'host';
  /**
   * LoadBalancer fixtures: a `service` is created only when a provider may exist (not with --lb-provider=none), the
   * `probe` only when detection needs it (no provider declared and no MetalLB pool).
   */
  readonly loadBalancer?: 'service' | 'probe';
}

/**
 * Fixtures created once per selected node (`${NODE_NAME}`, `${NODE_INDEX}`), pinned to it: a client (serving its
 * hostname over HTTP) and a hostNetwork pod on every node, so every path is judged from every node and every node
 * is a pod -> pod destination.
 */
export const NODE_FIXTURE_FILES: readonly (FixtureFile & { readonly podName: (index: number) => string })[] = [
  { file: 'node-client.yaml', namespace: 'main', podName: (index) => `node-client-${index}` },
  { file: 'node-hostnet.yaml', namespace: 'host', podName: (index) => `node-hostnet-${index}` },
];

/** Every fixture of a run; all are created concurrently in the root `before`. */
export const FIXTURE_FILES: readonly FixtureFile[] = [
  { file: 'pod01.yaml', namespace: 'main' },
  { file: 'client.yaml', namespace: 'main' },
  { file: 'backend-a.yaml', namespace: 'main' },
  { file: 'backend-b.yaml', namespace: 'main' },
  { file: 'hairpin.yaml', namespace: 'main' },
  { file: 'hostnetwork-pod.yaml', namespace: 'host' },
  { file: 'services/dual-stack-default-svc.yaml', namespace: 'main' },
  { file: 'services/dual-stack-ipv4-svc.yaml', namespace: 'main' },
  { file: 'services/dual-stack-ipv6-svc.yaml', namespace: 'main' },
  { file: 'services/dual-stack-prefer-dual-svc.yaml', namespace: 'main' },
  { file: 'services/dual-stack-require-ipv4-ipv6-svc.yaml', namespace: 'main' },
  { file: 'services/dual-stack-require-ipv6-ipv4-svc.yaml', namespace: 'main' },
  { file: 'services/dual-stack-headless-svc.yaml', namespace: 'main' },
  { file: 'services/dual-stack-nodeport-svc.yaml', namespace: 'main' },
  { file: 'services/dual-stack-affinity-svc.yaml', namespace: 'main' },
  { file: 'services/dual-stack-update-svc.yaml', namespace: 'main' },
  { file: 'services/dual-stack-hostnet-svc.yaml', namespace: 'host' },
  { file: 'services/dual-stack-ipv6-lb-svc.yaml', namespace: 'main', loadBalancer: 'service' },
  { file: 'services/dual-stack-require-lb-svc.yaml', namespace: 'main', loadBalancer: 'service' },
  { file: 'probes/lb-probe-svc.yaml', namespace: 'main', loadBalancer: 'probe' },
];

export const SERVICES = {
  default: 'dual-stack-default-svc',
  ipv4: 'dual-stack-ipv4-svc',
  ipv6: 'dual-stack-ipv6-svc',
  prefer: 'dual-stack-prefer-dual-svc',
  requireV4V6: 'dual-stack-require-ipv4-ipv6-svc',
  requireV6V4: 'dual-stack-require-ipv6-ipv4-svc',
  headless: 'dual-stack-headless-svc',
  nodePort: 'dual-stack-nodeport-svc',
  affinity: 'dual-stack-affinity-svc',
  endpointUpdate: 'dual-stack-update-svc',
  hostnetEndpoints: 'dual-stack-hostnet-svc',
  hairpin: 'hairpin-svc',
  loadBalancerIpv6: 'dual-stack-ipv6-lb-svc',
  loadBalancerDual: 'dual-stack-require-lb-svc',
  loadBalancerProbe: 'lb-probe-svc',
} as const;

/** Services selecting the backends (app: MyApp) that have a clusterIP: the targets of conn.clusterip. */
export const BACKEND_CLUSTERIP_SERVICES: readonly string[] = [
  SERVICES.default,
  SERVICES.ipv4,
  SERVICES.ipv6,
  SERVICES.prefer,
  SERVICES.requireV4V6,
  SERVICES.requireV6V4,
  SERVICES.nodePort,
];

/** Services whose EndpointSlices must list the backends (headless ones included). */
export const BACKEND_SERVICES: readonly string[] = [...BACKEND_CLUSTERIP_SERVICES, SERVICES.headless];

/** `primary`: [the cluster's first service family]; `primary-first`: both families, the primary one first. */
export type FamiliesExpectation = readonly IpFamily[] | 'primary' | 'primary-first';

export interface ServiceAllocationExpectation {
  readonly service: string;
  readonly policy: ExpectedAllocation['policy'];
  readonly families: FamiliesExpectation;
}

/** Resolves an expectation against the cluster's primary service family. */
export function expectedAllocation(expectation: ServiceAllocationExpectation, primary: IpFamily): ExpectedAllocation {
  const families =
    expectation.families === 'primary'
      ? [primary]
      : expectation.families === 'primary-first'
        ? [primary, otherFamily(primary)]
        : expectation.families;
  return { policy: expectation.policy, families };
}

/** Where a connectivity scenario sends its probes. */
export type ConnectivityTarget =
  /** Every backend Service's clusterIP of the family, port 80. */
  | 'backend-service-cluster-ips'
  /** The node client of every other node, at its podIP of the family, port 9376. */
  | 'node-clients-on-other-nodes'
  /** Every node's InternalIP of the family at the NodePort Service's nodePort. */
  | 'nodeport-on-every-node'
  /** The PreferDualStack Service's clusterIP of the family, port 80. */
  | 'prefer-service-cluster-ip'
  /** The source's own Service (hairpin-svc) clusterIP of the family, port 80. */
  | 'own-service-cluster-ip'
  /** The NodePort Service's clusterIP of the family, port 80 (it also has a UDP port). */
  | 'nodeport-service-cluster-ip'
  /** The Service over the hostNetwork pods (dual-stack-hostnet-svc) clusterIP of the family, port 80. */
  | 'hostnet-service-cluster-ip';

/**
 * Who must answer the hostname request: every backend of app: MyApp (each must answer), the probed pod itself, the
 * source itself, or every node's hostNetwork pod (answering with its node's hostname).
 */
export type Responder = 'every-backend' | 'target-pod' | 'source' | 'every-node-hostnet';

/** `tcp`: HTTP GET /hostname; `udp`: the datagram "hostname" to the backends' serve-hostname UDP container. */
export type ProbeProtocol = 'tcp' | 'udp';

/** Where probes start: one pod, or the pod of that kind on every selected node. */
export type ProbeSources = PodRole | 'node-clients' | 'node-hostnets';

/** Who probes what over which protocol, and who must answer: one connectivity check's row, in its spec. */
export interface ConnectivityScenario {
  readonly from: ProbeSources;
  readonly to: ConnectivityTarget;
  readonly responder: Responder;
  readonly protocol: ProbeProtocol;
}

/** The port the backends serve (TCP and UDP) and the Services' port. */
export const BACKEND_PORT = 9376;
export const SERVICE_PORT = 80;

/** The label conn.endpoint-update moves between backends; dual-stack-update-svc selects `endpoint-update: member`. */
export const ENDPOINT_UPDATE_LABEL = 'endpoint-update';
export const ENDPOINT_UPDATE_MEMBER = 'member';

/** Requests one client sends to the session-affinity Service; all must land on one backend (upstream uses 15). */
export const AFFINITY_REQUESTS = 15;

/**
 * The hostNetwork pods' serving port, one per run in 19000-19999: concurrent runs on one cluster must not bind the
 * same port on a node. A node firewall fault in selftest rejects this range.
 */
export const HOSTNET_PORT_RANGE = { first: 19_000, size: 1_000 } as const;

export function hostnetPort(runId: string): number {
  let hash = 0;
  for (const char of runId) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return HOSTNET_PORT_RANGE.first + (hash % HOSTNET_PORT_RANGE.size);
}
