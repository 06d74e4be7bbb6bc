// The check catalog, as data. Specs register their `it`s from it, docs/checks.md is generated from it, and the
// stable ids are what reports, summary.json and selftest's expected-verdict table are keyed by.
//
// A per-family entry expands to one check per family (`conn.clusterip` -> `conn.clusterip.ipv4`,
// `conn.clusterip.ipv6`); each such check needs its own family. `requires: 'both'` checks need both families;
// `requires: 'none'` checks judge something every cluster must get right, single-stack or not.
import { ALL_FAMILIES, familySlug, type IpFamily } from '../lib/ip.ts';

export type CheckArea = 'nodes' | 'pods' | 'services' | 'connectivity' | 'dns' | 'offcluster' | 'loadbalancer';

/**
 * Optional capabilities: the only reasons a check may be skipped (and which --strict turns into failures, unless the
 * capability is declared absent with --absent).
 */
export type Capability = 'node-ipam' | 'multiple-nodes' | 'lb-provider' | 'api-served' | 'offcluster-network';

export const CAPABILITY_DESCRIPTIONS: Readonly<Record<Capability, string>> = {
  'node-ipam': 'node IPAM (nodes carry spec.podCIDRs; some CNIs allocate pod addresses themselves)',
  'multiple-nodes': 'two or more schedulable nodes',
  'lb-provider': 'a LoadBalancer provider (cloud controller, MetalLB, ...); declare it absent with --absent lb-provider (alias --lb-provider=none)',
  'api-served': 'an API field or resource this Kubernetes version may not serve',
  'offcluster-network':
    'a docker network the nodes are reachable on, for an off-cluster client container of the agnhost image (found when the nodes are containers on a docker network, as with kind; else named with --offcluster-network); declare it absent with --absent offcluster-network (e.g. a cloud cluster)',
};

interface CheckSpecBase {
  readonly id: string;
  readonly area: CheckArea;
  /** Sentence after the id; `{family}` is replaced by IPv4/IPv6 in per-family checks. */
  readonly title: string;
  /** What exactly is judged, for the catalog. */
  readonly verifies: string;
  /** The step of the "Validate IPv4/IPv6 dual-stack" page this automates, or null when it goes beyond the page. */
  readonly pageStep: string | null;
  /** The closest upstream e2e test (test/e2e/network), or null when upstream has none. */
  readonly upstream: string | null;
  /** Likely causes and fixes when it fails. */
  readonly causes: readonly string[];
  /** Optional capabilities whose absence skips the check (with the reason). */
  readonly skipsWithout?: readonly Capability[];
}

export type CheckSpec =
  /**
   * `requires: 'both'` on a per-family check: each instance judges one family, but of a fixture only a dual-stack
   * cluster can have (a RequireDualStack Service), so each needs both families.
   */
  | (CheckSpecBase & { readonly perFamily: true; readonly requires?: 'both' })
  | (CheckSpecBase & { readonly perFamily: false; readonly requires: 'both' | 'none' | IpFamily });

export interface CheckInstance {
  readonly id: string;
  readonly baseId: string;
  readonly area: CheckArea;
  /** Set on per-family checks. */
  readonly family: IpFamily | undefined;
  /** Families the cluster must have for this check to pass; empty for family-independent checks. */
  readonly requiresFamilies: readonly IpFamily[];
  readonly title: string;
  readonly verifies: string;
  readonly pageStep: string | null;
  readonly upstream: string | null;
  readonly causes: readonly string[];
  readonly skipsWithout: readonly Capability[];
}

const PAGE_NODES = 'Validate addressing › Validate node addressing';
const PAGE_PODS = 'Validate addressing › Validate Pod addressing';
const PAGE_SERVICES = 'Validate Services';
const PAGE_LB = 'Validate Services › Create a dual-stack load balanced Service';
const UPSTREAM = 'test/e2e/network/dual_stack.go';

