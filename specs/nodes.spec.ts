// The page's "Validate node addressing": every selected node (Ready, schedulable, Linux, not virtual) gets one pod
// CIDR and one InternalIP per family. Excluded nodes are listed, never judged.
import { check, type CheckContext } from '../support/check.ts';
import { describeExcludedNodes, nodeAddressing, type NodeAddressing } from '../support/families.ts';
import { judgeNodeInternalIps, judgeNodePodCidrFamilies, judgeNodePodCidrFirst, judgeSelectedNodes } from '../support/judgements/nodes.ts';
import { currentRun } from '../support/run.ts';

describe('Nodes: every node is addressed in both families', function () {
  const selected = () => currentRun().cluster.selectedNodes.map(nodeAddressing);
  const excluded = () => currentRun().cluster.excludedNodes;
  const noNodeIpamReason = 'no node has spec.podCIDRs: node IPAM is off (the CNI allocates pod addresses itself)';

  /** Attaches the per-node values, and the excluded nodes when there are any. */
  function observe(t: CheckContext, title: string, nodes: readonly NodeAddressing[], pick: (node: NodeAddressing) => unknown): void {
    t.observe(title, Object.fromEntries(nodes.map((node) => [node.name, pick(node)])));
    const text = describeExcludedNodes(excluded());
    if (text !== '') t.observe('nodes not judged', text);
  }

  /** Skips for node IPAM only when there are selected nodes and none of them has podCIDRs. */
  function skipWithoutNodeIpam(t: CheckContext, nodes: readonly NodeAddressing[]): void {
    if (nodes.length === 0 || nodes.some((node) => node.podCIDRs.length > 0)) return;
    const text = describeExcludedNodes(excluded());
    t.skip('node-ipam', text === '' ? noNodeIpamReason : `${noNodeIpamReason}; ${text}`);
  }

  check('node.podcidrs.families', function (t) {
    const nodes = selected();
    observe(t, 'spec.podCIDRs per node', nodes, (node) => node.podCIDRs);
    skipWithoutNodeIpam(t, nodes);
    t.verdict(judgeSelectedNodes(nodes, excluded(), judgeNodePodCidrFamilies));
  });

  check('node.podcidr.first', function (t) {
    const nodes = selected();
    observe(t, 'spec.podCIDR / spec.podCIDRs per node', nodes, (node) => ({ podCIDR: node.podCIDR, podCIDRs: node.podCIDRs }));
    skipWithoutNodeIpam(t, nodes);
    t.verdict(judgeSelectedNodes(nodes, excluded(), judgeNodePodCidrFirst));
  });

  check('node.internalip.families', function (t) {
    const nodes = selected();
    observe(t, 'InternalIPs per node', nodes, (node) => node.internalIPs);
    t.verdict(judgeSelectedNodes(nodes, excluded(), judgeNodeInternalIps));
  });
});
