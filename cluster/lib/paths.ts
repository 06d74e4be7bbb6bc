// Where the offline cluster keeps things: caches outside the checkout (lib/paths.ts), so a fresh clone reuses them.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cacheDirOf, PROJECT_ROOT } from '../../lib/paths.ts';

export const clusterDir = join(PROJECT_ROOT, 'cluster');
export const cacheDir = cacheDirOf();
export const clusterRecordsDir = join(cacheDir, 'clusters');
export const hostStateDir = '/etc/dualstack-conformance';
export const defaultClusterName = 'dualstack';

/** Pinned versions, shared with the shell build scripts. */
export function versions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(join(clusterDir, 'versions.env'), 'utf8').split('\n')) {
    const m = line.trim();
    if (!m || m.startsWith('#')) continue;
    const eq = m.indexOf('=');
    if (eq > 0) out[m.slice(0, eq)] = m.slice(eq + 1);
  }
  return out;
}

/** The cache directory of each Go component, as build-binaries.sh names it: keyed by version. */
export function binaryDirs(v: Record<string, string> = versions()): Record<string, string> {
  return {
    kubernetes: `kubernetes-${v.K8S_VERSION}`,
    agnhost: `agnhost-${v.AGNHOST_TAG}-k8s-${v.K8S_VERSION}`,
    etcd: `etcd-${v.ETCD_VERSION}`,
    coredns: `coredns-${v.COREDNS_VERSION}`,
    crictl: `crictl-${v.CRICTL_VERSION}`,
    flannel: `flannel-${v.FLANNEL_VERSION}`,
    kind: `kind-${v.KIND_VERSION}`,
    metallb: `metallb-${v.METALLB_VERSION}`,
    pause: `pause-${v.PAUSE_TAG}`,
  };
}

export function cachedBinary(component: string, name: string): string {
  const dir = binaryDirs()[component];
  if (!dir) throw new Error(`no cached binary directory for ${component}`);
  return join(cacheDir, 'bin', dir, name);
}

/**
 * A cached binary counts only inside a finished entry: build-binaries.sh renames an entry into place with its
 * `.complete` marker, and an entry without one (left by an interrupted build of an older script) is not trusted.
 */
export function cachedBinaryReady(file: string): boolean {
  return existsSync(file) && existsSync(join(dirname(file), '.complete'));
}

/** The cluster's own kubectl once it has been built, else whatever kubectl is on PATH. */
export function kubectlBinary(): string {
  const ours = cachedBinary('kubernetes', 'kubectl');
  return cachedBinaryReady(ours) ? ours : 'kubectl';
}
