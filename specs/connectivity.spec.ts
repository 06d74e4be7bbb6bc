// Connectivity, per family: scenarios (data in support/expectations.ts) × families generate the probes; each probe
// is an HTTP GET /hostname sent from inside a fixture pod, and the expected responder is part of the plan.
import { check } from '../support/check.ts';
import { schedulableNodeNames } from '../support/cluster.ts';
import { judgeResponder, planProbes } from '../support/connectivity.ts';
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
          nodes: run.cluster.nodes,
          schedulableNodes: schedulableNodeNames(run.cluster),
        });
        if (plan.skip) t.skip(plan.skip.capability, plan.skip.reason);
        const source = plan.source;
        const outcomes = source
          ? await Promise.all(
              plan.probes.map((probe) =>
                httpHostnameProbe(run.clients, run.config.timeouts, source, probe.destination, (hostname) =>
                  judgeResponder(hostname, probe.responders),
                ),
              ),
            )
          : [];
        t.observe(
          'probes',
          outcomes.map((outcome) => `${outcome.line}: ${outcome.ok ? `ok, answered ${outcome.answer}` : `FAILED: ${outcome.detail}`}`),
        );
        t.verdict([
          ...plan.problems,
          ...outcomes.filter((outcome) => !outcome.ok).map((outcome) => `${outcome.line}: ${outcome.detail}`),
        ]);
      });
    }
  }
});
