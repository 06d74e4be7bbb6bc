// The page's "Create a dual-stack load balanced Service": the IPv6 LoadBalancer Service gets an IPv6 clusterIP and
// an IPv6 external IP, and answers on it from outside the cluster; beyond the page, a RequireDualStack LoadBalancer
// Service gets an external IP of each family, each answering from outside. Provider presence is decided first
// (declared, MetalLB pools, or a probe Service); without a provider the checks are skipped with that reason, with
// one a missing IP is a failure. Reachability is probed from the off-cluster client (support/offcluster/).
// An ingress hostname (AWS NLB/ELB) stands for the addresses it resolves to: its A and AAAA answers, looked up from
// the off-cluster client (else from this host), are judged as the external IPs of each family.
import type { V1Service } from '@kubernetes/client-node';
import { registerArea, type CheckContext } from '../support/check.ts';
import { check, checkArea, perFamily } from '../support/checks.ts';
import { describeError } from '../lib/errors.ts';
import { SERVICE_PORT, SERVICES } from '../support/expectations.ts';
import type { IpFamily } from '../lib/ip.ts';
import { judgeDualStackLoadBalancer, judgeIpv6LoadBalancer } from '../support/judgements/loadbalancer.ts';
import { serviceRef } from '../support/judgements/objects.ts';
import {
  describeLbProvider,
  describeResolution,
  externalAddresses,
  hostResolver,
  ingressAddresses,
  ingressHostnames,
  type HostnameResolution,
  type HostnameResolver,
} from '../support/loadbalancer.ts';
import { offclusterClient } from '../support/offcluster/client.ts';
import { offclusterNetwork } from '../support/offcluster/network.ts';
import { offclusterResolver } from '../support/offcluster/probes.ts';
import { printCheckLine } from '../support/probes/retry.ts';
import type { Run } from '../support/run.ts';
import { settle } from '../lib/wait.ts';
import { everyBackendFromOffcluster, offclusterNetworkOf } from './offcluster-probing.ts';
import { PAGE_LB } from './references.ts';
import { timeoutEnvName } from '../support/timeouts.ts';

interface SettledLb {
  readonly service: V1Service | undefined;
  readonly resolutions: readonly HostnameResolution[];
  readonly problems: string[];
}

type Settler = (t: CheckContext) => Promise<SettledLb>;

let resolverOfRun: Promise<HostnameResolver> | undefined;

/**
 * Where ingress hostnames are resolved: inside the off-cluster client when there is one (the side the probes come
 * from), else on this host, which is outside the cluster too. Decided once, only when a hostname shows up.
 */
function ingressResolver(run: Run): Promise<HostnameResolver> {
  resolverOfRun ??= (async () => {
    const host = hostResolver(run.config.timeouts.probeAttempt);
    const network = await offclusterNetwork(run);
    if (!network.available) return host;
    try {
      return offclusterResolver(run, await offclusterClient(run));
    } catch (error) {
      printCheckLine(`    Ingress hostnames are resolved on this host: the off-cluster client did not start (${describeError(error)})`);
      return host;
    }
  })();
  return resolverOfRun;
}

