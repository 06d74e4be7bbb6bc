// Client-IP session affinity, per family: from the node client on every node, a burst of requests to the affinity
// Service must all land on one backend (each client may get a different one).
import { check } from '../support/check.ts';
import { judgeAffinity, probeSources, serviceDestination } from '../support/connectivity.ts';
import { AFFINITY_REQUESTS, BACKEND_ROLES, SERVICES } from '../support/expectations.ts';
import { ALL_FAMILIES, familySlug } from '../support/ip.ts';
import { repeatedHttpProbe } from '../support/probes/from-pod.ts';
import { currentRun, deployed } from '../support/run.ts';

describe('Session affinity: one client stays on one backend in each family', function () {
  for (const family of ALL_FAMILIES) {
    check(`conn.affinity.${familySlug(family)}`, async function (t) {
      const run = currentRun();
      const fixtures = deployed();
      const backends = BACKEND_ROLES.map((role) => fixtures.pods[role].metadata?.name ?? role);
      const { sources, problems } = probeSources(fixtures.nodeClients, family, 'node client');
      const destination = serviceDestination(SERVICES.affinity, fixtures.services.get(SERVICES.affinity), family);
      if (typeof destination === 'string') problems.push(destination);
      const outcomes =
        typeof destination === 'string'
          ? []
          : await Promise.all(
              sources.map((source) =>
                repeatedHttpProbe(run.clients, run.config.timeouts, source, destination, AFFINITY_REQUESTS, (answers) =>
                  judgeAffinity(answers, AFFINITY_REQUESTS, backends),
                ),
              ),
            );
      t.observe('probes', outcomes.map((outcome) => `${outcome.line}: ${outcome.ok ? `ok, ${outcome.answer}` : `FAILED: ${outcome.detail}`}`));
      t.verdict([...problems, ...outcomes.filter((outcome) => !outcome.ok).map((outcome) => `${outcome.line}: ${outcome.detail}`)]);
    });
  }
});
