// What the suite learns about the cluster before any check: version, nodes and which of them the suite judges
// (selected: Ready, schedulable, Linux, not virtual), families, kube-proxy mode and CNI. It feeds the header paragraph
// and the checks' expectations.
import type { V1ConfigMap, V1DaemonSet, V1Node, V1Service, V1ServiceCIDR, V1Taint, VersionInfo } from '@kubernetes/client-node';
import { loadAllYaml } from '@kubernetes/client-node';
import { describeError, httpStatusOf } from '../lib/errors.ts';
import {
  describeExcludedNodes,
  detectClusterFamilies,
  serviceRangesFromProbeService,
  serviceRangesFromServiceCidrs,
  type ClusterFamilies,
  type ExcludedNode,
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
  /** Whether the suite selects the node: Ready, schedulable for our pods, Linux, not virtual. */
  readonly schedulable: boolean;
  /** Every reason it is left out, comma-separated ("windows, NotReady (KubeletNotReady)"); undefined when selected. */
  readonly reason: string | undefined;
}

/** virtual-kubelet providers (ACI virtual nodes, ...) label and taint their nodes so; no kubelet, no CNI, no kube-proxy. */
const VIRTUAL_KUBELET_LABEL = { key: 'type', value: 'virtual-kubelet' } as const;
const VIRTUAL_KUBELET_TAINT = 'virtual-kubelet.io/provider';

/** The node's OS, lower-cased: status.nodeInfo (what the kubelet reports), else the kubernetes.io/os label. */
export function nodeOperatingSystem(node: V1Node): string | undefined {
  // Typed as required, but absent on nodes that never posted status.
  const reported = node.status?.nodeInfo?.operatingSystem as string | undefined;
  const os = reported || node.metadata?.labels?.['kubernetes.io/os'];
  return os ? os.toLowerCase() : undefined;
}

export function isVirtualKubelet(node: V1Node): boolean {
  return (
    node.metadata?.labels?.[VIRTUAL_KUBELET_LABEL.key] === VIRTUAL_KUBELET_LABEL.value ||
    (node.spec?.taints ?? []).some((taint) => taint.key === VIRTUAL_KUBELET_TAINT)
  );
}

/**
 * Whether the suite can judge the node and run its (Linux) fixture pods there. A node the kubelet never reported an
 * OS for counts as Linux: the scheduler would place our pods there too.
 */
