// Connectivity, per family: scenarios (data in support/expectations.ts) × families generate the probes; each probe
// is an HTTP GET /hostname sent from inside a fixture pod, and the expected responder is part of the plan.
import { check } from '../support/check.ts';
import { schedulableNodeNames } from '../support/cluster.ts';
import { nodesOfPods, planProbes, ResponderCollector } from '../support/connectivity.ts';
import { CONNECTIVITY_SCENARIOS } from '../support/expectations.ts';
import { ALL_FAMILIES, familySlug } from '../support/ip.ts';
import { httpHostnameProbe } from '../support/probes.ts';
import { currentRun, deployed } from '../support/run.ts';

describe('Connectivity: every path works in each family', function () {
  for (const scenario of CONNECTIVITY_SCENARIOS) {
    for (const family of ALL_FAMILIES) {
      check(`${scenario.baseId}.${familySlug(family)}`, async function (t) {
        const run = currentRun();
        const fixtures = deployed();
        const plan = planProbes(scenario, family, {
          pods: fixtures.pods,
          services: fixtures.services,
          nodes: run.cluster.selectedNodes,
          schedulableNodes: schedulableNodeNames(run.cluster),
        });
        if (plan.skip) t.skip(plan.skip.capability, plan.skip.reason);
        const source = plan.source;
        const where = nodesOfPods(Object.values(fixtures.pods));
        const probed = source
          ? await Promise.all(
              plan.probes.map(async (probe) => {
                const collector = new ResponderCollector(probe.responders, where);
                const outcome = await httpHostnameProbe(run.clients, run.config.timeouts, source, probe.destination, collector.accept);
                return { outcome: { ...outcome, detail: collector.explain(outcome.detail) }, answered: collector.describe() };
              }),
            )
          : [];
        const outcomes = probed.map(({ outcome }) => outcome);
        t.observe(
          'probes',
          probed.map(({ outcome, answered }) => `${outcome.line}: ${outcome.ok ? `ok, answered by ${answered}` : `FAILED: ${outcome.detail}`}`),
        );
        t.verdict([
          ...plan.problems,
          ...outcomes.filter((outcome) => !outcome.ok).map((outcome) => `${outcome.line}: ${outcome.detail}`),
        ]);
      });
    }
  }
});