export const CHECK_SPECS: readonly CheckSpec[] = [
  // Nodes
  {
    id: 'node.podcidrs.families',
    area: 'nodes',
    perFamily: false,
    requires: 'both',
    title: 'every node is allocated one IPv4 and one IPv6 block in spec.podCIDRs',
    verifies:
      'Each selected node (Ready, schedulable, Linux, not virtual-kubelet) lists exactly two spec.podCIDRs, one per family (IPv4-mapped or malformed blocks count as neither). Excluded nodes are named in the message, never judged; with no node selected the check fails naming why.',
    pageStep: `${PAGE_NODES}: kubectl get nodes <node> -o go-template='{{range .spec.podCIDRs}}…' shows one IPv4 and one IPv6 block`,
    upstream: null, // dual_stack.go once had a node podCIDRs test; it was removed because node IPAM is optional.
    causes: [
      'kube-controller-manager --cluster-cidr lists one family only: give it both, e.g. 10.244.0.0/16,fd00:10:244::/56',
      '--allocate-node-cidrs is off (CNI does its own IPAM): the check is then skipped, not failed',
      '--node-cidr-mask-size-ipv6 larger than the IPv6 cluster CIDR allows: controller-manager logs say so',
    ],
    skipsWithout: ['node-ipam'],
  },
  {
    id: 'node.podcidr.first',
    area: 'nodes',
    perFamily: false,
    requires: 'none',
    title: "every node's spec.podCIDR equals spec.podCIDRs[0]",
    verifies: 'On each selected node, the singular field mirrors the first entry of the plural one, as the API guarantees for old clients.',
    pageStep: PAGE_NODES,
    upstream: null,
    causes: ['A controller or admission webhook that rewrites node specs inconsistently'],
    skipsWithout: ['node-ipam'],
  },
  {
    id: 'node.internalip.families',
    area: 'nodes',
    perFamily: false,
    requires: 'both',
    title: 'every node reports an IPv4 and an IPv6 InternalIP',
    verifies:
      'status.addresses of each selected node (Ready, schedulable, Linux, not virtual-kubelet) holds an InternalIP of each family; excluded nodes are named, never judged.',
    pageStep: `${PAGE_NODES}: kubectl get nodes <node> -o go-template='{{range .status.addresses}}…' shows InternalIPs of both families`,
    upstream: `${UPSTREAM}: "should have ipv4 and ipv6 internal node ip"`,
    causes: [
      'kubelet --node-ip names one address only: pass both, e.g. --node-ip=10.89.0.2,fc00:f853:ccd:e793::2',
      'The node has no global IPv6 address on its primary interface (check `ip -6 addr` on the node)',
      'A cloud provider that reports one family only',
    ],
  },
  // Pods
  {
    id: 'pod.podips.families',
    area: 'pods',
    perFamily: false,
    requires: 'both',
    title: 'a pod gets one IPv4 and one IPv6 address in status.podIPs',
    verifies: "pod01's status.podIPs holds exactly two addresses of different families.",
    pageStep: `${PAGE_PODS}: kubectl get pods pod01 -o go-template='{{range .status.podIPs}}…'`,
    upstream: `${UPSTREAM}: "should create pod, add ipv6 and ipv4 ip to pod ips"`,
    causes: [
      'The CNI is configured for one family (e.g. its IPAM ranges list only IPv4)',
      'Node podCIDRs hold one family (see node.podcidrs.families)',
    ],
  },
  {
    id: 'pod.podip.first',
    area: 'pods',
    perFamily: false,
    requires: 'none',
    title: "a pod's status.podIP equals status.podIPs[0]",
    verifies: 'The singular field mirrors the first entry of the plural one.',
    pageStep: PAGE_PODS,
    upstream: `${UPSTREAM}: "should create pod, add ipv6 and ipv4 ip to pod ips"`,
    causes: ['A kubelet or CRI runtime that reports pod IPs in an inconsistent order'],
  },
  {
    id: 'pod.podips.in-node-cidr',
    area: 'pods',
    perFamily: true,
    title: "a pod's {family} address lies inside its node's {family} pod CIDR",
    verifies:
      "pod01's {family} podIP is contained in the {family} entry of its node's spec.podCIDRs. When the address lies in no node's podCIDRs, the CNI owns IPAM (Calico IPPools, Cilium cluster-pool, cloud VPC IPAM) and the check is skipped (node-ipam) with the pod IPs and every node's podCIDRs; an address inside another node's block still fails.",
    pageStep: PAGE_PODS,
    upstream: null,
    causes: [
      "The address lies in another node's pod CIDR: the CNI allocated from the wrong node's block (stale host-local state after a node was re-created, or a node renamed), so routes to that block lead elsewhere",
      "The node has no {family} pod CIDR while another node's block holds the address: kube-controller-manager --cluster-cidr lists one family, or the node predates the second family",
      'Stale CNI configuration on the node from an earlier single-stack setup',
    ],
    skipsWithout: ['node-ipam'],
  },
  {
    id: 'pod.hostips.families',
    area: 'pods',
    perFamily: false,
    requires: 'both',
    title: "a pod's status.hostIPs holds its node's IPv4 and IPv6 InternalIPs",
    verifies: "pod01's status.hostIPs has one address of each family, each an InternalIP of the pod's node.",
    pageStep: null,
    upstream: `${UPSTREAM}: "should create pod, add ipv6 and ipv4 ip to host ips"`,
    causes: ['kubelet --node-ip lists one family', 'Kubernetes older than 1.29 (status.hostIPs not served: skipped)'],
    skipsWithout: ['api-served'],
  },
  {
    id: 'pod.env.podips',
    area: 'pods',
    perFamily: false,
    requires: 'both',
    title: 'MY_POD_IPS from the downward API lists the IPv4 and IPv6 pod address, in status.podIPs order',
    verifies:
      '`env` in pod01 shows MY_POD_IPS (fieldRef status.podIPs) equal to status.podIPs joined by commas, in order, with both families.',
    pageStep: `${PAGE_PODS}: MY_POD_IPS from fieldPath status.podIPs (the page's \`set | grep\` needs a shell; \`env\` does not)`,
    upstream: null,
    causes: ['The pod has one family (see pod.podips.families)', 'A kubelet that predates status.podIPs in the downward API'],
  },
  {
    id: 'pod.etchosts.header',
    area: 'pods',
    perFamily: false,
    requires: 'none',
    title: "a pod's /etc/hosts is managed by the kubelet",
    verifies: '`cat /etc/hosts` in pod01 starts with "# Kubernetes-managed hosts file.".',
    pageStep: `${PAGE_PODS}: kubectl exec pod01 -- cat /etc/hosts`,
    upstream: null,
    causes: ['The container runtime mounts its own hosts file (runtime not integrated with the kubelet)'],
  },
  {
    id: 'pod.etchosts',
    area: 'pods',
    perFamily: true,
    title: "a pod's /etc/hosts maps its {family} address to its hostname",
    verifies: "pod01's /etc/hosts has a line mapping its {family} podIP to the hostname pod01.",
    pageStep: `${PAGE_PODS}: kubectl exec pod01 -- cat /etc/hosts lists both pod addresses`,
    upstream: null,
    causes: ['The pod has no {family} address', 'A kubelet that writes only the primary pod IP'],
  },
  {
    id: 'pod.hostnetwork.podips',
    area: 'pods',
    perFamily: false,
    requires: 'both',
    title: "a hostNetwork pod's podIPs are its node's IPv4 and IPv6 InternalIPs",
    verifies: "The hostnet pod's status.podIPs has one address per family, each equal to its node's InternalIP of that family.",
    pageStep: null,
    upstream: null,
    causes: ['kubelet --node-ip lists one family'],
  },
  // Services
  {
    id: 'svc.default.primary',
    area: 'services',
    perFamily: false,
    requires: 'none',
    title: "a Service without ipFamilies gets SingleStack in the cluster's first service family",
    verifies:
      'dual-stack-default-svc (the page\'s default Service) gets ipFamilyPolicy SingleStack, ipFamilies [primary] and one clusterIP of that family inside a service range of that family (any ServiceCIDR object\'s, when the API shows them).',
    pageStep: `${PAGE_SERVICES}: dual-stack-default-svc.yaml gets the family of the first --service-cluster-ip-range`,
    upstream: `${UPSTREAM}: "should create a single stack service with cluster ip from primary service range"`,
    causes: ['A mutating webhook that sets ipFamilies', 'kube-apiserver --service-cluster-ip-range order differs from what you expect'],
  },
  {
    id: 'svc.single',
    area: 'services',
    perFamily: true,
    title: 'a Service with ipFamilies [{family}] gets one {family} clusterIP',
    verifies:
      'The SingleStack [{family}] Service gets ipFamilies [{family}] and exactly one clusterIP, of {family}, inside a {family} range of any ServiceCIDR object.',
    pageStep: `${PAGE_SERVICES}: dual-stack-ipv6-svc.yaml (ipFamily: IPv6 on the page; ipFamilies [IPv6] today) and its IPv4 twin`,
    upstream: `${UPSTREAM}: "should create service with ipv4 cluster ip" / "should create service with ipv6 cluster ip"`,
    causes: ['kube-apiserver --service-cluster-ip-range lacks an {family} range', 'The ServiceCIDR objects lack an {family} range'],
  },
  {
    id: 'svc.prefer.dual',
    area: 'services',
    perFamily: false,
    requires: 'both',
    title: 'a PreferDualStack Service gets an IPv4 and an IPv6 clusterIP, primary family first',
    verifies: 'dual-stack-prefer-dual-svc gets ipFamilies of both families, primary first, and clusterIPs in the same order.',
    pageStep: null,
    upstream: null,
    causes: ['kube-apiserver --service-cluster-ip-range lists one family (PreferDualStack then silently stays single-stack)'],
  },
  {
    id: 'svc.require.ipv4-ipv6',
    area: 'services',
    perFamily: false,
    requires: 'both',
    title: 'a RequireDualStack [IPv4, IPv6] Service gets clusterIPs in that order',
    verifies: 'clusterIPs[0] is IPv4 and clusterIPs[1] is IPv6, matching ipFamilies; each inside a range of its family of any ServiceCIDR object.',
    pageStep: null,
    upstream: `${UPSTREAM}: "should create service with ipv4,v6 cluster ip"`,
    causes: ['kube-apiserver --service-cluster-ip-range lists one family: the API rejects RequireDualStack'],
  },
  {
    id: 'svc.require.ipv6-ipv4',
    area: 'services',
    perFamily: false,
    requires: 'both',
    title: 'a RequireDualStack [IPv6, IPv4] Service gets clusterIPs in that order',
    verifies: 'clusterIPs[0] is IPv6 and clusterIPs[1] is IPv4, matching ipFamilies; each inside a range of its family of any ServiceCIDR object.',
    pageStep: null,
    upstream: `${UPSTREAM}: "should create service with ipv6,v4 cluster ip"`,
    causes: ['kube-apiserver --service-cluster-ip-range lists one family: the API rejects RequireDualStack'],
  },
  {
    id: 'svc.endpointslices',
    area: 'services',
    perFamily: true,
    title: 'every Service with an {family} clusterIP has an {family} EndpointSlice holding its backends',
    verifies:
      'For each selector Service whose ipFamilies include {family}, EndpointSlices of addressType {family} list exactly the ready backends\' {family} addresses.',
    pageStep: null,
    upstream: `${UPSTREAM}: "should create service with ipv4,v6 cluster ip" (EndpointSlice per family)`,
    causes: ['Pods have no {family} address', 'kube-controller-manager EndpointSlice controller not running or lagging'],
  },
  // Connectivity
  {
    id: 'conn.clusterip',
    area: 'connectivity',
    perFamily: true,
    title: "a client pod reaches every Service's {family} clusterIP on port 80",
    verifies: 'From a client pod on every selected node, HTTP GET http://<{family} clusterIP>:80/hostname is answered by every backend (each backend\'s name seen at least once within the connectivity bound), for every Service with an {family} clusterIP.',
    pageStep: `${PAGE_SERVICES}: "verify the Service is reachable on its IP and port"`,
    upstream: `${UPSTREAM}: "Granular Checks: Services Secondary IP Family: should function for pod-Service: http"`,
    causes: [
      'kube-proxy not programming {family} rules (check its logs and --cluster-cidr)',
      'Missing {family} forwarding on nodes (net.ipv6.conf.all.forwarding=1)',
      'One backend never answers: the {family} route to its node\'s pod CIDR is missing or blackholed (the message names the backend and its node)',
    ],
  },
  {
    id: 'conn.pod-to-pod',
    area: 'connectivity',
    perFamily: true,
    title: "a pod reaches a pod on another node at its {family} address",
    verifies:
      'From the client pod pinned to every selected node, HTTP GET to the client pod of every other node at its {family} podIP:9376 answers with that pod\'s name: every node reaches a pod on every other node. Beyond 8 nodes, a bounded sample: each node probes the next node in name order and the one halfway round, so every node is a source and a destination twice.',
    pageStep: null,
    upstream: `${UPSTREAM}: "should be able to reach pod on ipv4 and ipv6 ip"`,
    causes: ['CNI routes between nodes missing for {family}', 'Node firewall dropping {family} forwarded traffic'],
    skipsWithout: ['multiple-nodes'],
  },
  {
    id: 'conn.nodeport',
    area: 'connectivity',
    perFamily: true,
    title: "a pod reaches a NodePort Service on every node's {family} address",
    verifies: 'From a client pod on every selected node, HTTP GET to each node\'s {family} InternalIP:nodePort is answered by every backend (each name seen at least once), so both the local and the forwarded path work.',
    pageStep: null,
    upstream: `${UPSTREAM}: "Granular Checks: Services Secondary IP Family: should function for node-Service: http"`,
    causes: [
      'kube-proxy --nodeport-addresses excludes {family}',
      'Node firewall blocking the NodePort range for {family}',
      'Only the backend on the probed node answers: {family} masquerade (SNAT) of forwarded Service traffic bypassed, or no route to the other node\'s pod CIDR',
    ],
  },
  {
    id: 'conn.hostnetwork-clusterip',
    area: 'connectivity',
    perFamily: true,
    title: 'a hostNetwork pod reaches an {family} clusterIP',
    verifies: 'From a hostNetwork pod on every selected node (the node\'s network namespace), HTTP GET to the PreferDualStack Service\'s {family} clusterIP:80 is answered by every backend (each name seen at least once).',
    pageStep: null,
    upstream: `${UPSTREAM}: "Granular Checks: Services Secondary IP Family: should function for node-Service: http"`,
    causes: ['kube-proxy lacks {family} rules for traffic from the host (OUTPUT chain)', 'No {family} route from the node to pod networks'],
  },
  {
    id: 'conn.hairpin',
    area: 'connectivity',
    perFamily: true,
    title: "a backend reaches itself through its own Service's {family} clusterIP (hairpin)",
    verifies: 'From the hairpin pod, HTTP GET to hairpin-svc\'s {family} clusterIP:80 answers with its own name.',
    pageStep: null,
    upstream: 'test/e2e/network/service.go: "should allow pods to hairpin back to themselves through services"',
    causes: ['Bridge hairpin mode off on pod interfaces (CNI setting hairpinMode)', 'kube-proxy --hairpin-mode mismatch'],
  },
  {
    id: 'conn.udp.clusterip',
    area: 'connectivity',
    perFamily: true,
    title: 'a dual-stack Service answers over UDP on its {family} clusterIP from every node, every backend',
    verifies:
      'From the node client on every selected node, the datagram "hostname" (`nc -u`) to dual-stack-nodeport-svc\'s {family} clusterIP, UDP port 80, is answered by every backend (each name seen at least once).',
    pageStep: null,
    upstream: 'test/e2e/network/dual_stack.go: "should function for pod-Service: udp"',
    causes: [
      'kube-proxy lacks {family} UDP rules, or stale conntrack entries for UDP after endpoint changes (conntrack tool missing on the node)',
      'A firewall or security group dropping {family} UDP between nodes',
    ],
  },
  {
    id: 'conn.udp.nodeport',
    area: 'connectivity',
    perFamily: true,
    title: "a dual-stack NodePort Service answers over UDP on every node's {family} address, every backend",
    verifies:
      'From the node client on every selected node, the datagram "hostname" (`nc -u`) to every node\'s {family} InternalIP at the UDP nodePort of dual-stack-nodeport-svc is answered by every backend.',
    pageStep: null,
    upstream: 'test/e2e/network/dual_stack.go: "should function for node-Service: udp"',
    causes: [
      "kube-proxy --nodeport-addresses excludes the node's {family} address, or UDP NodePort rules missing for {family}",
      'Masquerading of forwarded {family} UDP missing, so replies from a backend on another node are lost',
    ],
  },
  {
    id: 'conn.hostnet-endpoints',
    area: 'connectivity',
    perFamily: true,
    title: 'a Service whose backends use host networking answers on its {family} clusterIP, from every node, every backend',
    verifies:
      "From the node client on every selected node, HTTP GET to dual-stack-hostnet-svc's {family} clusterIP:80 (backends: the hostNetwork pod on every node, serving on the run's port 19000-19999) is answered by every node's hostNetwork pod (its node's hostname).",
    pageStep: null,
    upstream: 'test/e2e/network/dual_stack.go: "should function for endpoint-Service: http" (hostNetwork endpoints)',
    causes: [
      'The node has no {family} InternalIP, so its hostNetwork pod has no {family} podIP and no {family} endpoint (kubelet --node-ip)',
      'A node firewall rejecting {family} traffic to host ports',
    ],
  },
  {
    id: 'conn.affinity',
    area: 'connectivity',
    perFamily: true,
    title: 'client-IP session affinity holds on a Service\'s {family} clusterIP',
    verifies:
      'From the node client on every selected node, 15 HTTP GETs in a row to dual-stack-affinity-svc\'s {family} clusterIP:80 (sessionAffinity: ClientIP, two backends) are all answered by one backend.',
    pageStep: null,
    upstream: 'test/e2e/network/service.go: "should have session affinity work for service with type clusterIP"',
    causes: [
      'kube-proxy ignores sessionAffinity for {family} (recent-match rules or IPVS persistence missing for {family})',
      'Client traffic masqueraded or load-balanced before kube-proxy, so one client shows several source addresses',
    ],
  },
  {
    id: 'conn.endpoint-update',
    area: 'connectivity',
    perFamily: true,
    title: 'a Service follows its endpoints on its {family} clusterIP: an added backend is reached, a removed one no longer is',
    verifies:
      'dual-stack-update-svc selects pods labelled endpoint-update=member. The label is added to the other backend, which must then answer on the {family} clusterIP from every node client; then it is removed from the first one, after which 10 answers in a row from every node client must all come from the remaining backend. Both within the connectivity bound.',
    pageStep: null,
    upstream: 'test/e2e/network/service.go: "should be updated after adding or deleting ports" / endpoint changes in dual_stack.go',
    causes: [
      'kube-proxy not running or not syncing on a node (its {family} rules are stale)',
      'EndpointSlice controller or mirroring not producing {family} slices for the change',
    ],
  },
  // DNS
  {
    id: 'dns.service',
    area: 'dns',
    perFamily: true,
    title: "a dual-stack Service's name resolves to its {family} clusterIP",
    verifies: 'From the client pod, nslookup of the PreferDualStack Service\'s FQDN for the {family} record type (A or AAAA) returns exactly its {family} clusterIP.',
    pageStep: null,
    upstream: null,
    causes: ['CoreDNS too old for dual-stack Services', 'The Service has no {family} clusterIP (see svc.prefer.dual)'],
  },
  {
    id: 'dns.headless',
    area: 'dns',
    perFamily: true,
    title: "a headless dual-stack Service's name resolves to its pods' {family} addresses",
    verifies: 'From the client pod, nslookup of the headless Service\'s FQDN for the {family} record type returns exactly the backends\' {family} podIPs.',
    pageStep: null,
    upstream: null,
    causes: ['EndpointSlices lack {family} (see svc.endpointslices)', 'CoreDNS not watching EndpointSlices of both families'],
  },
  // Off-cluster
  {
    id: 'offcluster.nodeport',
    area: 'offcluster',
    perFamily: true,
    title: "a client outside the cluster reaches a dual-stack NodePort Service on every node's {family} address",
    verifies:
      "From a client container on the nodes' docker network (testcontainers, agnhost image; e.g. kind's `kind` network), HTTP GET (`timeout wget`) to each node's {family} InternalIP:nodePort of dual-stack-nodeport-svc is answered by every backend (each name seen at least once), so every node address reaches every backend.",
    pageStep: null,
    upstream: null,
    causes: [
      'kube-proxy --nodeport-addresses excludes {family} or the node\'s {family} address',
      'Node firewall dropping {family} traffic to the NodePort range from outside the cluster',
      'The node has no {family} InternalIP (see node.internalip.families)',
    ],
    skipsWithout: ['offcluster-network'],
  },
  {
    id: 'offcluster.udp.nodeport',
    area: 'offcluster',
    perFamily: true,
    title: "a client outside the cluster reaches a dual-stack NodePort Service over UDP on every node's {family} address",
    verifies:
      "From the off-cluster client container, the datagram \"hostname\" (`nc -u`) to each node's {family} InternalIP at the UDP nodePort of dual-stack-nodeport-svc is answered by every backend.",
    pageStep: null,
    upstream: 'test/e2e/network/dual_stack.go: "should function for node-Service: udp"',
    causes: [
      'Node firewall dropping {family} UDP to the NodePort range from outside the cluster',
      'Masquerading of forwarded {family} UDP missing, so replies from a backend on another node are lost',
      'The off-cluster image has no `nc` with UDP (-u): use an agnhost image (--offcluster-image)',
    ],
    skipsWithout: ['offcluster-network'],
  },
  // LoadBalancer
  {
    id: 'lb.ipv6.external-ip',
    area: 'loadbalancer',
    perFamily: false,
    requires: 'IPv6',
    title: "the page's IPv6 LoadBalancer Service gets an IPv6 clusterIP and an IPv6 external IP",
    verifies:
      'dual-stack-ipv6-lb-svc gets an IPv6 clusterIP and, within the loadBalancer timeout, an IPv6 external address: an IPv6 ip in status.loadBalancer.ingress, or an ingress hostname (AWS NLB/ELB style) with an AAAA answer, resolved from the off-cluster client (else from the host running the suite).',
    pageStep: `${PAGE_LB}: dual-stack-ipv6-lb-svc.yaml gets IPv6 CLUSTER-IP and EXTERNAL-IP`,
    upstream: null,
    causes: [
      'The LB provider has no IPv6 address pool',
      'The provider ignores Services whose ipFamilies are [IPv6]',
      'The load balancer behind the ingress hostname is IPv4-only, so its name has no AAAA record (AWS: the load balancer\'s IP address type must be dualstack)',
    ],
    skipsWithout: ['lb-provider'],
  },
  {
    id: 'lb.ipv6.reachable',
    area: 'loadbalancer',
    perFamily: false,
    requires: 'IPv6',
    title: "the page's IPv6 LoadBalancer Service answers on its IPv6 external IP from outside the cluster",
    verifies:
      'From a client container outside the cluster (on the nodes\' docker network), HTTP GET to [IPv6 external IP]:80 (an ingress IP, or the ingress hostname\'s AAAA answer) is answered by every backend (each name seen at least once).',
    pageStep: `${PAGE_LB}: "verify the Service is reachable on its IP and port"`,
    upstream: null,
    causes: [
      'The provider announces the IPv6 address but does not route it (MetalLB L2: no NDP answer from a speaker)',
      'kube-proxy lacks rules for the LB IP',
    ],
    skipsWithout: ['lb-provider', 'offcluster-network'],
  },
  {
    id: 'lb.dual.external-ips',
    area: 'loadbalancer',
    perFamily: false,
    requires: 'both',
    title: 'a RequireDualStack LoadBalancer Service gets an IPv4 and an IPv6 external IP',
    verifies:
      'dual-stack-require-lb-svc (RequireDualStack [IPv4, IPv6]) gets clusterIPs of both families and, within the loadBalancer timeout, an external address of each family: ingress ips, or the A and AAAA answers for an ingress hostname (resolved from outside the cluster).',
    pageStep: null,
    upstream: null,
    causes: [
      'The LB provider has an address pool of one family only (MetalLB: the IPAddressPool lists one range)',
      'The provider assigns one address per Service whatever its ipFamilies',
      'The ingress hostname resolves to one family only (an IPv4-only cloud load balancer: no AAAA record)',
    ],
    skipsWithout: ['lb-provider'],
  },
  {
    id: 'lb.dual.reachable',
    area: 'loadbalancer',
    perFamily: true,
    requires: 'both',
    title: "a RequireDualStack LoadBalancer Service answers on its {family} external IP from outside the cluster",
    verifies:
      "From a client container outside the cluster (on the nodes' docker network), HTTP GET to dual-stack-require-lb-svc's {family} external IP (an ingress IP, or an answer for its ingress hostname) on port 80 is answered by every backend (each name seen at least once).",
    pageStep: null,
    upstream: null,
    causes: [
      'The provider announces the {family} address but does not route it (MetalLB L2: no ARP/NDP answer from a speaker)',
      'kube-proxy lacks {family} rules for the LB IP',
      'The Service has no {family} external IP (see lb.dual.external-ips)',
    ],
    skipsWithout: ['lb-provider', 'offcluster-network'],
  },
];

