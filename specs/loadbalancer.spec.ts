// The page's "Create a dual-stack load balanced Service": the IPv6 LoadBalancer Service gets an IPv6 clusterIP and
// an IPv6 external IP, and answers on it from outside the cluster; beyond the page, a RequireDualStack LoadBalancer
// Service gets an external IP of each family, each answering from outside. Provider presence is decided first
// (declared, MetalLB pools, or a probe Service); without a provider the checks are skipped with that reason, with
// one a missing IP is a failure. Reachability is probed from the off-cluster client (support/offcluster.ts).
import type { V1Service } from '@kubernetes/client-node';
import { check, type CheckContext } from '../support/check.ts';
import { judgeResponder } from '../support/connectivity.ts';
import { BACKEND_ROLES, SERVICE_PORT, SERVICES } from '../support/expectations.ts';
import { ALL_FAMILIES, familyOf, familySlug, type IpFamily } from '../support/ip.ts';
import { judgeDualStackLoadBalancer, judgeIpv6LoadBalancer, serviceRef } from '../support/judgements.ts';
import { describeLbProvider, ingressAddresses, type LbProvider } from '../support/loadbalancer.ts';
import { offclusterClient, offclusterHttpProbe, offclusterNetwork } from '../support/offcluster.ts';
import { currentRun, deployed } from '../support/run.ts';
import { settle } from '../support/wait.ts';

interface SettledLb {
  readonly service: V1Service | undefined;
  readonly problems: string[];
}

/** Waits (bounded) until the LB Service satisfies `judge`; every check about one Service shares one wait. */
function lbSettler(name: string, wanted: string, judge: (service: V1Service) => string[]): () => Promise<SettledLb> {
  let state: Promise<SettledLb> | undefined;
  const settleOnce = async (): Promise<SettledLb> => {
    const run = currentRun();
    const created = deployed().services.get(name);
    if (!created?.service) {
      return { service: undefined, problems: [`svc ${run.namespaces.main}/${name} was rejected by the API server: ${created?.rejection ?? 'not created'}`] };
    }
    const result = await settle({
      what: `${serviceRef(created.service)} to get ${wanted}`,
      timeoutMs: run.config.timeouts.loadBalancer,
      timeoutName: 'loadBalancer',
      observe: () => run.clients.core.readNamespacedService({ namespace: run.namespaces.main, name }),
      judge,
    });
    return { service: result.observed, problems: result.problems };
  };
  return () => (state ??= settleOnce());
}

describe('LoadBalancer: the IPv6 and the dual-stack LoadBalancer Services', function () {
  let provider: LbProvider;

  before(async function () {
    const run = currentRun();
    this.timeout(run.config.timeouts.loadBalancer + 30_000);
    provider = await deployed().lbProvider;
    process.stdout.write(`    LoadBalancer provider: ${describeLbProvider(provider)}\n`);
  });

  const ipv6Lb = lbSettler(SERVICES.loadBalancerIpv6, 'an IPv6 external IP', judgeIpv6LoadBalancer);
  const dualLb = lbSettler(SERVICES.loadBalancerDual, 'an IPv4 and an IPv6 external IP', judgeDualStackLoadBalancer);

  /** Skips without a provider or an off-cluster network; fails without the external IP; else probes [ip]:80. */
  async function reachFromOffcluster(t: CheckContext, settled: () => Promise<SettledLb>, name: string, family: IpFamily, seeCheck: string): Promise<void> {
    if (!provider.present) t.skip('lb-provider', provider.reason);
    const run = currentRun();
    const network = await offclusterNetwork(run);
    if (!network.available) {
      if (!network.declared) t.skip('offcluster-network', network.reason);
      t.verdict([network.reason]);
      return;
    }
    const { service, problems } = await settled();
    const externalIp = ingressAddresses(service).find((address) => familyOf(address) === family);
    if (!externalIp) {
      t.verdict([...problems, `no ${family} external IP to reach (see ${seeCheck})`]);
      return;
    }
    const client = await offclusterClient(run);
    const outcome = await offclusterHttpProbe(
      run,
      client,
      { label: `svc ${name} external IP`, address: externalIp, port: SERVICE_PORT },
      (hostname) => judgeResponder(hostname, BACKEND_ROLES),
    );
    t.observe('probe', `${outcome.line}: ${outcome.ok ? `ok, answered ${outcome.answer}` : `FAILED: ${outcome.detail}`}`);
    t.verdict(outcome.ok ? [] : [`${outcome.line}: ${outcome.detail}`]);
  }

  check('lb.ipv6.external-ip', async function (t) {
    if (!provider.present) t.skip('lb-provider', provider.reason);
    const { service, problems } = await ipv6Lb();
    t.observe('LoadBalancer Service', { clusterIPs: service?.spec?.clusterIPs, ingress: ingressAddresses(service) });
    t.verdict(problems);
  });

  check('lb.ipv6.reachable', (t) => reachFromOffcluster(t, ipv6Lb, SERVICES.loadBalancerIpv6, 'IPv6', 'lb.ipv6.external-ip'));

  check('lb.dual.external-ips', async function (t) {
    if (!provider.present) t.skip('lb-provider', provider.reason);
    const { service, problems } = await dualLb();
    t.observe('LoadBalancer Service', { ipFamilies: service?.spec?.ipFamilies, clusterIPs: service?.spec?.clusterIPs, ingress: ingressAddresses(service) });
    t.verdict(problems);
  });

  for (const family of ALL_FAMILIES) {
    check(`lb.dual.reachable.${familySlug(family)}`, (t) => reachFromOffcluster(t, dualLb, SERVICES.loadBalancerDual, family, 'lb.dual.external-ips'));
  }
});
