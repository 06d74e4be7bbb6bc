// From outside the cluster: a client container on the nodes' docker network (testcontainers) reaches the dual-stack
// NodePort Service on every node's address of each family, over TCP and UDP, as a user outside the cluster would.
// Without such a network (a cluster that is not kind and no --offcluster-network) the checks are skipped with that
// reason; with --absent offcluster-network they are skipped before anything is detected or started (support/check.ts).
import { registerArea, type FamilyCheckContext } from '../support/check.ts';
import { checkArea, perFamily } from '../support/checks.ts';
import { nodePortProbes } from '../support/connectivity.ts';
import { BACKEND_ROLES, type ProbeProtocol } from '../support/expectations.ts';
import { offclusterClient } from '../support/offcluster/client.ts';
import { everyBackendFromOffcluster, offclusterNetworkOf } from './offcluster-probing.ts';

/** The body of both checks: every node address of the family reaches every backend, the local and the forwarded path. */
async function reachNodePorts(t: FamilyCheckContext, protocol: ProbeProtocol): Promise<void> {
  const { run, fixtures } = t;
  const network = await offclusterNetworkOf(t);
  if (!network) return;
  const responders = BACKEND_ROLES.map((role) => fixtures.pods[role].metadata?.name ?? role);
  const plan = nodePortProbes(fixtures.services, run.cluster.selectedNodes, t.family, responders, protocol);
  const client = plan.probes.length > 0 ? await offclusterClient(run) : undefined;
  const probed = client ? await Promise.all(plan.probes.map((probe) => everyBackendFromOffcluster(t, client, probe.destination, protocol))) : [];
  t.observe('off-cluster network', `${network.network} [${network.subnets.join(', ')}]: ${network.how}`);
  t.observe('probes', probed.map(({ observed }) => observed));
  t.verdict([...plan.problems, ...probed.filter(({ outcome }) => !outcome.ok).map(({ outcome }) => `${outcome.line}: ${outcome.detail}`)]);
}

export const OFFCLUSTER = checkArea('offcluster', 'Off-cluster: a client outside the cluster reaches it in each family', [
  perFamily(
    'offcluster.nodeport',
    {
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
    (t) => reachNodePorts(t, 'tcp'),
  ),
  perFamily(
    'offcluster.udp.nodeport',
    {
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
    (t) => reachNodePorts(t, 'udp'),
  ),
]);

registerArea(OFFCLUSTER);
