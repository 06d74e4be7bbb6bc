// Cluster variants: which families a kind cluster gets and which comes first.
import { dumpYaml } from '@kubernetes/client-node';
import type { IpFamily } from '../../lib/ip.ts';
import { kindRanges, readKindConfig } from '../../lib/kind-config.ts';

export type IpFamilyMode = 'dual' | 'ipv4' | 'ipv6';

export interface Variant {
  ipFamily: IpFamilyMode;
  primary: IpFamily;
}

/** The families a variant's nodes, pods and Services must have, primary first. */
export function expectedFamilies(v: Variant): IpFamily[] {
  if (v.ipFamily === 'ipv4') return ['IPv4'];
  if (v.ipFamily === 'ipv6') return ['IPv6'];
  return v.primary === 'IPv6' ? ['IPv6', 'IPv4'] : ['IPv4', 'IPv6'];
}

export function variantLabel(v: Variant): string {
  return v.ipFamily === 'dual' ? `dual (${v.primary} primary)` : v.ipFamily;
}

/** kind-config.yaml with the variant's ipFamily and, of its dual-stack ranges, the variant's in the variant's order. */
export function renderKindConfig(v: Variant, config = readKindConfig()): string {
  const subnets = kindRanges(config);
  const families = expectedFamilies(v);
  config.networking = {
    ...(config.networking ?? {}),
    ipFamily: v.ipFamily,
    podSubnet: families.map((f) => subnets[f].pod).join(','),
    serviceSubnet: families.map((f) => subnets[f].service).join(','),
  };
  return dumpYaml(config);
}
