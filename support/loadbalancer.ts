// Whether a LoadBalancer provider exists, decided before the LB specs: declared with --lb-provider/--absent, or
// detected from MetalLB address pools, or from a probe Service that gets an external IP within the loadBalancer
// timeout. And what a LoadBalancer Service's external addresses are: ingress IPs (MetalLB, GCP, Azure) and the
// A/AAAA answers for ingress hostnames (AWS NLB/ELB), resolved from outside the cluster.
import { Resolver } from 'node:dns/promises';
import type { V1Service } from '@kubernetes/client-node';
import type { LbProviderSetting } from './config.ts';
import { describeError, httpStatusOf, TimeoutError } from '../lib/errors.ts';
import { familyOf, formatList, type IpFamily } from '../lib/ip.ts';
import type { Clients } from './k8s.ts';
import { formatDuration } from '../lib/log.ts';
import { waitFor } from '../lib/wait.ts';
import { timeoutEnvName } from './timeouts.ts';

export type LbProvider =
  | { readonly present: true; readonly name: string; readonly how: string }
  | { readonly present: false; readonly reason: string; readonly declaredAbsent: boolean };

/** Addresses (ip or hostname) a LoadBalancer Service was given, from status.loadBalancer.ingress. */
export function ingressAddresses(service: V1Service | undefined): string[] {
  return (service?.status?.loadBalancer?.ingress ?? []).flatMap((ingress) => [ingress.ip, ingress.hostname]).filter(
    (value): value is string => typeof value === 'string' && value !== '',
  );
}

/** Ingress IPs (status.loadBalancer.ingress[].ip), as the provider wrote them. */
export function ingressIps(service: V1Service | undefined): string[] {
  return (service?.status?.loadBalancer?.ingress ?? []).flatMap((ingress) => (ingress.ip ? [ingress.ip] : []));
}

/** Ingress hostnames (status.loadBalancer.ingress[].hostname), each once. */
export function ingressHostnames(service: V1Service | undefined): string[] {
  return [...new Set((service?.status?.loadBalancer?.ingress ?? []).flatMap((ingress) => (ingress.hostname ? [ingress.hostname] : [])))];
}

/** What one ingress hostname resolved to, and from where. */
export interface HostnameResolution {
  readonly hostname: string;
  /** Where it was asked: "offcluster (172.18.0.9)" (the client container) or "this host". */
  readonly from: string;
  readonly A: readonly string[];
  readonly AAAA: readonly string[];
  /** Lookups that failed rather than answered (timeout, SERVFAIL, no resolver), e.g. "AAAA: timed out after 5s". */
  readonly errors: readonly string[];
}

/** `a1b2.elb.example.com -> A [192.0.2.7] AAAA []`, with failed lookups appended. */
export function describeResolution(resolution: HostnameResolution): string {
  const errors = resolution.errors.length > 0 ? ` (${resolution.errors.join('; ')})` : '';
  return `${resolution.hostname} -> A ${formatList(resolution.A)} AAAA ${formatList(resolution.AAAA)}${errors}`;
}

/** One external address of a LoadBalancer Service and where it came from. */
export interface ExternalAddress {
  readonly address: string;
  /** The ingress hostname it was resolved from; undefined for an ingress IP. */
  readonly hostname: string | undefined;
}

/**
 * The Service's external addresses of a family: its ingress IPs first, then the answers for its ingress hostnames
 * (an A answer counts as IPv4 and an AAAA answer as IPv6 only if it parses as that family).
 */
export function externalAddresses(
  service: V1Service | undefined,
  resolutions: readonly HostnameResolution[],
  family: IpFamily,
): ExternalAddress[] {
  const ips = ingressIps(service)
    .filter((ip) => familyOf(ip) === family)
    .map((address) => ({ address, hostname: undefined }));
  const hostnames = ingressHostnames(service);
  const resolved = resolutions
    .filter((resolution) => hostnames.includes(resolution.hostname))
    .flatMap((resolution) =>
      (family === 'IPv4' ? resolution.A : resolution.AAAA)
        .filter((address) => familyOf(address) === family)
        .map((address) => ({ address, hostname: resolution.hostname })),
    );
  return [...ips, ...resolved];
}