export function nodeSchedulability(node: V1Node): NodeSchedulability {
  const name = node.metadata?.name ?? '(unnamed)';
  const reasons: string[] = [];
  const virtual = isVirtualKubelet(node);
  if (virtual) reasons.push('virtual-kubelet');
  const os = nodeOperatingSystem(node);
  if (os !== undefined && os !== 'linux') reasons.push(os);
  const ready = node.status?.conditions?.find((condition) => condition.type === 'Ready');
  if (ready?.status !== 'True') reasons.push(`NotReady (${ready?.reason ?? 'no Ready condition'})`);
  if (node.spec?.unschedulable) reasons.push('cordoned (spec.unschedulable)');
  // Taints that only echo a reason already given (the node lifecycle controller's, the provider's) are not repeated.
  const echoed = new Set<string>([
    ...(virtual ? [VIRTUAL_KUBELET_TAINT] : []),
    ...(ready?.status !== 'True' ? ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'] : []),
    ...(node.spec?.unschedulable ? ['node.kubernetes.io/unschedulable'] : []),
  ]);
  const blocking = (node.spec?.taints ?? []).filter(
    (taint) =>
      (taint.effect === 'NoSchedule' || taint.effect === 'NoExecute') &&
      !TOLERATED_TAINTS.some((tolerated) => tolerated.key === taint.key && tolerated.effect === taint.effect) &&
      !echoed.has(taint.key),
  );
  if (blocking.length > 0) reasons.push(`taint ${blocking.map((t) => `${t.key}:${t.effect}`).join(', ')}`);
  return { name, schedulable: reasons.length === 0, reason: reasons.length === 0 ? undefined : reasons.join(', ') };
}

/** Which nodes the suite judges, and which it leaves out with why. */
export interface NodeSelection {
  /** Every node the API lists. */
  readonly nodes: readonly V1Node[];
  /** One entry per node, in list order. */
  readonly schedulability: readonly NodeSchedulability[];
  /** Nodes the node checks, family detection and the cross-node checks count on. */
  readonly selectedNodes: readonly V1Node[];
  readonly excludedNodes: readonly ExcludedNode[];
}

export function selectNodes(nodes: readonly V1Node[]): NodeSelection {
  const schedulability = nodes.map(nodeSchedulability);
  const selectedNodes = nodes.filter((_, index) => schedulability[index]?.schedulable === true);
  const excludedNodes = schedulability
    .filter((node) => !node.schedulable)
    .map((node) => ({ name: node.name, reason: node.reason ?? 'excluded' }));
  return { nodes, schedulability, selectedNodes, excludedNodes };
}

/**
 * The header's "Nodes:" line: "Nodes: 3; selected for the suite: a; excluded: node x NotReady (KubeletNotReady);
 * node w windows".
 */
export function describeNodeSelection(selection: NodeSelection): string {
  const selected = selection.schedulability.filter((node) => node.schedulable).map((node) => node.name);
  const excluded = describeExcludedNodes(selection.excludedNodes);
  return `Nodes: ${selection.nodes.length}; selected for the suite: ${selected.join(', ') || 'none'}${excluded ? `; ${excluded}` : ''}`;
}

/** The node part of summary.json. `schedulableNodes` is kept (same as selectedNodes) for readers of older summaries. */
export function nodeSelectionSummary(selection: NodeSelection): {
  nodes: string[];
  selectedNodes: string[];
  schedulableNodes: string[];
  excludedNodes: { name: string; reason: string }[];
} {
  const selected = selection.schedulability.filter((node) => node.schedulable).map((node) => node.name);
  return {
    nodes: selection.schedulability.map((node) => node.name),
    selectedNodes: selected,
    schedulableNodes: selected,
    excludedNodes: selection.excludedNodes.map((node) => ({ name: node.name, reason: node.reason })),
  };
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

export interface ClusterInfo extends NodeSelection {
  readonly version: VersionInfo;
  readonly minorVersion: number | undefined;
  /** Detected on the selected nodes only. */
  readonly families: ClusterFamilies;
  readonly kubeProxyMode: string;
  readonly cni: string;
}

/** Names of the selected nodes (Ready, schedulable, Linux, not virtual). */
export function schedulableNodeNames(info: Pick<ClusterInfo, 'schedulability'>): string[] {
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
  let listed: readonly V1ServiceCIDR[] = [];
  try {
    // Every ServiceCIDR counts: objects added after install extend the ranges clusterIPs come from.
    listed = (await clients.networking.listServiceCIDR()).items;
    const ranges = serviceRangesFromServiceCidrs(listed);
    if (ranges) return ranges;
  } catch (error) {
    // 404: networking.k8s.io/v1 ServiceCIDR not served (Kubernetes < 1.33); 403: not visible to this identity.
    const status = httpStatusOf(error);
    if (status !== 404 && status !== 403) throw error;
  }
  // No `kubernetes` ServiceCIDR to name the families: ask the API server through a PreferDualStack Service.
  const probe = loadSingleFixture<V1Service>('probes/family-probe-svc.yaml', 'Service', {
    variables: options.probeServiceTemplateVariables,
    namespace: options.probeNamespace,
  });
  // The API server allocates clusterIPs synchronously: the create response already holds them.
  const created = await clients.core.createNamespacedService({ namespace: options.probeNamespace, body: probe });
  return serviceRangesFromProbeService(created, listed);
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
  const selection = selectNodes(nodeList.items);
  return {
    version: options.version,
    minorVersion: minorVersionOf(options.version),
    ...selection,
    families: detectClusterFamilies(selection.selectedNodes, services, selection.excludedNodes),
    kubeProxyMode,
    cni,
  };
}
