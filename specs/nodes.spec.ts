// The page's "Validate node addressing": every selected node (Ready, schedulable, Linux, not virtual) gets one pod
// CIDR and one InternalIP per family. Excluded nodes are listed, never judged.
import { registerArea, type CheckContext } from '../support/check.ts';
import { check, checkArea } from '../support/checks.ts';
import { describeExcludedNodes, nodeAddressing, type NodeAddressing } from '../support/families.ts';
import { judgeNodeInternalIps, judgeNodePodCidrFamilies, judgeNodePodCidrFirst, judgeSelectedNodes } from '../support/judgements/nodes.ts';
import { PAGE_NODES, UPSTREAM } from './references.ts';

const noNodeIpamReason = 'no node has spec.podCIDRs: node IPAM is off (the CNI allocates pod addresses itself)';

const selected = (t: CheckContext): NodeAddressing[] => t.run.cluster.selectedNodes.map(nodeAddressing);

/** Attaches the per-node values, and the excluded nodes when there are any. */
function observe(t: CheckContext, title: string, nodes: readonly NodeAddressing[], pick: (node: NodeAddressing) => unknown): void {
  t.observe(title, Object.fromEntries(nodes.map((node) => [node.name, pick(node)])));
  const text = describeExcludedNodes(t.run.cluster.excludedNodes);
  if (text !== '') t.observe('nodes not judged', text);
}

/** Skips for node IPAM only when there are selected nodes and none of them has podCIDRs. */
function skipWithoutNodeIpam(t: CheckContext, nodes: readonly NodeAddressing[]): void {
  if (nodes.length === 0 || nodes.some((node) => node.podCIDRs.length > 0)) return;
  const text = describeExcludedNodes(t.run.cluster.excludedNodes);
  t.skip('node-ipam', text === '' ? noNodeIpamReason : `${noNodeIpamReason}; ${text}`);
}

export const NODES = checkArea('nodes', 'Nodes: every node is addressed in both families', [
  check(
    'node.podcidrs.families',
    {
      requires: 'both',
      title: 'every node is allocated one IPv4 and one IPv6 block in spec.podCIDRs',
      verifies:
        'Each selected node (Ready, schedulable, Linux, not virtual-kubelet) lists exactly two spec.podCIDRs, one per family (IPv4-mapped or malformed blocks count as neither). Excluded nodes are named in the message, never judged; with no node selected the check fails naming why.',
      pageStep: `${PAGE_NODES}: kubectl get nodes <node> -o go-template='{{range .spec.podCIDRs}}…' shows one IPv4 and one IPv6 block`,
      upstream: null, // dual_stack.go once had a node podCIDRs test; it was removed because node IPAM is optional.
      causes: [
        'kube-controller-manager --cluster-cidr lists one family only: give it both, e.g. 10.244.0.0/16,fd00:10:244::/56',
        '--allocate-node-cidrs is off (CNI does its own IPAM): the check is then skipped, not failed',
        '--node-cidr-mask-size-ipv6 larger than the IPv6 cluster CIDR allows: controller-manager logs say so',
      ],
      skipsWithout: ['node-ipam'],
    },
    function (t) {
      const nodes = selected(t);
      observe(t, 'spec.podCIDRs per node', nodes, (node) => node.podCIDRs);
      skipWithoutNodeIpam(t, nodes);
      t.verdict(judgeSelectedNodes(nodes, t.run.cluster.excludedNodes, judgeNodePodCidrFamilies));
    },
  ),
  check(
    'node.podcidr.first',
    {
      requires: 'none',
      title: "every node's spec.podCIDR equals spec.podCIDRs[0]",
      verifies: 'On each selected node, the singular field mirrors the first entry of the plural one, as the API guarantees for old clients.',
      pageStep: PAGE_NODES,
      upstream: null,
      causes: ['A controller or admission webhook that rewrites node specs inconsistently'],
      skipsWithout: ['node-ipam'],
    },
    function (t) {
      const nodes = selected(t);
      observe(t, 'spec.podCIDR / spec.podCIDRs per node', nodes, (node) => ({ podCIDR: node.podCIDR, podCIDRs: node.podCIDRs }));
      skipWithoutNodeIpam(t, nodes);
      t.verdict(judgeSelectedNodes(nodes, t.run.cluster.excludedNodes, judgeNodePodCidrFirst));
    },
  ),
  check(
    'node.internalip.families',
    {
      requires: 'both',
      title: 'every node reports an IPv4 and an IPv6 InternalIP',
      verifies:
        'status.addresses of each selected node (Ready, schedulable, Linux, not virtual-kubelet) holds an InternalIP of each family; excluded nodes are named, never judged.',
      pageStep: `${PAGE_NODES}: kubectl get nodes <node> -o go-template='{{range .status.addresses}}…' shows InternalIPs of both families`,
      upstream: `${UPSTREAM}: "should have ipv4 and ipv6 internal node ip"`,
      causes: [
        'kubelet --node-ip names one address only: pass both, e.g. --node-ip=10.89.0.2,fc00:f853:ccd:e793::2',
        'The node has no global IPv6 address on its primary interface (check `ip -6 addr` on the node)',
        'A cloud provider that reports one family only',
      ],
    },
    function (t) {
      const nodes = selected(t);
      observe(t, 'InternalIPs per node', nodes, (node) => node.internalIPs);
      t.verdict(judgeSelectedNodes(nodes, t.run.cluster.excludedNodes, judgeNodeInternalIps));
    },
  ),
]);

registerArea(NODES);
