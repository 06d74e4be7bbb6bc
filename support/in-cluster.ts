// Where the cluster's credentials come from, decided before anything touches a cluster: a kubeconfig (--kubeconfig,
// $KUBECONFIG, ~/.kube/config), the pod's own ServiceAccount when the suite runs inside the cluster (deploy/job.yaml,
// deploy/sonobuoy-plugin.yaml), else the embedded kind cluster. A kubeconfig wins over the pod's identity, as in kubectl.
import { existsSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { CAPABILITIES, type RunConfig } from './config.ts';
import { ConfigurationError } from '../lib/errors.ts';

export type ClusterSource =
  | { readonly kind: 'kubeconfig'; readonly files: readonly string[] }
  | { readonly kind: 'in-cluster'; readonly server: string }
  | { readonly kind: 'embedded' };

/** A pod has no docker and no network outside the cluster to start the off-cluster client on. */
export const IN_CLUSTER_ABSENCE = 'in-cluster run: no off-cluster client';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export function chooseClusterSource(input: {
  /** --kubeconfig */
  readonly kubeconfig: string | undefined;
  /** --kind */
  readonly embedded: boolean;
  /** $KUBECONFIG's files, else ~/.kube/config when it exists (support/k8s.ts kubeconfigFiles) */
  readonly files: readonly string[];
  readonly env: NodeJS.ProcessEnv;
}): ClusterSource {
  if (input.embedded) return { kind: 'embedded' };
  if (input.kubeconfig !== undefined) return { kind: 'kubeconfig', files: [input.kubeconfig] };
  if (input.files.length > 0) return { kind: 'kubeconfig', files: input.files };
  const host = input.env.KUBERNETES_SERVICE_HOST;
  if (host !== undefined && host !== '') {
    const port = input.env.KUBERNETES_SERVICE_PORT ?? '443';
    return { kind: 'in-cluster', server: `https://${host.includes(':') ? `[${host}]` : host}:${port}` };
  }
  return { kind: 'embedded' };
}

/** The run's configuration for `source`: in a pod, the off-cluster checks are absent (unless --absent said so already). */
export function configFor(config: RunConfig, source: ClusterSource): RunConfig {
  if (source.kind !== 'in-cluster' || config.absent.includes('offcluster-network')) return config;
  return {
    ...config,
    // Catalog order, as parseCli keeps it.
    absent: CAPABILITIES.filter((capability) => capability === 'offcluster-network' || config.absent.includes(capability)),
    absentBecause: { ...config.absentBecause, 'offcluster-network': IN_CLUSTER_ABSENCE },
  };
}

/** The pod's ServiceAccount credentials; a pod without its token (automountServiceAccountToken: false) is a clear error. */
export function loadInClusterConfig(root = ''): KubeConfig {
  const dir = `${root}${SERVICE_ACCOUNT_DIR}`;
  for (const file of ['token', 'ca.crt']) {
    if (!existsSync(`${dir}/${file}`)) {
      throw new ConfigurationError(
        `in-cluster run (KUBERNETES_SERVICE_HOST is set, no kubeconfig) but ${dir}/${file} is missing: ` +
          'the pod needs automountServiceAccountToken: true, or pass --kubeconfig',
      );
    }
  }
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromCluster(root);
  return kubeConfig;
}
