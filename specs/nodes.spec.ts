// The page's "Validate node addressing": every node gets one pod CIDR and one InternalIP per family.
import { check } from '../support/check.ts';
import { nodeAddressing } from '../support/families.ts';
import { judgeNodeInternalIps, judgeNodePodCidrFamilies, judgeNodePodCidrFirst } from '../support/judgements.ts';
import { currentRun } from '../support/run.ts';

describe('Nodes: every node is addressed in both families', function () {
  const nodes = () => currentRun().cluster.nodes.map(nodeAddressing);
  const noNodeIpamReason = 'no node has spec.podCIDRs: node IPAM is off (the CNI allocates pod addresses itself)';

  check('node.podcidrs.families', function (t) {
    const observed = nodes();
    t.observe('spec.podCIDRs per node', Object.fromEntries(observed.map((node) => [node.name, node.podCIDRs])));
    if (observed.every((node) => node.podCIDRs.length === 0)) t.skip('node-ipam', noNodeIpamReason);
    t.verdict(observed.flatMap(judgeNodePodCidrFamilies));
  });

  check('node.podcidr.first', function (t) {
    const observed = nodes();
    t.observe('spec.podCIDR / spec.podCIDRs per node', Object.fromEntries(observed.map((node) => [node.name, { podCIDR: node.podCIDR, podCIDRs: node.podCIDRs }])));
    if (observed.every((node) => node.podCIDRs.length === 0)) t.skip('node-ipam', noNodeIpamReason);
    t.verdict(observed.flatMap(judgeNodePodCidrFirst));
  });

  check('node.internalip.families', function (t) {
    const observed = nodes();
    t.observe('InternalIPs per node', Object.fromEntries(observed.map((node) => [node.name, node.internalIPs])));
    t.verdict(observed.flatMap(judgeNodeInternalIps));
  });
});
