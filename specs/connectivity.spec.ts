// Connectivity, per family: each check's scenario row (who probes, where to, who must answer, TCP or UDP) is planned
// into probes by support/connectivity.ts; each probe asks for the responder's hostname (HTTP GET /hostname, or the
// UDP datagram "hostname") from inside a fixture pod (a client or hostNetwork pod on every selected node), and the
// expected responders are part of the plan: a Service path passes only when every backend has answered.
import { registerArea, type FamilyCheckContext } from '../support/check.ts';
import { checkArea, perFamily, type CheckDeclaration, type PerFamilyEntry } from '../support/checks.ts';
import { schedulableNodeNames } from '../support/cluster.ts';
import { hostnetResponders, planProbes } from '../support/connectivity.ts';
import type { ConnectivityScenario } from '../support/expectations.ts';
import { hostnameProbeGroup } from '../support/probes/from-pod.ts';
import { nodesOfPods, untilEveryResponderBySource } from '../support/responders.ts';
import { PAGE_SERVICES, UPSTREAM, upstreamGranular } from './references.ts';

async function probeScenario(t: FamilyCheckContext, scenario: ConnectivityScenario): Promise<void> {
  const { run, fixtures } = t;
  const plan = planProbes(scenario, t.family, {
    pods: fixtures.pods,
    nodeClients: fixtures.nodeClients,
    nodeHostnets: fixtures.nodeHostnets,
    services: fixtures.services,
    nodes: run.cluster.selectedNodes,
    schedulableNodes: schedulableNodeNames(run.cluster),
  });
  if (plan.skip) t.skip(plan.skip.capability, plan.skip.reason);
  const where = {
    ...nodesOfPods([...Object.values(fixtures.pods), ...fixtures.nodeClients]),
    ...hostnetResponders(fixtures.nodeHostnets, run.cluster.selectedNodes).where,
  };
  // The probes of one source go together: one exec per attempt for all its destinations.
  const probed = await untilEveryResponderBySource(plan.probes, where, (source, targets, protocol) =>
    hostnameProbeGroup(run.clients, run.config.timeouts, source, targets, protocol),
  );
  t.observe('probes', probed.map(({ observed }) => observed));
  t.verdict([...plan.problems, ...probed.filter(({ outcome }) => !outcome.ok).map(({ outcome }) => `${outcome.line}: ${outcome.detail}`)]);
}

const scenarios = new Map<string, ConnectivityScenario>();

/** A per-family check whose body probes `scenario`. */
function scenarioCheck(id: string, entry: PerFamilyEntry, scenario: ConnectivityScenario): CheckDeclaration {
  scenarios.set(id, scenario);
  return perFamily(id, entry, (t) => probeScenario(t, scenario));
}

/** Each scenario check's row by check id, for unit tests of the planning. */
export const CONNECTIVITY_SCENARIOS: ReadonlyMap<string, ConnectivityScenario> = scenarios;

