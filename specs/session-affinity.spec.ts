// Client-IP session affinity, per family: from the node client on every node, a burst of requests to the affinity
// Service must all land on one backend (each client may get a different one).
import { registerArea } from '../support/check.ts';
import { checkArea, perFamily } from '../support/checks.ts';
import { probeSources, serviceDestination } from '../support/connectivity.ts';
import { AFFINITY_REQUESTS, BACKEND_ROLES, SERVICES } from '../support/expectations.ts';
import { repeatedHttpProbe } from '../support/probes/from-pod.ts';
import { judgeAffinity } from '../support/responders.ts';

export const SESSION_AFFINITY = checkArea('connectivity', 'Session affinity: one client stays on one backend in each family', [
  perFamily(
    'conn.affinity',
    {
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
    async function (t) {
      const { run, fixtures, family } = t;
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
    },
  ),
]);

registerArea(SESSION_AFFINITY);