/** Waits (bounded) until the LB Service satisfies `judge`; every check about one Service shares one wait. */
function lbSettler(name: string, wanted: string, judge: (service: V1Service, resolutions: readonly HostnameResolution[]) => string[]): Settler {
  let state: Promise<SettledLb> | undefined;
  const settleOnce = async ({ run, fixtures }: CheckContext): Promise<SettledLb> => {
    const created = fixtures.services.get(name);
    if (!created?.service) {
      return {
        service: undefined,
        resolutions: [],
        problems: [`svc ${run.namespaces.main}/${name} was rejected by the API server: ${created?.rejection ?? 'not created'}`],
      };
    }
    const result = await settle({
      what: `${serviceRef(created.service)} to get ${wanted}`,
      timeoutMs: run.config.timeouts.loadBalancer,
      raise: timeoutEnvName('loadBalancer'),
      // Hostnames are resolved again on each observation: a new NLB's DNS name answers only after a while.
      observe: async () => {
        const service = await run.clients.core.readNamespacedService({ namespace: run.namespaces.main, name });
        const hostnames = ingressHostnames(service);
        const resolve = hostnames.length > 0 ? await ingressResolver(run) : undefined;
        const resolutions = resolve ? await Promise.all(hostnames.map((hostname) => resolve(hostname))) : [];
        return { service, resolutions };
      },
      judge: (observed) => judge(observed.service, observed.resolutions),
    });
    for (const resolution of result.observed?.resolutions ?? []) {
      printCheckLine(`      resolve ${resolution.from} -> ingress hostname ${describeResolution(resolution)}`);
    }
    return { service: result.observed?.service, resolutions: result.observed?.resolutions ?? [], problems: result.problems };
  };
  return (t) => (state ??= settleOnce(t));
}

const ipv6Lb = lbSettler(SERVICES.loadBalancerIpv6, 'an IPv6 external IP', judgeIpv6LoadBalancer);
const dualLb = lbSettler(SERVICES.loadBalancerDual, 'an IPv4 and an IPv6 external IP', judgeDualStackLoadBalancer);

/** Skips without a provider; else judges the Service's external IPs once settled, showing `ipFamilies` when asked. */
async function judgeExternalIps(t: CheckContext, settled: Settler, showFamilies: boolean): Promise<void> {
  const provider = await t.fixtures.lbProvider;
  if (!provider.present) t.skip('lb-provider', provider.reason);
  const { service, resolutions, problems } = await settled(t);
  t.observe('LoadBalancer Service', {
    ...(showFamilies ? { ipFamilies: service?.spec?.ipFamilies } : {}),
    clusterIPs: service?.spec?.clusterIPs,
    ingress: ingressAddresses(service),
    loadBalancerSourceRanges: service?.spec?.loadBalancerSourceRanges,
    hostnames: resolutions.map((resolution) => `${describeResolution(resolution)} (from ${resolution.from})`),
  });
  t.verdict(problems);
}

/** Skips without a provider or an off-cluster network; fails without the external IP; else probes [ip]:80. */
async function reachFromOffcluster(t: CheckContext, settled: Settler, name: string, family: IpFamily, seeCheck: string): Promise<void> {
  const provider = await t.fixtures.lbProvider;
  if (!provider.present) t.skip('lb-provider', provider.reason);
  if (!(await offclusterNetworkOf(t))) return;
  const { service, resolutions, problems } = await settled(t);
  const [external] = externalAddresses(service, resolutions, family);
  if (!external) {
    t.verdict([...problems, `no ${family} external IP to reach (see ${seeCheck})`]);
    return;
  }
  const client = await offclusterClient(t.run);
  const label = external.hostname === undefined ? `svc ${name} external IP` : `svc ${name} ingress hostname ${external.hostname}`;
  // Every backend must answer through the external IP, as for the in-cluster Service paths.
  const { outcome, observed } = await everyBackendFromOffcluster(t, client, { label, address: external.address, port: SERVICE_PORT }, 'tcp');
  t.observe('probe', observed);
  t.verdict(outcome.ok ? [] : [`${outcome.line}: ${outcome.detail}`]);
}

