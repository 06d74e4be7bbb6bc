// Node selection, CNI-owned IPAM and several ServiceCIDRs, on objects shaped as `kubectl get -o json` prints them:
// an on-prem cluster with a NotReady and a Windows node, EKS, an AKS virtual node, Calico and Cilium pods.
import type { V1Node, V1Pod, V1ServiceCIDR } from '@kubernetes/client-node';
import { expect } from 'chai';
import {
  describeNodeSelection,
  nodeOperatingSystem,
  nodeSchedulability,
  nodeSelectionSummary,
  schedulableNodeNames,
  selectNodes,
} from './cluster.ts';
import {
  describeServiceRanges,
  detectClusterFamilies,
  familyAbsence,
  nodeAddressing,
  serviceRangesFromProbeService,
  serviceRangesFromServiceCidrs,
} from './families.ts';
import { judgeNodeInternalIps, judgeNodePodCidrFamilies, judgeSelectedNodes } from './judgements/nodes.ts';
import { cniOwnedPodAddress, judgePodIpInNodeCidr } from './judgements/pods.ts';
import { judgeServiceAllocation } from './judgements/services.ts';
import { allocatedService, dualNodes, podWithIps, readJson, service } from '../test/helpers.ts';

interface List<T> {
  apiVersion: string;
  kind: string;
  items: T[];
}

const items = <T>(file: string): T[] => {
  const list = readJson<List<T>>(file);
  // The fixtures are `kubectl get ... -o json` output: a v1 List.
  expect(list.kind, file).to.equal('List');
  return list.items;
};
const named = <T extends { metadata?: { name?: string } }>(list: T[], name: string): T => {
  const found = list.find((item) => item.metadata?.name === name);
  if (!found) throw new Error(`test data lacks ${name}`);
  return found;
};

const onprem = () => items<V1Node>('onprem-nodes-notready-windows.json');
const eks = () => items<V1Node>('eks-nodes.json');
const virtualNode = () => readJson<V1Node>('aks-virtual-node.json');
const calicoNodes = () => items<V1Node>('calico-nodes.json');
const calicoPods = () => items<V1Pod>('calico-pods.json');
const ciliumNodes = () => items<V1Node>('cilium-nodes.json');
const ciliumPods = () => items<V1Pod>('cilium-pods.json');
const serviceCidrs = () => items<V1ServiceCIDR>('servicecidrs-two.json');
const dualRanges = () => {
  const ranges = serviceRangesFromServiceCidrs(serviceCidrs());
  if (!ranges) throw new Error('test data lacks the kubernetes ServiceCIDR');
  return ranges;
};

