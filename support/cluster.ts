// What the suite learns about the cluster before any check: version, nodes and which of them take our pods,
// families, kube-proxy mode and CNI. It feeds the header paragraph and the checks' expectations.
import type { V1ConfigMap, V1DaemonSet, V1Node, V1Service, V1Taint, VersionInfo } from '@kubernetes/client-node';
import { loadAllYaml } from '@kubernetes/client-node';
import { describeError, httpStatusOf } from './errors.ts';
import {
  detectClusterFamilies,
  serviceRangesFromProbeService,
  serviceRangesFromServiceCidr,
  type ClusterFamilies,
  type ServiceRanges,
} from './families.ts';
import { loadSingleFixture } from './fixtures.ts';
import type { Clients } from './k8s.ts';

/** The taint every fixture pod tolerates, so cross-node checks can use a kind control-plane node. */
export const TOLERATED_TAINTS: readonly Pick<V1Taint, 'key' | 'effect'>[] = [
  { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' },
];

export interface NodeSchedulability {
  readonly name: string;
  readonly schedulable: boolean;
  readonly reason: string | undefined;
}

export function nodeSchedulability(node: V1Node): NodeSchedulability {
  const name = node.metadata?.name ?? '(unnamed)';
  const ready = node.status?.conditions?.find((condition) => condition.type === 'Ready');
  if (ready?.status !== 'True') return { name, schedulable: false, reason: `not Ready (${ready?.reason ?? 'no Ready condition'})` };
  if (node.spec?.unschedulable) return { name, schedulable: false, reason: 'cordoned (spec.unschedulable)' };
  const blocking = (node.spec?.taints ?? []).filter(
    (taint) =>
      (taint.effect === 'NoSchedule' || taint.effect === 'NoExecute') &&
      !TOLERATED_TAINTS.some((tolerated) => tolerated.key === taint.key && tolerated.effect === taint.effect),
  );
  if (blocking.length > 0) {
    return { name, schedulable: false, reason: `taint ${blocking.map((t) => `${t.key}:${t.effect}`).join(', ')}` };
  }
  return { name, schedulable: true, reason: undefined };
}

/** kube-proxy's mode from its kubeadm-style ConfigMap (config.conf); an empty mode means the platform default. */
export function kubeProxyModeFromConfigMap(configMap: V1ConfigMap | undefined): string {
  const text = configMap?.data?.['config.conf'];
  if (!text) return 'not visible';
  try {
    const [config] = loadAllYaml(text) as { mode?: unknown }[];
    const mode = typeof config?.mode === 'string' ? config.mode : '';
    return mode === '' ? 'iptables (default)' : mode;
  } catch {
    return 'not visible (unparsable kube-proxy config)';
  }
}

/** Known CNI DaemonSets, by name prefix, in kube-system (or the namespace the CNI installs into). */
const CNI_DAEMONSETS: readonly [prefix: string, name: string][] = [
  ['kindnet', 'kindnet'],
  ['calico-node', 'Calico'],
  ['cilium', 'Cilium'],
  ['kube-flannel', 'Flannel'],
  ['flannel', 'Flannel'],
  ['weave-net', 'Weave Net'],
  ['antrea-agent', 'Antrea'],
  ['kube-router', 'kube-router'],
  ['canal', 'Canal'],
  ['ovnkube-node', 'OVN-Kubernetes'],
];

export function cniFromDaemonSets(daemonSets: readonly V1DaemonSet[]): string {
  for (const daemonSet of daemonSets) {
    const name = daemonSet.metadata?.name ?? '';
    const known = CNI_DAEMONSETS.find(([prefix]) => name.startsWith(prefix));
    if (known) {
      const image = daemonSet.spec?.template.spec?.containers[0]?.image;
      return image ? `${known[1]} (${image})` : known[1];
    }
  }
  return 'not visible';
}

export interface ClusterInfo {
  readonly version: VersionInfo;
  readonly minorVersion: number | undefined;
  readonly nodes: readonly V1Node[];
  readonly schedulability: readonly NodeSchedulability[];
  readonly families: ClusterFamilies;
  readonly kubeProxyMode: string;
  readonly cni: string;
}

export function schedulableNodeNames(info: ClusterInfo): string[] {
  return info.schedulability.filter((node) => node.schedulable).map((node) => node.name);
}

/** The minor version as a number ("34" or "34+" from managed offerings). */
export function minorVersionOf(version: VersionInfo): number | undefined {
  const minor = Number.parseInt(version.minor, 10);
  return Number.isFinite(minor) ? minor : undefined;
}

export interface DiscoverOptions {
  readonly clients: Clients;
  readonly version: VersionInfo;
  /** Namespace for the PreferDualStack probe Service, used only when no ServiceCIDR object is served. */
  readonly probeNamespace: string;
  readonly probeServiceTemplateVariables: Readonly<Record<string, string>>;
}

async function discoverServiceRanges(options: DiscoverOptions): Promise<ServiceRanges> {
  const { clients } = options;
  try {
    return serviceRangesFromServiceCidr(await clients.networking.readServiceCIDR({ name: 'kubernetes' }));
  } catch (error) {
    // 404: networking.k8s.io/v1 ServiceCIDR not served (Kubernetes < 1.33) or the object is absent; 403: not visible.
    const status = httpStatusOf(error);
    if (status !== 404 && status !== 403) throw error;
  }
  const probe = loadSingleFixture<V1Service>('probes/family-probe-svc.yaml', 'Service', {
    variables: options.probeServiceTemplateVariables,
    namespace: options.probeNamespace,
  });
  // The API server allocates clusterIPs synchronously: the create response already holds them.
  const created = await clients.core.createNamespacedService({ namespace: options.probeNamespace, body: probe });
  return serviceRangesFromProbeService(created);
}

export async function discoverCluster(options: DiscoverOptions): Promise<ClusterInfo> {
  const { clients } = options;
  const [nodeList, services, kubeProxyMode, cni] = await Promise.all([
    clients.core.listNode(),
    discoverServiceRanges(options),
    clients.core
      .readNamespacedConfigMap({ namespace: 'kube-system', name: 'kube-proxy' })
      .then(kubeProxyModeFromConfigMap, (error: unknown) =>
        httpStatusOf(error) === 404 ? 'no kube-proxy ConfigMap (replaced by the CNI?)' : `not visible (${describeError(error)})`,
      ),
    clients.apps
      .listNamespacedDaemonSet({ namespace: 'kube-system' })
      .then((list) => cniFromDaemonSets(list.items), (error: unknown) => `not visible (${describeError(error)})`),
  ]);
  const nodes = nodeList.items;
  return {
    version: options.version,
    minorVersion: minorVersionOf(options.version),
    nodes,
    schedulability: nodes.map(nodeSchedulability),
    families: detectClusterFamilies(nodes, services),
    kubeProxyMode,
    cni,
  };
}