export const LOADBALANCER = checkArea(
  'loadbalancer',
  'LoadBalancer: the IPv6 and the dual-stack LoadBalancer Services',
  [
    check(
      'lb.ipv6.external-ip',
      {
        requires: 'IPv6',
        title: "the page's IPv6 LoadBalancer Service gets an IPv6 clusterIP and an IPv6 external IP",
        verifies:
          'dual-stack-ipv6-lb-svc gets an IPv6 clusterIP and, within the loadBalancer timeout, an IPv6 external address: an IPv6 ip in status.loadBalancer.ingress, or an ingress hostname (AWS NLB/ELB style) with an AAAA answer, resolved from the off-cluster client (else from the host running the suite).',
        pageStep: `${PAGE_LB}: dual-stack-ipv6-lb-svc.yaml gets IPv6 CLUSTER-IP and EXTERNAL-IP`,
        upstream: null,
        causes: [
          'The LB provider has no IPv6 address pool',
          'The provider ignores Services whose ipFamilies are [IPv6]',
          'The load balancer behind the ingress hostname is IPv4-only, so its name has no AAAA record (AWS: the load balancer\'s IP address type must be dualstack)',
        ],
        skipsWithout: ['lb-provider'],
      },
      (t) => judgeExternalIps(t, ipv6Lb, false),
    ),
    check(
      'lb.ipv6.reachable',
      {
        requires: 'IPv6',
        title: "the page's IPv6 LoadBalancer Service answers on its IPv6 external IP from outside the cluster",
        verifies:
          'From a client container outside the cluster (on the nodes\' docker network), HTTP GET to [IPv6 external IP]:80 (an ingress IP, or the ingress hostname\'s AAAA answer) is answered by every backend (each name seen at least once).',
        pageStep: `${PAGE_LB}: "verify the Service is reachable on its IP and port"`,
        upstream: null,
        causes: [
          'The provider announces the IPv6 address but does not route it (MetalLB L2: no NDP answer from a speaker)',
          'kube-proxy lacks rules for the LB IP',
        ],
        skipsWithout: ['lb-provider', 'offcluster-network'],
      },
      (t) => reachFromOffcluster(t, ipv6Lb, SERVICES.loadBalancerIpv6, 'IPv6', 'lb.ipv6.external-ip'),
    ),
    check(
      'lb.dual.external-ips',
      {
        requires: 'both',
        title: 'a RequireDualStack LoadBalancer Service gets an IPv4 and an IPv6 external IP',
        verifies:
          'dual-stack-require-lb-svc (RequireDualStack [IPv4, IPv6]) gets clusterIPs of both families and, within the loadBalancer timeout, an external address of each family: ingress ips, or the A and AAAA answers for an ingress hostname (resolved from outside the cluster).',
        pageStep: null,
        upstream: null,
        causes: [
          'The LB provider has an address pool of one family only (MetalLB: the IPAddressPool lists one range)',
          'The provider assigns one address per Service whatever its ipFamilies',
          'The ingress hostname resolves to one family only (an IPv4-only cloud load balancer: no AAAA record)',
        ],
        skipsWithout: ['lb-provider'],
      },
      (t) => judgeExternalIps(t, dualLb, true),
    ),
    perFamily(
      'lb.dual.reachable',
      {
        requires: 'both',
        title: "a RequireDualStack LoadBalancer Service answers on its {family} external IP from outside the cluster",
        verifies:
          "From a client container outside the cluster (on the nodes' docker network), HTTP GET to dual-stack-require-lb-svc's {family} external IP (an ingress IP, or an answer for its ingress hostname) on port 80 is answered by every backend (each name seen at least once).",
        pageStep: null,
        upstream: null,
        causes: [
          'The provider announces the {family} address but does not route it (MetalLB L2: no ARP/NDP answer from a speaker)',
          'kube-proxy lacks {family} rules for the LB IP',
          'The Service has no {family} external IP (see lb.dual.external-ips)',
        ],
        skipsWithout: ['lb-provider', 'offcluster-network'],
      },
      (t) => reachFromOffcluster(t, dualLb, SERVICES.loadBalancerDual, t.family, 'lb.dual.external-ips'),
    ),
  ],
  // The checks await the provider themselves (they may start before mocha reaches this describe); printed once, here.
  async (hook, run, fixtures) => {
    hook.timeout(run.config.timeouts.loadBalancer + 30_000);
    process.stdout.write(`    LoadBalancer provider: ${describeLbProvider(await fixtures.lbProvider)}\n`);
  },
);

registerArea(LOADBALANCER);
