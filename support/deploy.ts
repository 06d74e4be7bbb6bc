// Creates every fixture of a run concurrently, then waits once for all pods to be Ready. A Service the API rejects
// (e.g. [IPv6] on an IPv4-only cluster) is recorded, not thrown: the checks about it fail with the API's reason,
// while every other check still runs.
import { KubernetesObjectApi, type KubernetesObject, type V1Pod, type V1Service } from '@kubernetes/client-node';
import { IMAGE_SETTINGS, type Images, type RunConfig } from './config.ts';
import { ConfigurationError, describeError } from '../lib/errors.ts';
import { describeSourceRanges, isLoadBalancerService, restrictLoadBalancers, type SourceRanges } from './exposure.ts';
import { FIXTURE_FILES, hostnetPort, NODE_FIXTURE_FILES, POD_ROLES, SERVICES, type PodRole } from './expectations.ts';
import { loadFixture, type FixtureVariables } from './fixtures.ts';
import type { Clients } from './k8s.ts';
import {
  declaredLbProvider,
  metallbPools,
  probeLbProvider,
  type LbProvider,
} from './loadbalancer.ts';
import type { RunNamespaces } from './namespace.ts';
import { phase } from './phase.ts';
import { waitFor } from '../lib/wait.ts';
import { timeoutEnvName } from './timeouts.ts';

export interface CreatedService {
  readonly name: string;
  /** The Service as the API server returned it on create (clusterIPs are allocated synchronously). */
  readonly service: V1Service | undefined;
  /** Why the API server rejected it. */
  readonly rejection: string | undefined;
}

export interface DeployedFixtures {
  readonly pods: Readonly<Record<PodRole, V1Pod>>;
  /** The client pinned to each selected node (serving its hostname over HTTP), in node order. */
  readonly nodeClients: readonly V1Pod[];
  /** The hostNetwork pod pinned to each selected node, in node order. */
  readonly nodeHostnets: readonly V1Pod[];
  readonly services: ReadonlyMap<string, CreatedService>;
  /** Decided in the background; the LB specs await it. */
  readonly lbProvider: Promise<LbProvider>;
}

export function fixtureVariables(namespaces: RunNamespaces, images: Images): FixtureVariables {
  return {
    AGNHOST_IMAGE: images.agnhost,
    BUSYBOX_IMAGE: images.busybox,
    NAMESPACE: namespaces.main,
    HOST_NAMESPACE: namespaces.host,
    RUN_ID: namespaces.runId,
    HOSTNET_PORT: String(hostnetPort(namespaces.runId)),
  };
}

/** Reasons a container can never start because of its image: the run stops with a configuration error. */
const IMAGE_FAILURES = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull']);
/** Reasons a container will not become Ready without a change: the wait stops at once. */
const STUCK_FAILURES = new Set(['CrashLoopBackOff', 'CreateContainerConfigError', 'CreateContainerError', 'RunContainerError']);

function isReady(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True') ?? false;
}

/** "backend-a Pending (Unschedulable: 0/2 nodes ...)" or "client Running, not Ready (agnhost: ContainerCreating)". */
export function describePodState(pod: V1Pod): string {
  const name = pod.metadata?.name ?? '?';
  const phaseText = pod.status?.phase ?? 'Unknown';
  if (isReady(pod)) return `${name} Ready`;
  const scheduled = pod.status?.conditions?.find((condition) => condition.type === 'PodScheduled');
  if (scheduled?.status === 'False') return `${name} ${phaseText} (${scheduled.reason ?? 'unscheduled'}: ${scheduled.message ?? ''})`;
  const waiting = (pod.status?.containerStatuses ?? [])
    .filter((status) => !status.ready)
    .map((status) => {
      if (status.state?.running) return `${status.name}: running, readiness probe not passing yet`;
      const state = status.state?.waiting ?? status.state?.terminated;
      return `${status.name}: ${state?.reason ?? 'waiting'}${state?.message ? ` ${state.message}` : ''}`;
    });
  return `${name} ${phaseText}, not Ready${waiting.length > 0 ? ` (${waiting.join('; ')})` : ''}`;
}

/** An error to stop waiting with, when a pod can never become Ready as configured. */
export function podFailure(pod: V1Pod, images: Images): Error | undefined {
  for (const status of pod.status?.containerStatuses ?? []) {
    const reason = status.state?.waiting?.reason;
    if (reason === undefined) continue;
    const where = `pod ${pod.metadata?.namespace ?? '?'}/${pod.metadata?.name ?? '?'} on node ${pod.spec?.nodeName ?? '?'}`;
    if (IMAGE_FAILURES.has(reason)) {
      const setting = (Object.keys(IMAGE_SETTINGS) as (keyof Images)[]).find((key) => images[key] === status.image);
      const override = setting ? ` (override with ${IMAGE_SETTINGS[setting].flag} or ${IMAGE_SETTINGS[setting].env})` : '';
      return new ConfigurationError(`image ${status.image} cannot be pulled: ${reason} for ${where}${override}`);
    }
    if (STUCK_FAILURES.has(reason)) {
      return new Error(`${where}: container ${status.name} ${reason}: ${status.state?.waiting?.message ?? ''}`);
    }
  }
  return undefined;
}

