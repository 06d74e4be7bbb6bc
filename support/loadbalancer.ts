// Whether a LoadBalancer provider exists, decided before the LB specs: declared with --lb-provider, or detected
// from MetalLB address pools, or from a probe Service that gets an external IP within the loadBalancer timeout.
import type { V1Service } from '@kubernetes/client-node';
import type { LbProviderSetting } from './config.ts';
import { describeError, httpStatusOf, TimeoutError } from './errors.ts';
import type { Clients } from './k8s.ts';
import { formatDuration } from './timeouts.ts';
import { waitFor } from './wait.ts';

export type LbProvider =
  | { readonly present: true; readonly name: string; readonly how: string }
  | { readonly present: false; readonly reason: string; readonly declaredAbsent: boolean };

/** Addresses (ip or hostname) a LoadBalancer Service was given, from status.loadBalancer.ingress. */
export function ingressAddresses(service: V1Service | undefined): string[] {
  return (service?.status?.loadBalancer?.ingress ?? []).flatMap((ingress) => [ingress.ip, ingress.hostname]).filter(
    (value): value is string => typeof value === 'string' && value !== '',
  );
}

export function describeLbProvider(provider: LbProvider): string {
  return provider.present ? `${provider.name} (${provider.how})` : `none (${provider.reason})`;
}

/** What the setting alone decides, without the cluster; undefined means "detect". */
export function declaredLbProvider(setting: LbProviderSetting): LbProvider | undefined {
  if (setting.kind === 'none') return { present: false, declaredAbsent: true, reason: 'declared absent with --lb-provider=none' };
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
      timeoutName: 'loadBalancer',
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
