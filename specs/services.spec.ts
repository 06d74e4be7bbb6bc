// The page's "Validate Services", in today's fields: each Service gets the families its ipFamilyPolicy and
// ipFamilies ask for, clusterIPs in ipFamilies' order, and EndpointSlices per family listing the backends.
import type { V1Service } from '@kubernetes/client-node';
import { check } from '../support/check.ts';
import { BACKEND_ROLES, BACKEND_SERVICES, expectedAllocation, SERVICE_ALLOCATIONS } from '../support/expectations.ts';
import { ALL_FAMILIES, familySlug } from '../support/ip.ts';
import { podIPsOf, serviceRef } from '../support/judgements/objects.ts';
import { judgeEndpointSlices, judgeServiceAllocation } from '../support/judgements/services.ts';
import { currentRun, deployed } from '../support/run.ts';
import { settle } from '../support/wait.ts';

function allocationOf(service: V1Service): Record<string, unknown> {
  return {
    ipFamilyPolicy: service.spec?.ipFamilyPolicy,
    ipFamilies: service.spec?.ipFamilies,
    clusterIP: service.spec?.clusterIP,
    clusterIPs: service.spec?.clusterIPs,
  };
}

describe('Services: clusterIPs follow ipFamilyPolicy and ipFamilies', function () {
  for (const expectation of SERVICE_ALLOCATIONS) {
    check(expectation.checkId, function (t) {
      const run = currentRun();
      const created = deployed().services.get(expectation.service);
      const primary = run.cluster.families.primary;
      if (!created?.service) {
        t.verdict([`svc ${run.namespaces.main}/${expectation.service} was rejected by the API server: ${created?.rejection ?? 'not created'}`]);
        return;
      }
      if (!primary) {
        t.verdict([`the cluster's service families are unknown (${run.cluster.families.services.source})`]);
        return;
      }
      const expected = expectedAllocation(expectation, primary);
      t.observe(`svc ${expectation.service}`, allocationOf(created.service));
      t.observe('expected', { ...expected, serviceCidrs: run.cluster.families.services.serviceCidrs, serviceRangesFrom: run.cluster.families.services.source });
      t.verdict(judgeServiceAllocation(created.service, expected, run.cluster.families.services));
    });
  }

  for (const family of ALL_FAMILIES) {
    check(`svc.endpointslices.${familySlug(family)}`, async function (t) {
      const run = currentRun();
      const fixtures = deployed();
      const backends = BACKEND_ROLES.map((role) => ({ name: role, ips: podIPsOf(fixtures.pods[role]) }));
      t.observe('backends', backends);
      const candidates = BACKEND_SERVICES.map((name) => ({ name, created: fixtures.services.get(name) }));
      const withFamily = candidates.filter(({ created }) => created?.service?.spec?.ipFamilies?.includes(family));
      if (withFamily.length === 0) {
        const seen = candidates.map(({ name, created }) =>
          created?.service ? `${name} ipFamilies=[${(created.service.spec?.ipFamilies ?? []).join(',')}]` : `${name} rejected`,
        );
        t.verdict([`no backend Service has ${family} in ipFamilies: ${seen.join('; ')}`]);
        return;
      }
      const judged = await Promise.all(
        withFamily.map(async ({ created }) => {
          const service = created?.service as V1Service;
          const name = service.metadata?.name ?? '';
          const result = await settle({
            what: `${family} EndpointSlices of ${serviceRef(service)}`,
            timeoutMs: run.config.timeouts.endpointSlices,
            timeoutName: 'endpointSlices',
            observe: async () =>
              (
                await run.clients.discovery.listNamespacedEndpointSlice({
                  namespace: run.namespaces.main,
                  labelSelector: `kubernetes.io/service-name=${name}`,
                })
              ).items,
            judge: (slices) => judgeEndpointSlices(service, slices, backends, family),
          });
          t.observe(`EndpointSlices of ${name}`, (result.observed ?? []).map((slice) => ({
            name: slice.metadata?.name,
            addressType: slice.addressType,
            endpoints: (slice.endpoints ?? []).map((endpoint) => ({ addresses: endpoint.addresses, ready: endpoint.conditions?.ready })),
          })));
          return result.problems;
        }),
      );
      t.verdict(judged.flat());
    });
  }
});