export const CONNECTIVITY = checkArea('connectivity', 'Connectivity: every path works in each family, from every node', [
  scenarioCheck(
    'conn.clusterip',
    {
      title: "a client pod reaches every Service's {family} clusterIP on port 80",
      verifies: 'From a client pod on every selected node, HTTP GET http://<{family} clusterIP>:80/hostname is answered by every backend (each backend\'s name seen at least once within the connectivity bound), for every Service with an {family} clusterIP.',
      pageStep: `${PAGE_SERVICES}: "verify the Service is reachable on its IP and port"`,
      upstream: upstreamGranular('pod-Service: http'),
      causes: [
        'kube-proxy not programming {family} rules (check its logs and --cluster-cidr)',
        'Missing {family} forwarding on nodes (net.ipv6.conf.all.forwarding=1)',
        'One backend never answers: the {family} route to its node\'s pod CIDR is missing or blackholed (the message names the backend and its node)',
      ],
    },
    { from: 'node-clients', to: 'backend-service-cluster-ips', responder: 'every-backend', protocol: 'tcp' },
  ),
  scenarioCheck(
    'conn.pod-to-pod',
    {
      title: "a pod reaches a pod on another node at its {family} address",
      verifies:
        'From the client pod pinned to every selected node, HTTP GET to the client pod of every other node at its {family} podIP:9376 answers with that pod\'s name: every node reaches a pod on every other node. Beyond 8 nodes, a bounded sample: each node probes the next node in name order and the one halfway round, so every node is a source and a destination twice.',
      pageStep: null,
      upstream: `${UPSTREAM}: "should be able to reach pod on ipv4 and ipv6 ip"`,
      causes: ['CNI routes between nodes missing for {family}', 'Node firewall dropping {family} forwarded traffic'],
      skipsWithout: ['multiple-nodes'],
    },
    { from: 'node-clients', to: 'node-clients-on-other-nodes', responder: 'target-pod', protocol: 'tcp' },
  ),
  scenarioCheck(
    'conn.nodeport',
    {
      title: "a pod reaches a NodePort Service on every node's {family} address",
      verifies: 'From a client pod on every selected node, HTTP GET to each node\'s {family} InternalIP:nodePort is answered by every backend (each name seen at least once), so both the local and the forwarded path work.',
      pageStep: null,
      upstream: upstreamGranular('node-Service: http'),
      causes: [
        'kube-proxy --nodeport-addresses excludes {family}',
        'Node firewall blocking the NodePort range for {family}',
        'Only the backend on the probed node answers: {family} masquerade (SNAT) of forwarded Service traffic bypassed, or no route to the other node\'s pod CIDR',
      ],
    },
    { from: 'node-clients', to: 'nodeport-on-every-node', responder: 'every-backend', protocol: 'tcp' },
  ),
  scenarioCheck(
    'conn.hostnetwork-clusterip',
    {
      title: 'a hostNetwork pod reaches an {family} clusterIP',
      verifies: 'From a hostNetwork pod on every selected node (the node\'s network namespace), HTTP GET to the PreferDualStack Service\'s {family} clusterIP:80 is answered by every backend (each name seen at least once).',
      pageStep: null,
      upstream: upstreamGranular('node-Service: http'),
      causes: ['kube-proxy lacks {family} rules for traffic from the host (OUTPUT chain)', 'No {family} route from the node to pod networks'],
    },
    { from: 'node-hostnets', to: 'prefer-service-cluster-ip', responder: 'every-backend', protocol: 'tcp' },
  ),
  scenarioCheck(
    'conn.hairpin',
    {
      title: "a backend reaches itself through its own Service's {family} clusterIP (hairpin)",
      verifies: 'From the hairpin pod, HTTP GET to hairpin-svc\'s {family} clusterIP:80 answers with its own name.',
      pageStep: null,
      upstream: 'test/e2e/network/service.go: "should allow pods to hairpin back to themselves through services"',
      causes: ['Bridge hairpin mode off on pod interfaces (CNI setting hairpinMode)', 'kube-proxy --hairpin-mode mismatch'],
    },
    { from: 'hairpin', to: 'own-service-cluster-ip', responder: 'source', protocol: 'tcp' },
  ),
  scenarioCheck(
    'conn.udp.clusterip',
    {
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
    { from: 'node-clients', to: 'nodeport-service-cluster-ip', responder: 'every-backend', protocol: 'udp' },
  ),
  scenarioCheck(
    'conn.udp.nodeport',
    {
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
    { from: 'node-clients', to: 'nodeport-on-every-node', responder: 'every-backend', protocol: 'udp' },
  ),
  scenarioCheck(
    'conn.hostnet-endpoints',
    {
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
    { from: 'node-clients', to: 'hostnet-service-cluster-ip', responder: 'every-node-hostnet', protocol: 'tcp' },
  ),
]);

registerArea(CONNECTIVITY);
