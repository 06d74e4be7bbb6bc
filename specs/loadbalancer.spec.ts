// The page's "Create a dual-stack load balanced Service": the IPv6 LoadBalancer Service gets an IPv6 clusterIP and
// an IPv6 external IP, and answers on it. Provider presence is decided first (declared, MetalLB pools, or a probe
// Service); without a provider both checks are skipped with that reason, with one a missing IP is a failure.
import type { V1Service } from '@kubernetes/client-node';
import { check } from '../support/check.ts';
import { BACKEND_ROLES, SERVICE_PORT, SERVICES } from '../support/expectations.ts';
import { familyOf } from '../support/ip.ts';
import { judgeIpv6LoadBalancer, podIpOfFamily, serviceRef } from '../support/judgements.ts';
import { describeLbProvider, ingressAddresses, type LbProvider } from '../support/loadbalancer.ts';
import { judgeResponder } from '../support/connectivity.ts';
import { httpHostnameProbe } from '../support/probes.ts';
import { currentRun, deployed } from '../support/run.ts';
import { settle } from '../support/wait.ts';

describe("LoadBalancer: the page's IPv6 LoadBalancer Service", function () {
  let provider: LbProvider;

  before(async function () {
    const run = currentRun();
    this.timeout(run.config.timeouts.loadBalancer + 30_000);
    provider = await deployed().lbProvider;
    process.stdout.write(`    LoadBalancer provider: ${describeLbProvider(provider)}\n`);
  });

  let lbState: Promise<{ service: V1Service | undefined; problems: string[] }> | undefined;
  /** The LB Service once it settled (or its bound ran out); both checks share one wait. */
  const lbService = (): Promise<{ service: V1Service | undefined; problems: string[] }> => (lbState ??= settleLbService());
  const settleLbService = async (): Promise<{ service: V1Service | undefined; problems: string[] }> => {
    const run = currentRun();
    const created = deployed().services.get(SERVICES.loadBalancerIpv6);
    if (!created?.service) {
      return { service: undefined, problems: [`svc ${run.namespaces.main}/${SERVICES.loadBalancerIpv6} was rejected by the API server: ${created?.rejection ?? 'not created'}`] };
    }
    const result = await settle({
      what: `${serviceRef(created.service)} to get an IPv6 external IP`,
      timeoutMs: run.config.timeouts.loadBalancer,
      timeoutName: 'loadBalancer',
      observe: () => run.clients.core.readNamespacedService({ namespace: run.namespaces.main, name: SERVICES.loadBalancerIpv6 }),
      judge: judgeIpv6LoadBalancer,
    });
    return { service: result.observed, problems: result.problems };
  };

  check('lb.ipv6.external-ip', async function (t) {
    if (!provider.present) t.skip('lb-provider', provider.reason);
    const { service, problems } = await lbService();
    t.observe('LoadBalancer Service', { clusterIPs: service?.spec?.clusterIPs, ingress: ingressAddresses(service) });
    t.verdict(problems);
  });

  check('lb.ipv6.reachable', async function (t) {
    if (!provider.present) t.skip('lb-provider', provider.reason);
    const run = currentRun();
    const { service, problems } = await lbService();
    const externalIp = ingressAddresses(service).find((address) => familyOf(address) === 'IPv6');
    if (!externalIp) {
      t.verdict([...problems, 'no IPv6 external IP to reach (see lb.ipv6.external-ip)']);
      return;
    }
    const pods = deployed().pods;
    const clientIp = podIpOfFamily(pods.client, 'IPv6');
    if (!clientIp) {
      t.verdict([`pod ${pods.client.metadata?.name ?? 'client'} has no IPv6 address to probe from`]);
      return;
    }
    const outcome = await httpHostnameProbe(
      run.clients,
      run.config.timeouts,
      { pod: pods.client, address: clientIp },
      { label: `svc ${SERVICES.loadBalancerIpv6} external IP`, address: externalIp, port: SERVICE_PORT },
      (hostname) => judgeResponder(hostname, BACKEND_ROLES),
    );
    t.observe('probe', `${outcome.line}: ${outcome.ok ? `ok, answered ${outcome.answer}` : `FAILED: ${outcome.detail}`}`);
    t.verdict(outcome.ok ? [] : [`${outcome.line}: ${outcome.detail}`]);
  });
});
