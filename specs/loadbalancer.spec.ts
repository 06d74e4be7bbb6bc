// The page's "Create a dual-stack load balanced Service": the IPv6 LoadBalancer Service gets an IPv6 clusterIP and
// an IPv6 external IP, and answers on it from outside the cluster; beyond the page, a RequireDualStack LoadBalancer
// Service gets an external IP of each family, each answering from outside. Provider presence is decided first
// (declared, MetalLB pools, or a probe Service); without a provider the checks are skipped with that reason, with
// one a missing IP is a failure. Reachability is probed from the off-cluster client (support/offcluster.ts).
// An ingress hostname (AWS NLB/ELB) stands for the addresses it resolves to: its A and AAAA answers, looked up from
// the off-cluster client (else from this host), are judged as the external IPs of each family.
import type { V1Service } from '@kubernetes/client-node';
import { check, type CheckContext } from '../support/check.ts';
import { nodesOfPods, untilEveryResponder } from '../support/connectivity.ts';
import { describeError } from '../support/errors.ts';
import { BACKEND_ROLES, SERVICE_PORT, SERVICES } from '../support/expectations.ts';
import { ALL_FAMILIES, familySlug, type IpFamily } from '../support/ip.ts';
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
  type LbProvider,
} from '../support/loadbalancer.ts';
import { offclusterClient } from '../support/offcluster/client.ts';
import { offclusterNetwork } from '../support/offcluster/network.ts';
import { offclusterHostnameProbe, offclusterResolver } from '../support/offcluster/probes.ts';
import { printCheckLine } from '../support/probes/retry.ts';
import { currentRun, deployed, type Run } from '../support/run.ts';
import { settle } from '../support/wait.ts';

interface SettledLb {
  readonly service: V1Service | undefined;
  readonly resolutions: readonly HostnameResolution[];
  readonly problems: string[];
}

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
function lbSettler(
  name: string,
  wanted: string,
  judge: (service: V1Service, resolutions: readonly HostnameResolution[]) => string[],
): () => Promise<SettledLb> {
  let state: Promise<SettledLb> | undefined;
  const settleOnce = async (): Promise<SettledLb> => {
    const run = currentRun();
    const created = deployed().services.get(name);
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
      timeoutName: 'loadBalancer',
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
  return () => (state ??= settleOnce());
}

describe('LoadBalancer: the IPv6 and the dual-stack LoadBalancer Services', function () {
  // Awaited by each check (they may start before mocha reaches this describe); printed once, when mocha gets here.
  const lbProvider = (): Promise<LbProvider> => deployed().lbProvider;
  before(async function () {
    this.timeout(currentRun().config.timeouts.loadBalancer + 30_000);
    process.stdout.write(`    LoadBalancer provider: ${describeLbProvider(await lbProvider())}\n`);
  });

  const ipv6Lb = lbSettler(SERVICES.loadBalancerIpv6, 'an IPv6 external IP', judgeIpv6LoadBalancer);
  const dualLb = lbSettler(SERVICES.loadBalancerDual, 'an IPv4 and an IPv6 external IP', judgeDualStackLoadBalancer);

  /** Skips without a provider or an off-cluster network; fails without the external IP; else probes [ip]:80. */
  async function reachFromOffcluster(t: CheckContext, settled: () => Promise<SettledLb>, name: string, family: IpFamily, seeCheck: string): Promise<void> {
    const provider = await lbProvider();
    if (!provider.present) t.skip('lb-provider', provider.reason);
    const run = currentRun();
    const network = await offclusterNetwork(run);
    if (!network.available) {
      if (!network.declared) t.skip('offcluster-network', network.reason);
      t.verdict([network.reason]);
      return;
    }
    const { service, resolutions, problems } = await settled();
    const [external] = externalAddresses(service, resolutions, family);
    if (!external) {
      t.verdict([...problems, `no ${family} external IP to reach (see ${seeCheck})`]);
      return;
    }
    const client = await offclusterClient(run);
    const label = external.hostname === undefined ? `svc ${name} external IP` : `svc ${name} ingress hostname ${external.hostname}`;
    // Every backend must answer through the external IP, as for the in-cluster Service paths.
    const pods = deployed().pods;
    const { outcome, observed } = await untilEveryResponder(
      BACKEND_ROLES.map((role) => pods[role].metadata?.name ?? role),
      nodesOfPods(Object.values(pods)),
      (accept) => offclusterHostnameProbe(run, client, { label, address: external.address, port: SERVICE_PORT }, 'tcp', accept),
    );
    t.observe('probe', observed);
    t.verdict(outcome.ok ? [] : [`${outcome.line}: ${outcome.detail}`]);
  }

  check('lb.ipv6.external-ip', async function (t) {
    const provider = await lbProvider();
    if (!provider.present) t.skip('lb-provider', provider.reason);
    const { service, resolutions, problems } = await ipv6Lb();
    t.observe('LoadBalancer Service', {
      clusterIPs: service?.spec?.clusterIPs,
      ingress: ingressAddresses(service),
      loadBalancerSourceRanges: service?.spec?.loadBalancerSourceRanges,
      hostnames: resolutions.map((resolution) => `${describeResolution(resolution)} (from ${resolution.from})`),
    });
    t.verdict(problems);
  });

  check('lb.ipv6.reachable', (t) => reachFromOffcluster(t, ipv6Lb, SERVICES.loadBalancerIpv6, 'IPv6', 'lb.ipv6.external-ip'));

  check('lb.dual.external-ips', async function (t) {
    const provider = await lbProvider();
    if (!provider.present) t.skip('lb-provider', provider.reason);
    const { service, resolutions, problems } = await dualLb();
    t.observe('LoadBalancer Service', {
      ipFamilies: service?.spec?.ipFamilies,
      clusterIPs: service?.spec?.clusterIPs,
      ingress: ingressAddresses(service),
      loadBalancerSourceRanges: service?.spec?.loadBalancerSourceRanges,
      hostnames: resolutions.map((resolution) => `${describeResolution(resolution)} (from ${resolution.from})`),
    });
    t.verdict(problems);
  });

  for (const family of ALL_FAMILIES) {
    check(`lb.dual.reachable.${familySlug(family)}`, (t) => reachFromOffcluster(t, dualLb, SERVICES.loadBalancerDual, family, 'lb.dual.external-ips'));
  }
});
