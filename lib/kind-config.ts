// kind's pod and Service ranges, read from the top-level kind-config.yaml: the cluster variants and the CI blackholes
// take them from there, so the ranges are written down once.
import { loadYaml } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ALL_FAMILIES, parseCidr, type IpFamily } from './ip.ts';
import { PROJECT_ROOT } from './paths.ts';

export const KIND_CONFIG_FILE = path.join(PROJECT_ROOT, 'kind-config.yaml');

/** kind's Cluster object, as far as we read or change it; other fields pass through untouched. */
export interface KindConfig {
  networking?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface FamilyRanges {
  readonly pod: string;
  readonly service: string;
}

export function readKindConfig(file = KIND_CONFIG_FILE): KindConfig {
  return loadYaml<KindConfig>(readFileSync(file, 'utf8'));
}

/** The one CIDR of each family in a comma-separated subnet list ("10.244.0.0/16,fd00:10:244::/56"). */
function rangesByFamily(field: string, list: unknown): Record<IpFamily, string> {
  const found: Partial<Record<IpFamily, string>> = {};
  for (const text of typeof list === 'string' ? list.split(',') : []) {
    const parsed = parseCidr(text);
    if (!parsed) throw new Error(`kind-config.yaml: networking.${field} entry "${text}" is not a CIDR`);
    if (found[parsed.family]) throw new Error(`kind-config.yaml: networking.${field} has two ${parsed.family} ranges`);
    found[parsed.family] = parsed.text.trim();
  }
  const missing = ALL_FAMILIES.filter((family) => !found[family]);
  if (missing.length > 0) throw new Error(`kind-config.yaml: networking.${field} has no ${missing.join(' or ')} range (got "${String(list)}")`);
  return found as Record<IpFamily, string>;
}

/** The pod and Service range of each family, from the dual-stack reference config. */
export function kindRanges(config: KindConfig = readKindConfig()): Record<IpFamily, FamilyRanges> {
  const pod = rangesByFamily('podSubnet', config.networking?.podSubnet);
  const service = rangesByFamily('serviceSubnet', config.networking?.serviceSubnet);
  return { IPv4: { pod: pod.IPv4, service: service.IPv4 }, IPv6: { pod: pod.IPv6, service: service.IPv6 } };
}
