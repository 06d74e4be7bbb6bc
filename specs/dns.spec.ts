// DNS from a pod, per family: a dual-stack Service's name has an A and an AAAA record for its clusterIPs, and a
// headless dual-stack Service's name resolves to its pods' addresses of both families.
import type { V1Service } from '@kubernetes/client-node';
import { registerArea, type CheckContext, type FamilyCheckContext } from '../support/check.ts';
import { checkArea, perFamily, type CheckDeclaration, type PerFamilyEntry } from '../support/checks.ts';
import type { DeployedFixtures } from '../support/deploy.ts';
import { clusterDomainFromSearch, parseResolvConf, serviceFqdn } from '../support/dns.ts';
import { execText } from '../support/exec.ts';
import { BACKEND_ROLES, SERVICES } from '../support/expectations.ts';
import { familyOf, formatList, type IpFamily } from '../lib/ip.ts';
import { judgeDnsAnswer } from '../support/judgements/dns.ts';
import { clusterIpOfFamily, podIpOfFamily, podIPsOf, serviceRef } from '../support/judgements/objects.ts';
import { dnsProbe } from '../support/probes/from-pod.ts';

interface Resolver {
  readonly nameserver: string;
  readonly clusterDomain: string;
}

/** What the answer must equal: the Service's clusterIP of the family, or the backends' podIPs of the family. */
type ExpectedAnswer = 'cluster-ip' | 'backend-pod-ips';

let resolver: Promise<Resolver> | undefined;

/** The client's nameserver and cluster domain, from its /etc/resolv.conf (read once). */
function clientResolver({ run, fixtures }: CheckContext): Promise<Resolver> {
  resolver ??= (async () => {
    const client = fixtures.pods.client;
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
}

/** The body of a DNS check: the client looks up `serviceName` for the family's record type and gets `answer`. */
async function resolveService(t: FamilyCheckContext, serviceName: string, answer: ExpectedAnswer): Promise<void> {
  const { run, fixtures, family } = t;
  const recordType = family === 'IPv4' ? 'A' : 'AAAA';
  const created = fixtures.services.get(serviceName);
  if (!created?.service) {
    t.verdict([`svc ${run.namespaces.main}/${serviceName} was rejected by the API server: ${created?.rejection ?? 'not created'}`]);
    return;
  }
  const service: V1Service = created.service;
  const expected = expectedAnswer(answer, service, family, fixtures);
  t.observe('expected', { recordType, addresses: expected.addresses });
  t.verdict(expected.problems);
  const { nameserver, clusterDomain } = await clientResolver(t);
  const client = fixtures.pods.client;
  const sourceFamily: IpFamily = familyOf(nameserver) ?? 'IPv4';
  const sourceAddress = podIpOfFamily(client, sourceFamily) ?? podIPsOf(client)[0] ?? '?';
  const name = serviceFqdn(serviceName, run.namespaces.main, clusterDomain);
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
}

function expectedAnswer(
  kind: ExpectedAnswer,
  service: V1Service,
  family: IpFamily,
  fixtures: DeployedFixtures,
): { addresses: string[]; problems: string[] } {
  if (kind === 'cluster-ip') {
    const ip = clusterIpOfFamily(service, family);
    return ip
      ? { addresses: [ip], problems: [] }
      : { addresses: [], problems: [`${serviceRef(service)}: clusterIPs=${formatList(service.spec?.clusterIPs)}; no ${family} clusterIP to resolve`] };
  }
  const pods = fixtures.pods;
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

/**
 * A DNS check: the client resolves `service`'s name for the family's record type and must get `answer`. The page
 * has no DNS step and dual_stack.go no DNS test, so no DNS check has a page step or an upstream equivalent.
 */
function lookup(id: string, service: string, answer: ExpectedAnswer, entry: Omit<PerFamilyEntry, 'pageStep' | 'upstream'>): CheckDeclaration {
  return perFamily(id, { ...entry, pageStep: null, upstream: null }, (t) => resolveService(t, service, answer));
}

export const DNS = checkArea('dns', 'DNS: Service names resolve in each family', [
  lookup('dns.service', SERVICES.prefer, 'cluster-ip', {
    title: "a dual-stack Service's name resolves to its {family} clusterIP",
    verifies: 'From the client pod, nslookup of the PreferDualStack Service\'s FQDN for the {family} record type (A or AAAA) returns exactly its {family} clusterIP.',
    causes: ['CoreDNS too old for dual-stack Services', 'The Service has no {family} clusterIP (see svc.prefer.dual)'],
  }),
  lookup('dns.headless', SERVICES.headless, 'backend-pod-ips', {
    title: "a headless dual-stack Service's name resolves to its pods' {family} addresses",
    verifies: 'From the client pod, nslookup of the headless Service\'s FQDN for the {family} record type returns exactly the backends\' {family} podIPs.',
    causes: ['EndpointSlices lack {family} (see svc.endpointslices)', 'CoreDNS not watching EndpointSlices of both families'],
  }),
]);

registerArea(DNS);
