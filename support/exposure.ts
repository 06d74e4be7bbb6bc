// Nothing the suite creates is open wider than the checks need. LoadBalancer Services are the objects a network
// outside the cluster reaches: they accept only the networks the LB checks probe from (loadBalancerSourceRanges,
// computed at run time and set on the parsed objects), and they are deleted once the checks are done, even when
// --keep-on-failure keeps the namespaces. Backends serve only their hostname (agnhost serve-hostname) and no pod
// mounts a ServiceAccount token (fixtures/; test/exposure.test.ts holds them to it).
import type { KubernetesObject, V1Service } from '@kubernetes/client-node';
import { httpStatusOf } from '../lib/errors.ts';
import { SERVICES } from './expectations.ts';
import { FixtureError } from './fixtures.ts';
import { ALL_FAMILIES, networkCidr, parseCidr, type IpFamily } from '../lib/ip.ts';
import type { Clients } from './k8s.ts';
import type { OffclusterNetwork } from './offcluster/network.ts';
import { waitFor } from '../lib/wait.ts';
import { timeoutEnvName } from './timeouts.ts';

/** Every LoadBalancer Service the fixtures may define: the end of the run deletes these by name. */
export const LOAD_BALANCER_SERVICES: readonly string[] = [SERVICES.loadBalancerIpv6, SERVICES.loadBalancerDual, SERVICES.loadBalancerProbe];

/** A source no packet from the network comes from: the range of a family nothing legitimately sends. */
const NOBODY: Readonly<Record<IpFamily, string>> = { IPv4: '127.0.0.1/32', IPv6: '::1/128' };

export interface SourceRanges {
  readonly ranges: readonly string[];
  /** Where the ranges come from, per family, for the report line. */
  readonly how: string;
}

/**
 * The LB checks probe the external IPs only from the off-cluster client, so its docker network's subnets are the
 * ranges; no in-cluster source is admitted (pods and nodes never probe an external IP). Every family gets a range:
 * kube-proxy applies only the ranges of a Service's own family and leaves a family without one open to all, so a
 * family the network lacks gets a loopback range, which admits nobody.
 */
export function loadBalancerSourceRanges(network: OffclusterNetwork): SourceRanges {
  const subnets = network.available ? network.subnets.map(networkCidr).filter((cidr): cidr is string => cidr !== undefined) : [];
  const ranges: string[] = [];
  const how: string[] = [];
  for (const family of ALL_FAMILIES) {
    const ofFamily = [...new Set(subnets.filter((cidr) => parseCidr(cidr)?.family === family))];
    if (network.available && ofFamily.length > 0) {
      ranges.push(...ofFamily);
      how.push(`docker network ${network.network}'s subnets, where the off-cluster client probes from`);
      continue;
    }
    ranges.push(NOBODY[family]);
    how.push(`nobody: ${network.available ? `docker network ${network.network} has no ${family} subnet` : network.reason}`);
  }
  const [first, second] = how;
  return { ranges, how: first === second ? (first ?? '') : ALL_FAMILIES.map((family, index) => `${family}: ${how[index] ?? ''}`).join('; ') };
}

export function describeSourceRanges(sourceRanges: SourceRanges): string {
  return `${sourceRanges.ranges.join(', ')} (${sourceRanges.how})`;
}

export function isLoadBalancerService(object: KubernetesObject): object is V1Service {
  return object.kind === 'Service' && (object as V1Service).spec?.type === 'LoadBalancer';
}

/**
 * Sets the ranges on every LoadBalancer Service among the parsed fixtures, in place; returns their names. One the
 * end of the run would not delete (a renamed or added one in a DSC_FIXTURES_DIR copy) is a fixture error.
 */
export function restrictLoadBalancers(objects: readonly KubernetesObject[], sourceRanges: SourceRanges): string[] {
  const services = objects.filter(isLoadBalancerService);
  for (const service of services) {
    const name = service.metadata?.name ?? '';
    if (!LOAD_BALANCER_SERVICES.includes(name)) {
      throw new FixtureError(`LoadBalancer Service ${name} is not one the run deletes after the checks (${LOAD_BALANCER_SERVICES.join(', ')})`);
    }
    service.spec = { ...service.spec, loadBalancerSourceRanges: [...sourceRanges.ranges] };
  }
  return services.map((service) => service.metadata?.name ?? '');
}

/** Deletes every LoadBalancer Service the fixtures may create in the run's namespaces; waits until they are gone. */
export async function deleteLoadBalancerServices(clients: Clients, namespaces: readonly string[], timeoutMs: number): Promise<string[]> {
  const deleted = await Promise.all(
    namespaces.flatMap((namespace) =>
      LOAD_BALANCER_SERVICES.map(async (name) => {
        try {
          await clients.core.deleteNamespacedService({ namespace, name });
          return [{ namespace, name }];
        } catch (error) {
          if (httpStatusOf(error) === 404) return [];
          throw error;
        }
      }),
    ),
  ).then((lists) => lists.flat());
  const names = deleted.map(({ namespace, name }) => `${namespace}/${name}`);
  if (deleted.length === 0) return names;
  const stillThere = async (): Promise<string[]> =>
    (
      await Promise.all(
        deleted.map(({ namespace, name }) =>
          clients.core.readNamespacedService({ namespace, name }).then(
            () => [`${namespace}/${name}`],
            (error: unknown) => (httpStatusOf(error) === 404 ? [] : Promise.reject(error)),
          ),
        ),
      )
    ).flat();
  await waitFor({
    what: `LoadBalancer Services ${names.join(', ')} to be gone`,
    timeoutMs,
    raise: timeoutEnvName('loadBalancer'),
    observe: stillThere,
    isDone: (present) => present.length === 0,
    describe: (present) => `still there: ${present.join(', ')}`,
    maxIntervalMs: 1_000,
    // Runs after the checks, also when they failed: finish even if a signal arrives meanwhile.
    interruptible: false,
  });
  return names;
}
