// Where the offline cluster keeps things: caches outside the checkout, so a fresh clone reuses them.
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync, readFileSync } from 'node:fs';

export const clusterDir = dirname(dirname(fileURLToPath(import.meta.url)));
export const projectDir = dirname(clusterDir);
export const cacheDir = process.env.DSC_CACHE ?? join(homedir(), '.cache', 'dualstack-conformance');
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

export function cachedBinary(component: string, name: string): string {
  const v = versions();
  const dirs: Record<string, string> = {
    kubernetes: `kubernetes-${v.K8S_VERSION}`,
    kind: `kind-${v.KIND_VERSION}`,
  };
  const dir = dirs[component];
  if (!dir) throw new Error(`no cached binary directory for ${component}`);
  return join(cacheDir, 'bin', dir, name);
}

/** The cluster's own kubectl once it has been built, else whatever kubectl is on PATH. */
export function kubectlBinary(): string {
  const ours = cachedBinary('kubernetes', 'kubectl');
  return existsSync(ours) ? ours : 'kubectl';
}
