// Endpoint updates, per family: dual-stack-update-svc selects the backends labelled endpoint-update=member. The check
// adds the other backend (it must then answer from every node client), then removes the first one (after which every
// node client must get the remaining backend only). Each family's check starts from whatever the last one left.
import { exclusively, registerArea } from '../support/check.ts';
import { checkArea, perFamily } from '../support/checks.ts';
import { probeSources, serviceDestination } from '../support/connectivity.ts';
import { BACKEND_ROLES, ENDPOINT_UPDATE_LABEL, ENDPOINT_UPDATE_MEMBER, SERVICES } from '../support/expectations.ts';
import { patchPodLabels } from '../support/k8s.ts';
import { hostnameProbeGroup, repeatedHttpProbe } from '../support/probes/from-pod.ts';
import { judgeOnlyRemaining, nodesOfPods, untilEveryResponder } from '../support/responders.ts';

/** Requests in a row that must all reach the remaining backend once the other was removed. */
const AFTER_REMOVAL_REQUESTS = 10;

export const ENDPOINT_UPDATES = checkArea('connectivity', 'Endpoint updates: a Service follows its backends in each family', [
  perFamily(
    'conn.endpoint-update',
    {
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
    // The families' checks move the same label: one after the other, even when started together.
    (t) => exclusively('endpoint-update', async () => {
      const { run, fixtures, family } = t;
      const namespace = run.namespaces.main;
      const { sources, problems } = probeSources(fixtures.nodeClients, family, 'node client');
      const destination = serviceDestination(SERVICES.endpointUpdate, fixtures.services.get(SERVICES.endpointUpdate), family);
      if (typeof destination === 'string') {
        t.verdict([...problems, destination]);
        return;
      }
      const names = BACKEND_ROLES.map((role) => fixtures.pods[role].metadata?.name ?? role);
      const current = await Promise.all(names.map((name) => run.clients.core.readNamespacedPod({ namespace, name })));
      const removed = current.find((pod) => pod.metadata?.labels?.[ENDPOINT_UPDATE_LABEL] === ENDPOINT_UPDATE_MEMBER)?.metadata?.name ?? names[0]!;
      const added = names.find((name) => name !== removed)!;
      const where = nodesOfPods(Object.values(fixtures.pods));
      const setMember = (name: string, member: boolean) =>
        patchPodLabels(run.clients, namespace, name, { [ENDPOINT_UPDATE_LABEL]: member ? ENDPOINT_UPDATE_MEMBER : null });

      // Added: both are members; every node client must get an answer from each.
      await Promise.all([setMember(removed, true), setMember(added, true)]);
      const afterAdding = await Promise.all(
        sources.map((source) =>
          untilEveryResponder([removed, added], where, async (accept) => {
            const [outcome] = await hostnameProbeGroup(run.clients, run.config.timeouts, source, [{ destination, accept }], 'tcp');
            return outcome!;
          }),
        ),
      );
      // Removed: only `added` is a member; every node client must then reach it only. Judged only once adding
      // worked: a Service the nodes do not reach says nothing about removals.
      await setMember(removed, false);
      const addingFailed = afterAdding.some(({ outcome }) => !outcome.ok);
      const afterRemoving = addingFailed ? [] : await Promise.all(
        sources.map((source) =>
          repeatedHttpProbe(run.clients, run.config.timeouts, source, destination, AFTER_REMOVAL_REQUESTS, (answers) =>
            judgeOnlyRemaining(answers, AFTER_REMOVAL_REQUESTS, added, removed),
          ),
        ),
      );
      t.observe('after adding ' + added, afterAdding.map(({ observed }) => observed));
      t.observe(
        'after removing ' + removed,
        afterRemoving.map((outcome) => `${outcome.line}: ${outcome.ok ? `ok, ${outcome.answer}` : `FAILED: ${outcome.detail}`}`),
      );
      t.verdict([
        ...problems,
        ...afterAdding.filter(({ outcome }) => !outcome.ok).map(({ outcome }) => `after adding ${added}: ${outcome.line}: ${outcome.detail}`),
        ...afterRemoving.filter((outcome) => !outcome.ok).map((outcome) => `after removing ${removed}: ${outcome.line}: ${outcome.detail}`),
      ]);
    }),
  ),
]);

registerArea(ENDPOINT_UPDATES);
