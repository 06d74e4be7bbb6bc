// How a run reaches its cluster: the user's kubeconfig files, the pod's ServiceAccount, or, given neither, the
// embedded dual-stack kind cluster, brought up (or reused) by the repository's own `npm run cluster:up`.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../lib/paths.ts';
import { runProcess, runSync } from '../../lib/process.ts';
import type { RunConfig } from '../config.ts';
import type { ClusterSource } from '../in-cluster.ts';
import { ConfigurationError } from '../../lib/errors.ts';
import { phase } from '../phase.ts';
import type { RunControl } from './control.ts';

export interface ClusterAccess {
  readonly kubeconfigFiles: readonly string[];
  readonly context: string | undefined;
  readonly inCluster: boolean;
}

export async function clusterAccess(source: ClusterSource, config: RunConfig, control: RunControl): Promise<ClusterAccess> {
  if (source.kind === 'embedded') {
    // The embedded kubeconfig has one context; the user's --context names one of their own clusters.
    return { kubeconfigFiles: [await embeddedClusterKubeconfig(config, control)], context: undefined, inCluster: false };
  }
  return { kubeconfigFiles: source.kind === 'kubeconfig' ? source.files : [], context: config.context, inCluster: source.kind === 'in-cluster' };
}

/** Brings up (or reuses) the embedded cluster; returns its kubeconfig. */
async function embeddedClusterKubeconfig(config: RunConfig, control: RunControl): Promise<string> {
  if (!existsSync(path.join(PROJECT_ROOT, 'cluster', 'cluster.ts'))) {
    throw new ConfigurationError(
      'no kubeconfig ($KUBECONFIG, ~/.kube/config) and the embedded kind cluster comes only with a checkout of the repository: pass --kubeconfig <file> (or run it in the cluster: deploy/job.yaml)',
    );
  }
  const kubeconfig = path.join(config.cacheDir, 'kubeconfig-dualstack');
  if (runSync('docker', ['info'], { timeoutMs: 20_000 }).status !== 0) {
    throw new ConfigurationError(
      'the embedded kind cluster needs Docker, which is not available: run `npm run host:prepare` (or point KUBECONFIG at a cluster)',
    );
  }
  phase('cluster-up');
  // Two runs that both need the embedded cluster: the second waits for the first's `up` instead of failing.
  const wait = String(Math.ceil(config.timeouts.clusterUp / 1000));
  const args = ['run', '--silent', 'cluster:up', '--', '--name', 'dualstack', '--kubeconfig', kubeconfig, '--wait-lock', wait];
  process.stderr.write(`embedded cluster: npm run cluster:up -- --name dualstack --kubeconfig ${kubeconfig}\n`);
  const code = await runClusterUp(args, config, control);
  if (code !== 0) {
    throw new ConfigurationError(`the embedded cluster did not come up (npm run cluster:up exited ${code ?? 'abnormally'}; its output is above)`);
  }
  return kubeconfig;
}

/**
 * `npm <args>` in its own process group, its output on stderr (stdout stays the suite's report), stopped with SIGTERM
 * to the group after the cluster-up bound, so cluster:up can clean up after itself; a signal or a crash of ours
 * reaches the group through control.childGroup.
 */
async function runClusterUp(args: readonly string[], config: RunConfig, control: RunControl): Promise<number | null> {
  const finished = await runProcess('npm', args, {
    cwd: PROJECT_ROOT,
    output: 'stderr',
    env: { ...process.env, DSC_CACHE: config.cacheDir },
    detached: true,
    timeoutMs: config.timeouts.clusterUp,
    timeoutSignal: 'SIGTERM',
    onSpawn: (pid) => (control.childGroup = pid > 0 ? pid : undefined),
  });
  control.childGroup = undefined;
  return finished.code === 127 && finished.pid < 0 ? null : finished.code;
}