describe('node selection: Ready, schedulable, Linux, not virtual', function () {
  it('selects only the Ready Linux node of an on-prem cluster with a NotReady and a Windows node, naming why', function () {
    const selection = selectNodes(onprem());
    expect(selection.selectedNodes.map((node) => node.metadata?.name)).to.deep.equal(['lab-cp-1']);
    // The not-ready taint echoes the condition: one reason, not two.
    expect(selection.excludedNodes).to.deep.equal([
      { name: 'lab-worker-2', reason: 'NotReady (KubeletNotReady)' },
      { name: 'lab-win-1', reason: 'windows' },
    ]);
    expect(schedulableNodeNames(selection)).to.deep.equal(['lab-cp-1']);
  });

  it('gives the header line and the summary fields the CLI prints', function () {
    const selection = selectNodes(onprem());
    expect(describeNodeSelection(selection)).to.equal(
      'Nodes: 3; selected for the suite: lab-cp-1; excluded: node lab-worker-2 NotReady (KubeletNotReady); node lab-win-1 windows',
    );
    expect(nodeSelectionSummary(selection)).to.deep.equal({
      nodes: ['lab-cp-1', 'lab-worker-2', 'lab-win-1'],
      selectedNodes: ['lab-cp-1'],
      schedulableNodes: ['lab-cp-1'],
      excludedNodes: [
        { name: 'lab-worker-2', reason: 'NotReady (KubeletNotReady)' },
        { name: 'lab-win-1', reason: 'windows' },
      ],
    });
    expect(describeNodeSelection(selectNodes(dualNodes()))).to.equal('Nodes: 2; selected for the suite: dualstack-control-plane, dualstack-worker');
    expect(describeNodeSelection(selectNodes([]))).to.equal('Nodes: 0; selected for the suite: none');
  });

  it('on EKS keeps the nodegroup Linux nodes and leaves out Fargate (its taint) and Windows', function () {
    const selection = selectNodes(eks());
    expect(selection.selectedNodes.map((node) => node.metadata?.name)).to.deep.equal([
      'ip-192-168-12-34.us-west-2.compute.internal',
      'ip-192-168-77-201.us-west-2.compute.internal',
    ]);
    expect(selection.excludedNodes).to.deep.equal([
      { name: 'fargate-ip-192-168-150-7.us-west-2.compute.internal', reason: 'taint eks.amazonaws.com/compute-type:NoSchedule' },
      { name: 'ip-192-168-40-9.us-west-2.compute.internal', reason: 'windows' },
    ]);
  });

  it('recognises a virtual-kubelet node by its label or by its provider taint alone', function () {
    const node = virtualNode();
    // ACI reports "Linux": the OS compare is case-insensitive, so only virtual-kubelet is said.
    expect(nodeOperatingSystem(node)).to.equal('linux');
    expect(nodeSchedulability(node)).to.deep.equal({ name: 'virtual-node-aci-linux', schedulable: false, reason: 'virtual-kubelet' });
    const unlabelled = { ...node, metadata: { ...node.metadata, labels: { 'kubernetes.io/os': 'linux' } } };
    expect(nodeSchedulability(unlabelled).reason).to.equal('virtual-kubelet');
    const untainted = { ...node, spec: {} };
    expect(nodeSchedulability(untainted).reason).to.equal('virtual-kubelet');
  });

  it('falls back to the kubernetes.io/os label when the kubelet reported no nodeInfo', function () {
    const windows = named(onprem(), 'lab-win-1');
    const labelOnly = { ...windows, status: { ...windows.status, nodeInfo: undefined } };
    expect(nodeOperatingSystem(labelOnly)).to.equal('windows');
    expect(nodeSchedulability(labelOnly).reason).to.equal('windows');
  });

  it('lists every reason of a node left out for several, without repeating echo taints', function () {
    const worker = named(onprem(), 'lab-worker-2');
    const cordoned = {
      ...worker,
      spec: {
        ...worker.spec,
        unschedulable: true,
        taints: [...(worker.spec?.taints ?? []), { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }, { key: 'gpu', effect: 'NoExecute' }],
      },
    };
    expect(nodeSchedulability(cordoned).reason).to.equal('NotReady (KubeletNotReady), cordoned (spec.unschedulable), taint gpu:NoExecute');
  });
});

describe('family detection on the selected nodes', function () {
  it('finds the on-prem cluster dual-stack: the IPv4-only NotReady and Windows nodes are not held against it', function () {
    const selection = selectNodes(onprem());
    const cluster = detectClusterFamilies(selection.selectedNodes, dualRanges(), selection.excludedNodes);
    expect(cluster.dualStack).to.equal(true);
    expect(cluster.podCidrFamilies).to.deep.equal(['IPv4', 'IPv6']);
    // Judged on every node, as before, the same cluster looked IPv4-only.
    expect(detectClusterFamilies(onprem(), dualRanges()).families).to.deep.equal(['IPv4']);
  });

  it('names the excluded nodes when a family is missing on the selected ones (EKS, IPv4 VPC)', function () {
    const selection = selectNodes(eks());
    const cluster = detectClusterFamilies(selection.selectedNodes, dualRanges(), selection.excludedNodes);
    expect(cluster.podCidrFamilies).to.equal(undefined);
    expect(familyAbsence(cluster, 'IPv6')).to.equal(
      'cluster has no IPv6: node InternalIPs IPv4 only (excluded: node fargate-ip-192-168-150-7.us-west-2.compute.internal taint eks.amazonaws.com/compute-type:NoSchedule; node ip-192-168-40-9.us-west-2.compute.internal windows)',
    );
  });

  it('fails clearly, naming why, when no node is selected', function () {
    const nodes = onprem().filter((node) => node.metadata?.name !== 'lab-cp-1');
    const selection = selectNodes(nodes);
    const cluster = detectClusterFamilies(selection.selectedNodes, dualRanges(), selection.excludedNodes);
    expect(cluster.families).to.deep.equal([]);
    expect(familyAbsence(cluster, 'IPv4')).to.equal(
      'cluster has no IPv4: no node selected (the suite needs a Ready, schedulable Linux node that is not virtual): node lab-worker-2 NotReady (KubeletNotReady); node lab-win-1 windows',
    );
  });
});

