// From outside the cluster: a client container on the nodes' docker network (testcontainers) reaches the dual-stack
// NodePort Service on every node's address of each family, over TCP and UDP, as a user outside the cluster would.
// Without such a network (a cluster that is not kind and no --offcluster-network) the checks are skipped with that
// reason; with --absent offcluster-network they are skipped before anything is detected or started (support/check.ts).
import { check } from '../support/check.ts';
import { nodePortProbes, nodesOfPods, untilEveryResponder } from '../support/connectivity.ts';
import { BACKEND_ROLES, type ProbeProtocol } from '../support/expectations.ts';
import { ALL_FAMILIES, familySlug } from '../support/ip.ts';
import { offclusterClient } from '../support/offcluster/client.ts';
import { offclusterNetwork } from '../support/offcluster/network.ts';
import { offclusterHostnameProbe } from '../support/offcluster/probes.ts';
import { currentRun, deployed } from '../support/run.ts';

const CHECKS: readonly { readonly baseId: string; readonly protocol: ProbeProtocol }[] = [
  { baseId: 'offcluster.nodeport', protocol: 'tcp' },
  { baseId: 'offcluster.udp.nodeport', protocol: 'udp' },
];

describe('Off-cluster: a client outside the cluster reaches it in each family', function () {
  for (const { baseId, protocol } of CHECKS) {
    for (const family of ALL_FAMILIES) {
      check(`${baseId}.${familySlug(family)}`, async function (t) {
        const run = currentRun();
        const fixtures = deployed();
        const network = await offclusterNetwork(run);
        if (!network.available) {
          if (!network.declared) t.skip('offcluster-network', network.reason);
          t.verdict([network.reason]);
          return;
        }
        const responders = BACKEND_ROLES.map((role) => fixtures.pods[role].metadata?.name ?? role);
        const plan = nodePortProbes(fixtures.services, run.cluster.selectedNodes, family, responders, protocol);
        const where = nodesOfPods(Object.values(fixtures.pods));
        const client = plan.probes.length > 0 ? await offclusterClient(run) : undefined;
        // Every node address must reach every backend: the local and the forwarded path both.
        const probed = client
          ? await Promise.all(
              plan.probes.map((probe) =>
                untilEveryResponder(probe.responders, where, (accept) => offclusterHostnameProbe(run, client, probe.destination, protocol, accept)),
              ),
            )
          : [];
        t.observe('off-cluster network', `${network.network} [${network.subnets.join(', ')}]: ${network.how}`);
        t.observe('probes', probed.map(({ observed }) => observed));
        t.verdict([...plan.problems, ...probed.filter(({ outcome }) => !outcome.ok).map(({ outcome }) => `${outcome.line}: ${outcome.detail}`)]);
      });
    }
  }
});
