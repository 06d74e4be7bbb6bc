// Connectivity, per family: scenarios (data in support/expectations.ts) × families generate the probes; each probe
// asks for the responder's hostname (HTTP GET /hostname, or the UDP datagram "hostname") from inside a fixture pod (a
// client or hostNetwork pod on every selected node), and the expected responders are part of the plan: a Service
// path passes only when every backend has answered.
import { check } from '../support/check.ts';
import { schedulableNodeNames } from '../support/cluster.ts';
import { hostnetResponders, nodesOfPods, planProbes, untilEveryResponderBySource } from '../support/connectivity.ts';
import { CONNECTIVITY_SCENARIOS } from '../support/expectations.ts';
import { ALL_FAMILIES, familySlug } from '../support/ip.ts';
import { hostnameProbeGroup } from '../support/probes/from-pod.ts';
import { currentRun, deployed } from '../support/run.ts';

describe('Connectivity: every path works in each family, from every node', function () {
  for (const scenario of CONNECTIVITY_SCENARIOS) {
    for (const family of ALL_FAMILIES) {
      check(`${scenario.baseId}.${familySlug(family)}`, async function (t) {
        const run = currentRun();
        const fixtures = deployed();
        const plan = planProbes(scenario, family, {
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
        t.verdict([
          ...plan.problems,
          ...probed.filter(({ outcome }) => !outcome.ok).map(({ outcome }) => `${outcome.line}: ${outcome.detail}`),
        ]);
      });
    }
  }
});