/** Resolves one hostname (A and AAAA) on one side of the cluster's edge; never throws. */
export type HostnameResolver = (hostname: string) => Promise<HostnameResolution>;

/**
 * This host's resolver, for when there is no off-cluster client (declared absent, or not a kind cluster): the suite
 * runs outside the cluster too, and a DNS question sends nothing to the cluster's networks.
 */
export function hostResolver(timeoutMs: number): HostnameResolver {
  return async (hostname) => {
    const resolver = new Resolver({ timeout: timeoutMs, tries: 1 });
    const errors: string[] = [];
    const lookup = async (type: 'A' | 'AAAA'): Promise<string[]> => {
      try {
        return type === 'A' ? await resolver.resolve4(hostname) : await resolver.resolve6(hostname);
      } catch (error) {
        const code = (error as { code?: string } | undefined)?.code;
        // No such name or no record of this type is an answer (empty), not a failed lookup.
        if (code !== 'ENOTFOUND' && code !== 'ENODATA') errors.push(`${type}: ${describeError(error)}`);
        return [];
      }
    };
    const [A, AAAA] = await Promise.all([lookup('A'), lookup('AAAA')]);
    return { hostname, from: 'this host', A, AAAA, errors };
  };
}

export function describeLbProvider(provider: LbProvider): string {
  return provider.present ? `${provider.name} (${provider.how})` : `none (${provider.reason})`;
}

/** What the setting alone decides, without the cluster; undefined means "detect". */
export function declaredLbProvider(setting: LbProviderSetting): LbProvider | undefined {
  if (setting.kind === 'none') return { present: false, declaredAbsent: true, reason: 'declared absent (--absent lb-provider)' };
  if (setting.kind === 'named') return { present: true, name: setting.name, how: 'declared with --lb-provider' };
  return undefined;
}

/** MetalLB address pools (metallb.io/v1beta1 IPAddressPool), or undefined when MetalLB is not installed. */
export async function metallbPools(clients: Clients): Promise<string[] | undefined> {
  try {
    const list = (await clients.custom.listClusterCustomObject({
      group: 'metallb.io',
      version: 'v1beta1',
      plural: 'ipaddresspools',
    })) as { items?: { metadata?: { name?: string; namespace?: string } }[] };
    const items = list.items ?? [];
    return items.length > 0 ? items.map((pool) => `${pool.metadata?.namespace ?? ''}/${pool.metadata?.name ?? ''}`) : undefined;
  } catch (error) {
    const status = httpStatusOf(error);
    if (status === 404 || status === 403) return undefined;
    throw error;
  }
}

/** Waits (bounded) for the already-created probe Service to get an external address. */
export async function probeLbProvider(clients: Clients, namespace: string, serviceName: string, timeoutMs: number): Promise<LbProvider> {
  try {
    const service = await waitFor({
      what: `LoadBalancer probe Service ${namespace}/${serviceName} to get an external IP`,
      timeoutMs,
      raise: timeoutEnvName('loadBalancer'),
      observe: () => clients.core.readNamespacedService({ namespace, name: serviceName }),
      isDone: (observed) => ingressAddresses(observed).length > 0,
      describe: (observed) => `ingress=[${ingressAddresses(observed).join(', ')}]`,
      maxIntervalMs: 1_000,
    });
    return { present: true, name: 'detected', how: `probe Service got ${ingressAddresses(service).join(', ')}` };
  } catch (error) {
    if (error instanceof TimeoutError) {
      return {
        present: false,
        declaredAbsent: false,
        reason: `no LoadBalancer provider: no MetalLB address pool and a probe Service got no external IP within ${formatDuration(timeoutMs)}`,
      };
    }
    return { present: false, declaredAbsent: false, reason: `LoadBalancer detection failed: ${describeError(error)}` };
  }
}
