// DNS from a pod, per family: a dual-stack Service's name has an A and an AAAA record for its clusterIPs, and a
// headless dual-stack Service's name resolves to its pods' addresses of both families.
import type { V1Service } from '@kubernetes/client-node';
import { check } from '../support/check.ts';
import { clusterDomainFromSearch, parseResolvConf, serviceFqdn } from '../support/dns.ts';
import { execText } from '../support/exec.ts';
import { BACKEND_ROLES, DNS_SCENARIOS } from '../support/expectations.ts';
import { ALL_FAMILIES, familyOf, familySlug, formatList, type IpFamily } from '../support/ip.ts';
import { judgeDnsAnswer } from '../support/judgements/dns.ts';
import { clusterIpOfFamily, podIpOfFamily, podIPsOf, serviceRef } from '../support/judgements/objects.ts';
import { dnsProbe } from '../support/probes/from-pod.ts';
import { currentRun, deployed } from '../support/run.ts';

interface Resolver {
  readonly nameserver: string;
  readonly clusterDomain: string;
}

describe('DNS: Service names resolve in each family', function () {
  let resolver: Promise<Resolver> | undefined;
  /** The client's nameserver and cluster domain, from its /etc/resolv.conf (read once). */
  const clientResolver = (): Promise<Resolver> => {
    resolver ??= (async () => {
      const run = currentRun();
      const client = deployed().pods.client;
      const namespace = client.metadata?.namespace ?? '';
      const text = await execText(
        run.clients.kubeConfig,
        { namespace, pod: client.metadata?.name ?? '', container: client.spec?.containers[0]?.name ?? '' },
        ['cat', '/etc/resolv.conf'],
        run.config.timeouts.exec,
      );
      const parsed = parseResolvConf(text);
      const nameserver = parsed.nameservers[0];
      const clusterDomain = clusterDomainFromSearch(parsed.search, namespace);
      if (!nameserver || !clusterDomain) {
        throw new Error(`client /etc/resolv.conf has no nameserver or no "${namespace}.svc.<domain>" search entry: ${text.trim()}`);
      }
      return { nameserver, clusterDomain };
    })();
    return resolver;
  };

  for (const scenario of DNS_SCENARIOS) {
    for (const family of ALL_FAMILIES) {
      const recordType = family === 'IPv4' ? 'A' : 'AAAA';
      check(`${scenario.baseId}.${familySlug(family)}`, async function (t) {
        const run = currentRun();
        const fixtures = deployed();
        const created = fixtures.services.get(scenario.service);
        if (!created?.service) {
          t.verdict([`svc ${run.namespaces.main}/${scenario.service} was rejected by the API server: ${created?.rejection ?? 'not created'}`]);
          return;
        }
        const service: V1Service = created.service;
        const expected = expectedAnswer(scenario.answer, service, family);
        t.observe('expected', { recordType, addresses: expected.addresses });
        t.verdict(expected.problems);
        const { nameserver, clusterDomain } = await clientResolver();
        const client = fixtures.pods.client;
        const sourceFamily: IpFamily = familyOf(nameserver) ?? 'IPv4';
        const sourceAddress = podIpOfFamily(client, sourceFamily) ?? podIPsOf(client)[0] ?? '?';
        const name = serviceFqdn(scenario.service, run.namespaces.main, clusterDomain);
        const outcome = await dnsProbe(
          run.clients,
          run.config.timeouts,
          { pod: client, address: sourceAddress },
          { label: 'nameserver', address: nameserver, port: 53 },
          name,
          recordType,
          (addresses) => judgeDnsAnswer(name, recordType, addresses, expected.addresses).join('; ') || undefined,
        );
        t.observe('lookup', `${outcome.line}: ${outcome.ok ? `ok ${outcome.answer}` : `FAILED: ${outcome.detail}`}`);
        t.verdict(outcome.ok ? [] : [`${outcome.line}: ${outcome.detail}`]);
      });
    }
  }
});

function expectedAnswer(kind: 'cluster-ip' | 'backend-pod-ips', service: V1Service, family: IpFamily): { addresses: string[]; problems: string[] } {
  if (kind === 'cluster-ip') {
    const ip = clusterIpOfFamily(service, family);
    return ip
      ? { addresses: [ip], problems: [] }
      : { addresses: [], problems: [`${serviceRef(service)}: clusterIPs=${formatList(service.spec?.clusterIPs)}; no ${family} clusterIP to resolve`] };
  }
  const pods = deployed().pods;
  const addresses = BACKEND_ROLES.map((role) => podIpOfFamily(pods[role], family)).filter((ip): ip is string => ip !== undefined);
  const problems: string[] = [];
  if (!(service.spec?.ipFamilies ?? []).includes(family)) {
    problems.push(`${serviceRef(service)} (headless): ipFamilies=[${(service.spec?.ipFamilies ?? []).join(',')}]; no ${family} records expected from it`);
  }
  if (addresses.length < BACKEND_ROLES.length) {
    problems.push(`backends lack ${family} addresses: ${BACKEND_ROLES.map((role) => `${role} ${formatList(podIPsOf(pods[role]))}`).join(', ')}`);
  }
  return { addresses, problems };
}
