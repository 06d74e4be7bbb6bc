// Real-shaped API objects for unit tests: captured from the dual-stack kind cluster (test/data) and variants of
// them with one family removed, as a single-stack cluster would show.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { V1Node, V1Pod, V1Service, V1ServiceCIDR } from '@kubernetes/client-node';
import { familyOf, parseCidr, type IpFamily } from '../lib/ip.ts';

export function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(new URL(`./data/${file}`, import.meta.url), 'utf8')) as T;
}

export function readText(file: string): string {
  return readFileSync(new URL(`./data/${file}`, import.meta.url), 'utf8');
}

export const dualNodes = (): V1Node[] => readJson<V1Node[]>('kind-dual-nodes.json');
export const dualServiceCidr = (): V1ServiceCIDR => readJson<V1ServiceCIDR>('kind-dual-servicecidr.json');
export const pod01 = (): V1Pod => readJson<V1Pod>('pod01.json');

/** A node as a cluster of one family shows it: podCIDRs and InternalIPs of the other family removed. */
export function onlyFamily(node: V1Node, family: IpFamily): V1Node {
  const podCIDRs = (node.spec?.podCIDRs ?? []).filter((cidr) => parseCidr(cidr)?.family === family);
  return {
    ...node,
    spec: { ...node.spec, podCIDRs, podCIDR: podCIDRs[0] },
    status: {
      ...node.status,
      addresses: (node.status?.addresses ?? []).filter((a) => a.type !== 'InternalIP' || familyOf(a.address) === family),
    },
  };
}

export function podWithIps(pod: V1Pod, podIPs: string[], hostIPs?: string[]): V1Pod {
  return {
    ...pod,
    status: {
      ...pod.status,
      podIP: podIPs[0],
      podIPs: podIPs.map((ip) => ({ ip })),
      ...(hostIPs ? { hostIP: hostIPs[0], hostIPs: hostIPs.map((ip) => ({ ip })) } : {}),
    },
  };
}

export function service(name: string, spec: V1Service['spec'], namespace = 'dsc-test'): V1Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec };
}

/** A Service as the API server allocated it: its policy, ipFamilies and clusterIPs (clusterIP is the first). */
export function allocatedService(name: string, policy: string, ipFamilies: IpFamily[], clusterIPs: string[]): V1Service {
  return service(name, { ipFamilyPolicy: policy, ipFamilies, clusterIP: clusterIPs[0], clusterIPs });
}

/**
 * A temporary directory for one describe block, removed after it; `write` puts a file there and returns its name
 * (what fixture loading takes).
 */
export function scratchDirectory(prefix: string): { readonly directory: string; readonly write: (file: string, text: string) => string } {
  const directory = mkdtempSync(path.join(tmpdir(), prefix));
  after(() => rmSync(directory, { recursive: true, force: true }));
  const write = (file: string, text: string): string => {
    writeFileSync(path.join(directory, file), text);
    return file;
  };
  return { directory, write };
}