export async function deployFixtures(
  clients: Clients,
  namespaces: RunNamespaces,
  config: RunConfig,
  /** The nodes the suite judges (Ready, schedulable, Linux): each gets its own node client and hostNetwork pod. */
  nodeNames: readonly string[],
  /** Set on every LoadBalancer Service (support/exposure.ts); asked only when the run creates one. */
  sourceRanges: () => Promise<SourceRanges>,
): Promise<DeployedFixtures> {
  const variables = fixtureVariables(namespaces, config.images);
  const declared = declaredLbProvider(config.lbProvider);
  // MetalLB pools decide detection without a probe Service; asked first so the probe is created only if needed.
  const pools = declared ? undefined : await metallbPools(clients).catch(() => undefined);
  const wantsProbe = !declared && pools === undefined;
  const files = FIXTURE_FILES.filter(
    (fixture) =>
      fixture.loadBalancer === undefined ||
      (fixture.loadBalancer === 'service' && !(declared && !declared.present)) ||
      (fixture.loadBalancer === 'probe' && wantsProbe),
  );
  // Parse everything first: a malformed fixture stops the run before anything is created.
  const namespaceOf = (fixture: { namespace: 'main' | 'host' }): string => (fixture.namespace === 'host' ? namespaces.host : namespaces.main);
  const objects = [
    ...files.flatMap((fixture) => loadFixture(fixture.file, { variables, namespace: namespaceOf(fixture) })),
    ...NODE_FIXTURE_FILES.flatMap((fixture) =>
      nodeNames.flatMap((node, index) =>
        loadFixture(fixture.file, { variables: { ...variables, NODE_NAME: node, NODE_INDEX: String(index) }, namespace: namespaceOf(fixture) }),
      ),
    ),
  ];
  if (objects.some(isLoadBalancerService)) {
    const ranges = await sourceRanges();
    const restricted = restrictLoadBalancers(objects, ranges);
    process.stdout.write(`    LoadBalancer source ranges of ${restricted.join(', ')}: ${describeSourceRanges(ranges)}\n`);
  }

  phase('create');
  const api = KubernetesObjectApi.makeApiClient(clients.kubeConfig);
  const outcomes = await Promise.all(
    objects.map(async (object) => {
      try {
        return { object, created: await api.create<KubernetesObject>(object), error: undefined };
      } catch (error) {
        return { object, created: undefined, error: describeError(error) };
      }
    }),
  );
  const services = new Map<string, CreatedService>();
  for (const outcome of outcomes) {
    const name = outcome.object.metadata?.name ?? '?';
    if (outcome.object.kind === 'Service') {
      services.set(name, { name, service: outcome.created as V1Service | undefined, rejection: outcome.error });
    } else if (outcome.error !== undefined) {
      // Pods are the ground every check stands on: a rejected pod (e.g. Pod Security) stops the run.
      throw new Error(`${outcome.object.kind} ${outcome.object.metadata?.namespace ?? ''}/${name} was rejected: ${outcome.error}`);
    }
  }

  const lbProvider: Promise<LbProvider> = declared
    ? Promise.resolve(declared)
    : pools !== undefined
      ? Promise.resolve({ present: true, name: 'MetalLB', how: `IPAddressPools ${pools.join(', ')}` })
      : probeLbProvider(clients, namespaces.main, SERVICES.loadBalancerProbe, config.timeouts.loadBalancer);
  // Never leave a rejection unobserved while the specs have not awaited it yet.
  lbProvider.catch(() => undefined);

  phase('wait');
  const nodePodNames = (fixtureIndex: number): string[] => nodeNames.map((_, index) => NODE_FIXTURE_FILES[fixtureIndex]?.podName(index) ?? '?');
  const expectedPods = new Set<string>([...POD_ROLES, ...nodePodNames(0), ...nodePodNames(1)]);
  const podList = await waitFor({
    what: `fixture pods ${[...expectedPods].join(', ')} to be Ready`,
    timeoutMs: config.timeouts.podReady,
    raise: timeoutEnvName('podReady'),
    progress: true,
    observe: async () => {
      const lists = await Promise.all(
        [namespaces.main, namespaces.host].map((namespace) => clients.core.listNamespacedPod({ namespace })),
      );
      return lists.flatMap((list) => list.items).filter((pod) => expectedPods.has(pod.metadata?.name ?? ''));
    },
    isDone: (pods) => pods.length === expectedPods.size && pods.every(isReady),
    describe: (pods) => pods.map(describePodState).join('; ') || 'no pods yet',
    fatal: (pods) => pods.map((pod) => podFailure(pod, config.images)).find((error) => error !== undefined),
    maxIntervalMs: 1_000,
  });
  const pods = Object.fromEntries(POD_ROLES.map((role) => [role, podList.find((pod) => pod.metadata?.name === role)])) as Record<
    PodRole,
    V1Pod
  >;
  const byName = (names: readonly string[]): V1Pod[] =>
    names.map((name) => podList.find((pod) => pod.metadata?.name === name)).filter((pod): pod is V1Pod => pod !== undefined);
  return { pods, nodeClients: byName(nodePodNames(0)), nodeHostnets: byName(nodePodNames(1)), services, lbProvider };
}
