// Kubernetes clients from KUBECONFIG / ~/.kube/config and --context, and the pre-flight that turns every way a
// configured cluster can be unusable into one clear line (exit 2) instead of a stack trace.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import {
  AppsV1Api,
  AuthorizationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  KubeConfig,
  NetworkingV1Api,
  PatchStrategy,
  setHeaderOptions,
  type V1Pod,
  VersionApi,
  type VersionInfo,
} from '@kubernetes/client-node';
import { boundedKubeConfig, didNotAnswer } from './bounded-kubeconfig.ts';
import { ConfigurationError, describeError, httpStatusOf } from '../lib/errors.ts';
import { timeoutEnvName } from './timeouts.ts';

export interface Clients {
  readonly kubeConfig: KubeConfig;
  readonly contextName: string;
  readonly server: string;
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly discovery: DiscoveryV1Api;
  readonly networking: NetworkingV1Api;
  readonly version: VersionApi;
  readonly custom: CustomObjectsApi;
  readonly authorization: AuthorizationV1Api;
}

/** The kubeconfig files in effect: $KUBECONFIG's list, else ~/.kube/config when it exists, else none. */
export function kubeconfigFiles(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string[] {
  const fromEnv = env.KUBECONFIG;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv.split(path.delimiter).filter((file) => file !== '');
  const fallback = path.join(home, '.kube', 'config');
  return existsSync(fallback) ? [fallback] : [];
}

/** Loads and validates the kubeconfig; any problem is a ConfigurationError naming the file or context. */
export function loadKubeConfig(files: readonly string[], context: string | undefined): KubeConfig {
  if (files.length === 0) throw new ConfigurationError('no kubeconfig: set KUBECONFIG or create ~/.kube/config');
  const loaded = files.map((file) => {
    if (!existsSync(file)) throw new ConfigurationError(`kubeconfig ${file} does not exist (from KUBECONFIG)`);
    const single = new KubeConfig();
    try {
      single.loadFromFile(file);
    } catch (error) {
      const firstLine = describeError(error).split('\n')[0] ?? '';
      throw new ConfigurationError(`kubeconfig ${file} is malformed: ${firstLine}`);
    }
    return single;
  });
  const [merged, ...rest] = loaded as [KubeConfig, ...KubeConfig[]];
  for (const next of rest) {
    try {
      // Like kubectl, the first file's current-context wins.
      merged.mergeConfig(next, true);
    } catch (error) {
      throw new ConfigurationError(`kubeconfig files ${files.join(', ')} conflict: ${describeError(error)}`);
    }
  }
  const where = files.join(path.delimiter);
  const contextName = context ?? merged.getCurrentContext();
  if (!contextName) throw new ConfigurationError(`kubeconfig ${where} has no current-context; pass --context`);
  const contextObject = merged.getContextObject(contextName);
  if (!contextObject) {
    const known = merged.getContexts().map((c) => c.name);
    throw new ConfigurationError(
      `context "${contextName}" not found in kubeconfig ${where} (contexts: ${known.join(', ') || 'none'})`,
    );
  }
  if (!merged.getCluster(contextObject.cluster)) {
    throw new ConfigurationError(`context "${contextName}" names cluster "${contextObject.cluster}", which ${where} lacks`);
  }
  merged.setCurrentContext(contextName);
  return merged;
}

/** Sets (a string) or removes (null) labels of a pod with a JSON merge patch; returns the patched pod. */
export function patchPodLabels(clients: Clients, namespace: string, name: string, labels: Readonly<Record<string, string | null>>): Promise<V1Pod> {
  return clients.core.patchNamespacedPod(
    { namespace, name, body: { metadata: { labels } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}

/** Clients whose every request gives up after `requestTimeoutMs` (support/bounded-kubeconfig.ts), exec included. */
export function makeClients(loaded: KubeConfig, requestTimeoutMs: number): Clients {
  const kubeConfig = boundedKubeConfig(loaded, requestTimeoutMs);
  return {
    kubeConfig,
    contextName: kubeConfig.getCurrentContext(),
    server: kubeConfig.getCurrentCluster()?.server ?? '(unknown server)',
    core: kubeConfig.makeApiClient(CoreV1Api),
    apps: kubeConfig.makeApiClient(AppsV1Api),
    discovery: kubeConfig.makeApiClient(DiscoveryV1Api),
    networking: kubeConfig.makeApiClient(NetworkingV1Api),
    version: kubeConfig.makeApiClient(VersionApi),
    custom: kubeConfig.makeApiClient(CustomObjectsApi),
    authorization: kubeConfig.makeApiClient(AuthorizationV1Api),
  };
}

/** Resolves with the promise, or rejects after `ms` with a message naming what did not answer (and the variable raising the bound). */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string, variable?: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(didNotAnswer(what, ms, variable))), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A permission the suite needs; `optional` ones only hide header details when missing. */
export interface Permission {
  readonly verb: string;
  readonly resource: string;
  readonly subresource?: string;
  readonly group: string;
  readonly namespace?: string;
  /** One object by name (RBAC resourceNames), when the suite reads only that one. */
  readonly name?: string;
  readonly optional?: boolean;
  readonly why: string;
}

/** Everything the suite does against the API, as data: the pre-flight checks it and the RBAC manifest mirrors it. */
export const REQUIRED_PERMISSIONS: readonly Permission[] = [
  { verb: 'list', resource: 'nodes', group: '', why: 'node addressing checks and family detection' },
  { verb: 'create', resource: 'namespaces', group: '', why: 'the two run namespaces' },
  { verb: 'delete', resource: 'namespaces', group: '', why: 'cleanup of the run namespaces' },
  { verb: 'get', resource: 'namespaces', group: '', why: 'waiting for namespace deletion' },
  { verb: 'list', resource: 'namespaces', group: '', why: 'sweeping stale run namespaces' },
  { verb: 'create', resource: 'pods', group: '', why: 'fixture pods' },
  { verb: 'list', resource: 'pods', group: '', why: 'waiting for fixture pods' },
  { verb: 'get', resource: 'pods', group: '', why: 'reading pod addresses' },
  { verb: 'deletecollection', resource: 'pods', group: '', why: 'removing test pods without a grace period at cleanup' },
  { verb: 'patch', resource: 'pods', group: '', why: 'moving a backend in and out of a Service (conn.endpoint-update)' },
  { verb: 'create', resource: 'pods', subresource: 'exec', group: '', why: 'probes from inside pods' },
  { verb: 'get', resource: 'pods', subresource: 'exec', group: '', why: 'probes from inside pods (WebSocket)' },
  { verb: 'get', resource: 'pods', subresource: 'log', group: '', why: 'diagnostics on failure' },
  { verb: 'create', resource: 'services', group: '', why: 'fixture Services' },
  { verb: 'get', resource: 'services', group: '', why: 'reading clusterIPs' },
  { verb: 'delete', resource: 'services', group: '', why: 'deleting the LoadBalancer Services after the checks, also when the namespaces are kept' },
  { verb: 'list', resource: 'endpointslices', group: 'discovery.k8s.io', why: 'EndpointSlice checks' },
  { verb: 'list', resource: 'events', group: '', why: 'diagnostics on failure' },
  { verb: 'list', resource: 'servicecidrs', group: 'networking.k8s.io', optional: true, why: 'service families and every service range' },
  { verb: 'list', resource: 'ipaddresspools', group: 'metallb.io', optional: true, why: 'LB provider detection' },
  { verb: 'get', resource: 'configmaps', group: '', namespace: 'kube-system', name: 'kube-proxy', optional: true, why: 'kube-proxy mode' },
  { verb: 'list', resource: 'daemonsets', group: 'apps', namespace: 'kube-system', optional: true, why: 'CNI name' },
];

export function describePermission(permission: Permission): string {
  const resource = permission.subresource ? `${permission.resource}/${permission.subresource}` : permission.resource;
  const group = permission.group ? `.${permission.group}` : '';
  const scope = permission.namespace ? ` in ${permission.namespace}` : '';
  const name = permission.name ? ` ${permission.name}` : '';
  return `${permission.verb} ${resource}${group}${name}${scope}`;
}

export interface PreflightResult {
  readonly version: VersionInfo;
  /** Optional permissions the identity lacks (header details that will show as "not visible"). */
  readonly missingOptional: readonly Permission[];
}

/** Reachability, then authorization: each failure is one ConfigurationError line naming the context and server. */
export async function preflight(clients: Clients, requestTimeoutMs: number): Promise<PreflightResult> {
  const where = `context "${clients.contextName}" (${clients.server})`;
  let version: VersionInfo;
  try {
    version = await withTimeout(clients.version.getCode(), requestTimeoutMs, 'GET /version', timeoutEnvName('apiRequest'));
  } catch (error) {
    const status = httpStatusOf(error);
    if (status === 401) throw new ConfigurationError(`API server of ${where} rejected the credentials (HTTP 401)`);
    if (status === 403) throw new ConfigurationError(`API server of ${where} forbids this identity (HTTP 403)`);
    throw new ConfigurationError(`API server of ${where} is unreachable: ${describeError(error)}`);
  }
  const reviews = await Promise.all(
    REQUIRED_PERMISSIONS.map(async (permission) => {
      try {
        const review = await withTimeout(
          clients.authorization.createSelfSubjectAccessReview({
            body: {
              apiVersion: 'authorization.k8s.io/v1',
              kind: 'SelfSubjectAccessReview',
              spec: {
                resourceAttributes: {
                  verb: permission.verb,
                  resource: permission.resource,
                  subresource: permission.subresource,
                  group: permission.group,
                  namespace: permission.namespace,
                  name: permission.name,
                },
              },
            },
          }),
          requestTimeoutMs,
          'a SelfSubjectAccessReview',
        );
        return { permission, allowed: review.status?.allowed === true };
      } catch (error) {
        throw new ConfigurationError(`cannot check permissions of ${where}: ${describeError(error)}`);
      }
    }),
  );
  const missing = reviews.filter((review) => !review.allowed).map((review) => review.permission);
  const missingRequired = missing.filter((permission) => !permission.optional);
  if (missingRequired.length > 0) {
    throw new ConfigurationError(
      `${where} is forbidden to ${missingRequired.map(describePermission).join(', ')} (the suite needs these)`,
    );
  }
  return { version, missingOptional: missing.filter((permission) => permission.optional) };
}
