// Cluster variants: which families a kind cluster gets and which comes first.
import { dumpYaml, loadYaml } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectDir } from './paths.ts';

export type IpFamilyMode = 'dual' | 'ipv4' | 'ipv6';
export type Family = 'IPv4' | 'IPv6';

export interface Variant {
  ipFamily: IpFamilyMode;
  primary: Family;
}

/** The families a variant's nodes, pods and Services must have, primary first. */
export function expectedFamilies(v: Variant): Family[] {
  if (v.ipFamily === 'ipv4') return ['IPv4'];
  if (v.ipFamily === 'ipv6') return ['IPv6'];
  return v.primary === 'IPv6' ? ['IPv6', 'IPv4'] : ['IPv4', 'IPv6'];
}

export function variantLabel(v: Variant): string {
  return v.ipFamily === 'dual' ? `dual (${v.primary} primary)` : v.ipFamily;
}

// kind's own defaults per family; the dual ones are listed in kind-config.yaml.
const subnets: Record<Family, { pod: string; service: string }> = {
  IPv4: { pod: '10.244.0.0/16', service: '10.96.0.0/16' },
  IPv6: { pod: 'fd00:10:244::/56', service: 'fd00:10:96::/112' },
};

interface KindConfig {
  networking?: Record<string, unknown>;
  [key: string]: unknown;
}

/** kind-config.yaml with the variant's ipFamily and ranges in the variant's order. */
export function renderKindConfig(v: Variant, base = join(projectDir, 'kind-config.yaml')): string {
  const config = loadYaml<KindConfig>(readFileSync(base, 'utf8'));
  const families = expectedFamilies(v);
  config.networking = {
    ...(config.networking ?? {}),
    ipFamily: v.ipFamily,
    podSubnet: families.map((f) => subnets[f].pod).join(','),
    serviceSubnet: families.map((f) => subnets[f].service).join(','),
  };
  return dumpYaml(config);
}
