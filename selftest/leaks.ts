// Leak check: every namespace and every container on the kind docker network, whatever their labels, compared
// with a snapshot taken before the run. Namespaces still Terminating get a bounded wait.
import { kubectlBinary } from '../cluster/lib/paths.ts';
import { runSync, runSyncText } from '../lib/process.ts';

export interface Snapshot {
  namespaces: Set<string>;
  containers: Set<string>;
}

function namespaces(kubeconfig: string): Set<string> {
  const out = runSyncText(kubectlBinary(), ['--kubeconfig', kubeconfig, 'get', 'namespaces', '-o', 'jsonpath={.items[*].metadata.name}'], { timeoutMs: 60_000 });
  return new Set(out.split(/\s+/).filter(Boolean));
}

export function kindNetworkContainers(): Set<string> {
  const r = runSync('docker', ['network', 'inspect', 'kind', '--format', '{{range .Containers}}{{.Name}} {{end}}'], { timeoutMs: 60_000 });
  return new Set(r.status === 0 ? r.stdout.split(/\s+/).filter(Boolean) : []);
}

export async function snapshot(kubeconfig: string): Promise<Snapshot> {
  return { namespaces: namespaces(kubeconfig), containers: kindNetworkContainers() };
}

export async function leaksSince(before: Snapshot, kubeconfig: string, waitMs = 120_000): Promise<string[]> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const extraNs = [...namespaces(kubeconfig)].filter((n) => !before.namespaces.has(n));
    const extraContainers = [...kindNetworkContainers()].filter((c) => !before.containers.has(c));
    if ((extraNs.length === 0 && extraContainers.length === 0) || Date.now() > deadline) {
      return [
        ...extraNs.map((n) => `namespace ${n} still exists ${waitMs / 1000} s after the run`),
        ...extraContainers.map((c) => `container ${c} is still on the kind network`),
      ];
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
}