describe('node checks on the selected nodes', function () {
  it('passes the selected node and says which nodes were not judged only when something fails', function () {
    const selection = selectNodes(onprem());
    const nodes = selection.selectedNodes.map(nodeAddressing);
    expect(judgeSelectedNodes(nodes, selection.excludedNodes, judgeNodePodCidrFamilies)).to.deep.equal([]);
    expect(judgeSelectedNodes(nodes, selection.excludedNodes, judgeNodeInternalIps)).to.deep.equal([]);
  });

  it('appends the excluded nodes to a failure on a selected node', function () {
    const selection = selectNodes(eks());
    const problems = judgeSelectedNodes(selection.selectedNodes.map(nodeAddressing), selection.excludedNodes, judgeNodeInternalIps);
    expect(problems).to.deep.equal([
      'node ip-192-168-12-34.us-west-2.compute.internal: InternalIPs=[192.168.12.34]; no IPv6 InternalIP',
      'node ip-192-168-77-201.us-west-2.compute.internal: InternalIPs=[192.168.77.201]; no IPv6 InternalIP',
      'excluded: node fargate-ip-192-168-150-7.us-west-2.compute.internal taint eks.amazonaws.com/compute-type:NoSchedule; node ip-192-168-40-9.us-west-2.compute.internal windows',
    ]);
  });

  it('fails with no node selected, naming every excluded node', function () {
    const selection = selectNodes(onprem().filter((node) => node.metadata?.name !== 'lab-cp-1'));
    expect(judgeSelectedNodes([], selection.excludedNodes, judgeNodeInternalIps)).to.deep.equal([
      'no node selected (the suite needs a Ready, schedulable Linux node that is not virtual): node lab-worker-2 NotReady (KubeletNotReady); node lab-win-1 windows',
    ]);
    expect(judgeSelectedNodes([], [], judgeNodeInternalIps)).to.deep.equal(['no node selected: the API lists no node']);
  });
});

describe('pod addresses and node podCIDRs: node IPAM or CNI-owned IPAM', function () {
  it('Calico: pod addresses from 192.168.0.0/16 and fd00 pool blocks lie in no node podCIDR: skip, showing the values', function () {
    const pod = named(calicoPods(), 'pod01');
    const reason = cniOwnedPodAddress(pod, calicoNodes(), 'IPv4');
    expect(reason).to.equal(
      "pod dsc-7k2m9q/pod01: IPv4 address 192.168.154.197 (status.podIPs=[192.168.154.197, fd00:192:168:dd2b:53cf:b5a4:7c90:1e05]) lies in no node's spec.podCIDRs " +
        '(node cal-cp-1 [10.244.0.0/24, fd00:10:244::/64]; node cal-worker-1 [10.244.1.0/24, fd00:10:244:1::/64]): the CNI allocates pod addresses from its own pools, not from node IPAM',
    );
    expect(cniOwnedPodAddress(pod, calicoNodes(), 'IPv6')).to.contain('IPv6 address fd00:192:168:dd2b:53cf:b5a4:7c90:1e05');
    expect(cniOwnedPodAddress(named(calicoPods(), 'backend-a'), calicoNodes(), 'IPv6')).to.contain('fd00:192:168:31e0:8a14:9b7f:c2d6:e403');
  });

  it('Cilium cluster-pool: nodes without podCIDRs, or with podCIDRs disjoint from the pod addresses: skip', function () {
    const pod = named(ciliumPods(), 'pod01');
    for (const family of ['IPv4', 'IPv6'] as const) {
      expect(cniOwnedPodAddress(pod, ciliumNodes(), family), family).to.contain("lies in no node's spec.podCIDRs (node cil-cp-1 []; node cil-worker-1 [])");
    }
    // kube-controller-manager still allocates podCIDRs (kubeadm's 10.244.0.0/16) that Cilium ignores.
    const withPodCidrs = ciliumNodes().map((node, index) => ({
      ...node,
      spec: { ...node.spec, podCIDR: `10.244.${index}.0/24`, podCIDRs: [`10.244.${index}.0/24`, `fd00:10:244:${index}::/64`] },
    }));
    expect(cniOwnedPodAddress(pod, withPodCidrs, 'IPv4')).to.contain('10.0.1.123').and.contain('node cil-worker-1 [10.244.1.0/24, fd00:10:244:1::/64]');
    expect(cniOwnedPodAddress(pod, withPodCidrs, 'IPv6')).to.contain('fd00::1a3');
  });

  it('node IPAM (kind): the pod address lies in its own node podCIDR: no skip, and the judgement passes', function () {
    const pod = podWithIps(named(calicoPods(), 'pod01'), ['10.244.1.4', 'fd00:10:244:1::4']);
    const worker = named(calicoNodes(), 'cal-worker-1');
    expect(cniOwnedPodAddress(pod, calicoNodes(), 'IPv4')).to.equal(undefined);
    expect(judgePodIpInNodeCidr(pod, worker, 'IPv6', calicoNodes())).to.deep.equal([]);
  });

  it("an address inside another node's podCIDR is no skip but a failure naming that node", function () {
    const pod = podWithIps(named(calicoPods(), 'pod01'), ['10.244.0.9', 'fd00:10:244:1::9']);
    const worker = named(calicoNodes(), 'cal-worker-1');
    expect(cniOwnedPodAddress(pod, calicoNodes(), 'IPv4')).to.equal(undefined);
    expect(judgePodIpInNodeCidr(pod, worker, 'IPv4', calicoNodes())).to.deep.equal([
      "pod dsc-7k2m9q/pod01 on node cal-worker-1: status.podIPs=[10.244.0.9, fd00:10:244:1::9], node spec.podCIDRs=[10.244.1.0/24, fd00:10:244:1::/64]; 10.244.0.9 is outside [10.244.1.0/24]; 10.244.0.9 lies in node cal-cp-1's 10.244.0.0/24: allocated from another node's block",
    ]);
    expect(judgePodIpInNodeCidr(pod, worker, 'IPv6', calicoNodes())).to.deep.equal([]);
  });

  it('a pod without an address of the family is no skip: the judgement fails it', function () {
    const pod = podWithIps(named(calicoPods(), 'pod01'), ['192.168.154.197']);
    expect(cniOwnedPodAddress(pod, calicoNodes(), 'IPv6')).to.equal(undefined);
    expect(judgePodIpInNodeCidr(pod, named(calicoNodes(), 'cal-worker-1'), 'IPv6', calicoNodes())[0]).to.contain('the pod has no IPv6 address');
  });
});

