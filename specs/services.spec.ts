// The page's "Validate Services", in today's fields: each Service gets the families its ipFamilyPolicy and
// ipFamilies ask for, clusterIPs in ipFamilies' order, and EndpointSlices per family listing the backends.
import type { V1Service } from '@kubernetes/client-node';
import { registerArea, type CheckContext } from '../support/check.ts';
import { check, checkArea, perFamily, type CheckDeclaration } from '../support/checks.ts';
import { BACKEND_ROLES, BACKEND_SERVICES, expectedAllocation, SERVICES, type ServiceAllocationExpectation } from '../support/expectations.ts';
import type { IpFamily } from '../lib/ip.ts';
import { podIPsOf, serviceRef } from '../support/judgements/objects.ts';
import { judgeEndpointSlices, judgeServiceAllocation } from '../support/judgements/services.ts';
import { settle } from '../lib/wait.ts';
import { PAGE_SERVICES, UPSTREAM } from './references.ts';
import { timeoutEnvName } from '../support/timeouts.ts';

function allocationOf(service: V1Service): Record<string, unknown> {
  return {
    ipFamilyPolicy: service.spec?.ipFamilyPolicy,
    ipFamilies: service.spec?.ipFamilies,
    clusterIP: service.spec?.clusterIP,
    clusterIPs: service.spec?.clusterIPs,
  };
}

/** The body of an allocation check: the Service got the families and clusterIPs `expectation` asks for. */
function judgeAllocation(t: CheckContext, expectation: ServiceAllocationExpectation): void {
  const { run } = t;
  const created = t.fixtures.services.get(expectation.service);
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
}

/** A RequireDualStack Service whose ipFamilies are `order`: it gets clusterIPs of both families in that order. */
function requireDualStack(id: string, service: string, order: readonly [IpFamily, IpFamily], upstreamTest: string): CheckDeclaration {
  const [first, second] = order;
  return check(
    id,
    {
      requires: 'both',
      title: `a RequireDualStack [${first}, ${second}] Service gets clusterIPs in that order`,
      verifies: `clusterIPs[0] is ${first} and clusterIPs[1] is ${second}, matching ipFamilies; each inside a range of its family of any ServiceCIDR object.`,
      pageStep: null,
      upstream: `${UPSTREAM}: "${upstreamTest}"`,
      causes: ['kube-apiserver --service-cluster-ip-range lists one family: the API rejects RequireDualStack'],
    },
    (t) => judgeAllocation(t, { service, policy: 'RequireDualStack', families: order }),
  );
}

export const SERVICE_CHECKS = checkArea('services', 'Services: clusterIPs follow ipFamilyPolicy and ipFamilies', [
  check(
    'svc.default.primary',
    {
      requires: 'none',
      title: "a Service without ipFamilies gets SingleStack in the cluster's first service family",
      verifies:
        'dual-stack-default-svc (the page\'s default Service) gets ipFamilyPolicy SingleStack, ipFamilies [primary] and one clusterIP of that family inside a service range of that family (any ServiceCIDR object\'s, when the API shows them).',
      pageStep: `${PAGE_SERVICES}: dual-stack-default-svc.yaml gets the family of the first --service-cluster-ip-range`,
      upstream: `${UPSTREAM}: "should create a single stack service with cluster ip from primary service range"`,
      causes: ['A mutating webhook that sets ipFamilies', 'kube-apiserver --service-cluster-ip-range order differs from what you expect'],
    },
    (t) => judgeAllocation(t, { service: SERVICES.default, policy: 'SingleStack', families: 'primary' }),
  ),
  perFamily(
    'svc.single',
    {
      title: 'a Service with ipFamilies [{family}] gets one {family} clusterIP',
      verifies:
        'The SingleStack [{family}] Service gets ipFamilies [{family}] and exactly one clusterIP, of {family}, inside a {family} range of any ServiceCIDR object.',
      pageStep: `${PAGE_SERVICES}: dual-stack-ipv6-svc.yaml (ipFamily: IPv6 on the page; ipFamilies [IPv6] today) and its IPv4 twin`,
      upstream: `${UPSTREAM}: "should create service with ipv4 cluster ip" / "should create service with ipv6 cluster ip"`,
      causes: ['kube-apiserver --service-cluster-ip-range lacks an {family} range', 'The ServiceCIDR objects lack an {family} range'],
    },
    (t) => judgeAllocation(t, { service: t.family === 'IPv4' ? SERVICES.ipv4 : SERVICES.ipv6, policy: 'SingleStack', families: [t.family] }),
  ),
  check(
    'svc.prefer.dual',
    {
      requires: 'both',
      title: 'a PreferDualStack Service gets an IPv4 and an IPv6 clusterIP, primary family first',
      verifies: 'dual-stack-prefer-dual-svc gets ipFamilies of both families, primary first, and clusterIPs in the same order.',
      pageStep: null,
      upstream: null,
      causes: ['kube-apiserver --service-cluster-ip-range lists one family (PreferDualStack then silently stays single-stack)'],
    },
    (t) => judgeAllocation(t, { service: SERVICES.prefer, policy: 'PreferDualStack', families: 'primary-first' }),
  ),
  requireDualStack('svc.require.ipv4-ipv6', SERVICES.requireV4V6, ['IPv4', 'IPv6'], 'should create service with ipv4,v6 cluster ip'),
  requireDualStack('svc.require.ipv6-ipv4', SERVICES.requireV6V4, ['IPv6', 'IPv4'], 'should create service with ipv6,v4 cluster ip'),
  perFamily(
    'svc.endpointslices',
    {
      title: 'every Service with an {family} clusterIP has an {family} EndpointSlice holding its backends',
      verifies:
        'For each selector Service whose ipFamilies include {family}, EndpointSlices of addressType {family} list exactly the ready backends\' {family} addresses.',
      pageStep: null,
      upstream: `${UPSTREAM}: "should create service with ipv4,v6 cluster ip" (EndpointSlice per family)`,
      causes: ['Pods have no {family} address', 'kube-controller-manager EndpointSlice controller not running or lagging'],
    },
    async function (t) {
      const { run, fixtures, family } = t;
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
            raise: timeoutEnvName('endpointSlices'),
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
    },
  ),
]);

registerArea(SERVICE_CHECKS);
