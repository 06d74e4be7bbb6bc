// What the topology picture shows of the run's own objects: its pods and Services in both namespaces, listed once
// when the checks are done (LoadBalancer addresses and every podIP are final then), before cleanup deletes them.
import type { V1Pod, V1Service } from '@kubernetes/client-node';
import type { DeployedFixtures } from '../deploy.ts';
import { withTimeout, type Clients } from '../k8s.ts';
import type { RunNamespaces } from '../namespace.ts';

export interface RunObjects {
  readonly pods: readonly V1Pod[];
  readonly services: readonly V1Service[];
}

/** Undefined when the API does not answer in time: the report then says it has no picture, the verdict stands. */
export async function listRunObjects(
  clients: Clients,
  namespaces: RunNamespaces,
  fixtures: DeployedFixtures,
  requestTimeoutMs: number,
): Promise<RunObjects | undefined> {
  // Services are read one by one (the suite's RBAC has get, not list, on Services); the ones the API rejected are absent.
  const created = [...fixtures.services.values()].flatMap((entry) => (entry.service?.metadata?.namespace ? [{ name: entry.name, namespace: entry.service.metadata.namespace }] : []));
  try {
    const [pods, services] = await withTimeout(
      Promise.all([
        Promise.all([namespaces.main, namespaces.host].map((namespace) => clients.core.listNamespacedPod({ namespace }))),
        Promise.all(created.map((service) => clients.core.readNamespacedService(service))),
      ]),
      requestTimeoutMs,
      "listing the run's pods and Services for the report",
    );
    return { pods: pods.flatMap((list) => list.items), services };
  } catch {
    return undefined;
  }
}
