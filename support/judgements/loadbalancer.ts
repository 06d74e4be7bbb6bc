// LoadBalancer judgements: clusterIPs and external addresses (ingress IPs, or what ingress hostnames resolve to).
import type { V1Service } from '@kubernetes/client-node';
import { familyOf, formatList, type IpFamily } from '../../lib/ip.ts';
import { describeResolution, externalAddresses, ingressAddresses, ingressHostnames, type HostnameResolution } from '../loadbalancer.ts';
import { serviceRef } from './objects.ts';

/**
 * Why the Service lacks an external address of some of `families`: none among its ingress IPs, and none among the
 * answers for its ingress hostnames (each hostname named once, with what it resolved to).
 */
function externalFamilyProblems(service: V1Service, resolutions: readonly HostnameResolution[], families: readonly IpFamily[]): string[] {
  const missing = families.filter((family) => externalAddresses(service, resolutions, family).length === 0);
  if (missing.length === 0) return [];
  const hostnames = ingressHostnames(service);
  if (hostnames.length === 0) return missing.map((family) => `no ${family} external IP in status.loadBalancer.ingress`);
  const expected = `expected ${missing.map((family) => `an ${family}`).join(' and ')} address`;
  return hostnames.map((hostname) => {
    const resolution = resolutions.find((candidate) => candidate.hostname === hostname);
    return resolution ? `ingress hostname ${describeResolution(resolution)}; ${expected}` : `ingress hostname ${hostname} not resolved; ${expected}`;
  });
}

/**
 * Problems with the LB Service: an IPv6 clusterIP first, and an IPv6 external address: an ingress IP, or an AAAA
 * answer for an ingress hostname (`resolutions`, looked up by the caller from outside the cluster).
 */
export function judgeIpv6LoadBalancer(service: V1Service, resolutions: readonly HostnameResolution[] = []): string[] {
  const clusterIPs = service.spec?.clusterIPs ?? [];
  const problems: string[] = [];
  if (familyOf(clusterIPs[0] ?? '') !== 'IPv6') problems.push('expected an IPv6 clusterIP');
  problems.push(...externalFamilyProblems(service, resolutions, ['IPv6']));
  return problems.length === 0
    ? []
    : [`${serviceRef(service)}: clusterIPs=${formatList(clusterIPs)} ingress=${formatList(ingressAddresses(service))}; ${problems.join('; ')}`];
}

/** A RequireDualStack LoadBalancer Service: a clusterIP and an external address (IP or hostname answer) of each family. */
export function judgeDualStackLoadBalancer(service: V1Service, resolutions: readonly HostnameResolution[] = []): string[] {
  const clusterIPs = service.spec?.clusterIPs ?? [];
  const problems: string[] = [];
  for (const family of ['IPv4', 'IPv6'] as const) {
    if (!clusterIPs.some((address) => familyOf(address) === family)) problems.push(`no ${family} clusterIP`);
  }
  problems.push(...externalFamilyProblems(service, resolutions, ['IPv4', 'IPv6']));
  return problems.length === 0
    ? []
    : [`${serviceRef(service)}: clusterIPs=${formatList(clusterIPs)} ingress=${formatList(ingressAddresses(service))}; ${problems.join('; ')}`];
}