export function expandCheck(spec: CheckSpec): CheckInstance[] {
  const fill = (text: string, family: IpFamily | undefined): string => (family ? text.replaceAll('{family}', family) : text);
  const base = {
    baseId: spec.id,
    area: spec.area,
    pageStep: spec.pageStep,
    upstream: spec.upstream,
    skipsWithout: spec.skipsWithout ?? [],
  };
  if (spec.perFamily) {
    return ALL_FAMILIES.map((family) => ({
      ...base,
      id: `${spec.id}.${familySlug(family)}`,
      family,
      requiresFamilies: spec.requires === 'both' ? [...ALL_FAMILIES] : [family],
      title: fill(spec.title, family),
      verifies: fill(spec.verifies, family),
      causes: spec.causes.map((cause) => fill(cause, family)),
    }));
  }
  const requiresFamilies: IpFamily[] =
    spec.requires === 'both' ? [...ALL_FAMILIES] : spec.requires === 'none' ? [] : [spec.requires];
  return [{ ...base, id: spec.id, family: undefined, requiresFamilies, title: spec.title, verifies: spec.verifies, causes: spec.causes }];
}

export const CHECKS: readonly CheckInstance[] = CHECK_SPECS.flatMap(expandCheck);

const byId = new Map(CHECKS.map((check) => [check.id, check]));

export function checkById(id: string): CheckInstance {
  const check = byId.get(id);
  if (!check) throw new Error(`unknown check id "${id}" (not in support/checks.ts)`);
  return check;
}

/** The `it` title: the stable id in brackets, then the sentence. */
export function checkTitle(check: CheckInstance): string {
  return `[${check.id}] ${check.title}`;
}

/** The check id at the start of a test title, or undefined. */
export function checkIdOfTitle(title: string): string | undefined {
  if (!title.startsWith('[')) return undefined;
  const close = title.indexOf(']');
  const id = close > 1 ? title.slice(1, close) : undefined;
  return id !== undefined && byId.has(id) ? id : undefined;
}

/** Whether a `--family` selection runs this check: family-independent checks and checks of that family only. */
export function selectedByFamily(check: CheckInstance, family: IpFamily | undefined): boolean {
  if (family === undefined) return true;
  return check.requiresFamilies.every((required) => required === family);
}

export function familyDependent(check: CheckInstance): boolean {
  return check.requiresFamilies.length > 0;
}
