// Node judgements: podCIDRs and InternalIPs of each selected node.
import { describeExcludedNodes, noNodeSelected, type ExcludedNode, type NodeAddressing } from '../families.ts';
import { formatList } from '../../lib/ip.ts';
import { prefixed } from './problems.ts';

/**
 * Runs a node judgement over the selected nodes. With none selected that is the failure, naming every excluded node;
 * otherwise any failure ends with the excluded nodes, so nobody reads it as a verdict on them.
 */
export function judgeSelectedNodes(
  nodes: readonly NodeAddressing[],
  excluded: readonly ExcludedNode[],
  judge: (node: NodeAddressing) => string[],
): string[] {
  if (nodes.length === 0) return [noNodeSelected(excluded)];
  const problems = nodes.flatMap(judge);
  return problems.length === 0 || excluded.length === 0 ? problems : [...problems, describeExcludedNodes(excluded)];
}

export function judgeNodePodCidrFamilies(node: NodeAddressing): string[] {
  const problems = node.invalid.filter((text) => text.startsWith('podCIDRs'));
  for (const family of ['IPv4', 'IPv6'] as const) {
    const count = node.podCidrsByFamily[family].length;
    if (count === 0) problems.push(`no ${family} block`);
    if (count > 1) problems.push(`${count} ${family} blocks, expected one`);
  }
  return prefixed(`node ${node.name}: spec.podCIDRs=${formatList(node.podCIDRs)}`, problems);
}

export function judgeNodePodCidrFirst(node: NodeAddressing): string[] {
  const first = node.podCIDRs[0];
  if (node.podCIDR === first) return [];
  return [`node ${node.name}: spec.podCIDR=${node.podCIDR ?? '<unset>'} but spec.podCIDRs[0]=${first ?? '<none>'}`];
}

export function judgeNodeInternalIps(node: NodeAddressing): string[] {
  const problems = node.invalid.filter((text) => text.startsWith('InternalIP'));
  for (const family of ['IPv4', 'IPv6'] as const) {
    if (node.internalIpsByFamily[family].length === 0) problems.push(`no ${family} InternalIP`);
  }
  return prefixed(`node ${node.name}: InternalIPs=${formatList(node.internalIPs)}`, problems);
}
