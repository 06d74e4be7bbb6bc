// Names and addresses of API objects as the judgements print and compare them.
import type { V1Pod, V1Service } from '@kubernetes/client-node';
import { familyOf, type IpFamily } from '../../lib/ip.ts';

export function podRef(pod: V1Pod): string {
  return `pod ${pod.metadata?.namespace ?? '?'}/${pod.metadata?.name ?? '?'}`;
}

export function serviceRef(service: V1Service): string {
  return `svc ${service.metadata?.namespace ?? '?'}/${service.metadata?.name ?? '?'}`;
}

export function podIPsOf(pod: V1Pod): string[] {
  return (pod.status?.podIPs ?? []).map((entry) => entry.ip);
}

export function hostIPsOf(pod: V1Pod): string[] {
  return (pod.status?.hostIPs ?? []).map((entry) => entry.ip);
}

/** The pod's address of a family, if it has exactly one valid one. */
export function podIpOfFamily(pod: V1Pod, family: IpFamily): string | undefined {
  return podIPsOf(pod).find((ip) => familyOf(ip) === family);
}

/** The Service's clusterIP of a family, if any. */
export function clusterIpOfFamily(service: V1Service, family: IpFamily): string | undefined {
  return (service.spec?.clusterIPs ?? []).find((ip) => familyOf(ip) === family);
}