describe('every ServiceCIDR counts', function () {
  it('takes the families from the kubernetes ServiceCIDR and the ranges from both, the kubernetes one first', function () {
    const ranges = dualRanges();
    expect(ranges.families).to.deep.equal(['IPv4', 'IPv6']);
    expect(ranges.cidrs).to.deep.equal(['10.96.0.0/16', 'fd00:10:96::/112', '10.100.0.0/24', 'fd00:10:100::/112']);
    expect(ranges.source).to.equal('ServiceCIDRs kubernetes, extra-service-range (families from kubernetes)');
    expect(describeServiceRanges(ranges)).to.equal(
      'IPv4+IPv6 from ServiceCIDRs kubernetes, extra-service-range (families from kubernetes); ServiceCIDR kubernetes [10.96.0.0/16, fd00:10:96::/112]; ServiceCIDR extra-service-range [10.100.0.0/24, fd00:10:100::/112]',
    );
  });

  it('accepts a clusterIP from the ServiceCIDR added later, and names every range when one lies in none', function () {
    const ranges = dualRanges();
    const fromExtra = allocatedService('dual-stack-require-ipv6-ipv4-svc', 'RequireDualStack', ['IPv6', 'IPv4'], ['fd00:10:100::2a', '10.100.0.17']);
    expect(judgeServiceAllocation(fromExtra, { policy: 'RequireDualStack', families: ['IPv6', 'IPv4'] }, ranges)).to.deep.equal([]);
    const outside = allocatedService('dual-stack-ipv4-svc', 'SingleStack', ['IPv4'], ['10.101.0.5']);
    expect(judgeServiceAllocation(outside, { policy: 'SingleStack', families: ['IPv4'] }, ranges)).to.deep.equal([
      'svc dsc-test/dual-stack-ipv4-svc: ipFamilyPolicy=SingleStack clusterIPs=[10.101.0.5] families=[IPv4]; 10.101.0.5 is outside every IPv4 service range (ServiceCIDR kubernetes [10.96.0.0/16], ServiceCIDR extra-service-range [10.100.0.0/24])',
    ]);
  });

  it('without a kubernetes ServiceCIDR, asks the probe for the families and still bounds clusterIPs by the others', function () {
    const extra = serviceCidrs().filter((item) => item.metadata?.name !== 'kubernetes');
    expect(serviceRangesFromServiceCidrs(extra)).to.equal(undefined);
    const probe = service('family-probe-svc', { ipFamilyPolicy: 'PreferDualStack', ipFamilies: ['IPv4', 'IPv6'], clusterIPs: ['10.100.0.3', 'fd00:10:100::3'] });
    const ranges = serviceRangesFromProbeService(probe, extra);
    expect(ranges.families).to.deep.equal(['IPv4', 'IPv6']);
    expect(ranges.cidrs).to.deep.equal(['10.100.0.0/24', 'fd00:10:100::/112']);
    expect(ranges.source).to.equal('PreferDualStack probe Service (clusterIPs 10.100.0.3, fd00:10:100::3); ranges from ServiceCIDRs extra-service-range');
  });
});
