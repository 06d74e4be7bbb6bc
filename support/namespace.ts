// Two namespaces per run, in the manner of the Kubernetes e2e framework: generated names, labels saying who made
// them and for which run, Pod Security `restricted` enforced on the main one and `privileged` only on `<run>-host`
// (hostNetwork pods), and an annotation saying until when the run may use them (support/sweep.ts). Deletion is
// registered before creation.
import { randomBytes } from 'node:crypto';
import type { V1Namespace } from '@kubernetes/client-node';
import type { CleanupRegistry } from './cleanup.ts';
import { httpStatusOf } from '../lib/errors.ts';
import { withTimeout, type Clients } from './k8s.ts';
import { waitFor } from '../lib/wait.ts';
import { timeoutEnvName } from './timeouts.ts';

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'dualstack-conformance';
export const RUN_ID_LABEL = 'dualstack-conformance/run-id';
/** RFC 3339 instant after which the sweep may delete the object: an annotation on namespaces, a label on containers. */
export const EXPIRES_AT_KEY = 'dualstack-conformance/expires-at';

export interface RunNamespaces {
  readonly runId: string;
  /** Pod Security `restricted`: every fixture pod except hostNetwork ones. */
  readonly main: string;
  /** Pod Security `privileged`: hostNetwork pods only. */
  readonly host: string;
}

/** A short random id; namespace names built from it stay valid DNS labels and never collide between runs. */
export function newRunId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(8)].map((byte) => alphabet[byte % alphabet.length]).join('');
}

/** Exactly the names runNamespaceNames gives (an id of newRunId): nothing else is ever swept. */
export function isRunNamespaceName(name: string): boolean {
  return /^dsc-[a-z0-9]{8}(-host)?$/.test(name);
}

export function runNamespaceNames(runId: string): RunNamespaces {
  const main = `dsc-${runId}`;
  return { runId, main, host: `${main}-host` };
}

/** `expiresAt`: the API server's now plus the run's TTL; absent when the server's time is unknown. */
export function namespaceManifests(names: RunNamespaces, expiresAt?: Date): { main: V1Namespace; host: V1Namespace } {
  const labels = (level: 'restricted' | 'privileged'): Record<string, string> => ({
    [MANAGED_BY_LABEL]: MANAGED_BY_VALUE,
    [RUN_ID_LABEL]: names.runId,
    'pod-security.kubernetes.io/enforce': level,
    'pod-security.kubernetes.io/enforce-version': 'latest',
    'pod-security.kubernetes.io/warn': level,
    'pod-security.kubernetes.io/audit': level,
  });
  const annotations = expiresAt ? { annotations: { [EXPIRES_AT_KEY]: expiresAt.toISOString() } } : {};
  return {
    main: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: names.main, labels: labels('restricted'), ...annotations } },
    host: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: names.host, labels: labels('privileged'), ...annotations } },
  };
}

export async function createRunNamespaces(
  clients: Clients,
  names: RunNamespaces,
  cleanup: CleanupRegistry,
  deletionTimeoutMs: number,
  requestTimeoutMs: number,
  expiresAt?: Date,
): Promise<void> {
  const { main, host } = namespaceManifests(names, expiresAt);
  const manifests = [main, host];
  const creations = new Map<string, Promise<unknown>>();
  // Registered before any request is sent, as one action deleting both namespaces concurrently (each deletion
  // takes seconds). A deletion racing a creation first lets the creation settle, so an interrupt mid-request
  // cannot leave a namespace behind.
  cleanup.register(`delete namespaces ${names.main} and ${names.host}`, async () => {
    await Promise.all(
      manifests.map(async (manifest) => {
        const name = manifest.metadata?.name ?? '';
        const creation = creations.get(name);
        if (creation) await withTimeout(creation, requestTimeoutMs, `creation of namespace ${name}`).catch(() => undefined);
        await deleteNamespace(clients, name, deletionTimeoutMs);
      }),
    );
  });
  await Promise.all(
    manifests.map((manifest) => {
      const creation = clients.core.createNamespace({ body: manifest });
      creations.set(manifest.metadata?.name ?? '', creation);
      return creation;
    }),
  );
}

/** Deletes a namespace and waits, bounded, until it is gone; a namespace that never existed is fine. */
export async function deleteNamespace(clients: Clients, name: string, timeoutMs: number): Promise<void> {
  try {
    // Test pods hold no state: removing them without a grace period spares the namespace controller waiting for
    // each kubelet to confirm termination (measured on kind: 11.5 s -> 5.9 s per namespace).
    await clients.core.deleteCollectionNamespacedPod({ namespace: name, gracePeriodSeconds: 0 });
    await clients.core.deleteNamespace({ name, propagationPolicy: 'Background' });
  } catch (error) {
    if (httpStatusOf(error) === 404) return;
    throw error;
  }
  await waitFor({
    what: `namespace ${name} to be deleted`,
    timeoutMs,
    raise: timeoutEnvName('namespaceDeletion'),
    interruptible: false,
    progress: true,
    observe: async () => {
      try {
        const namespace = await clients.core.readNamespace({ name });
        return { gone: false, phase: namespace.status?.phase ?? 'unknown' };
      } catch (error) {
        if (httpStatusOf(error) === 404) return { gone: true, phase: 'gone' };
        throw error;
      }
    },
    isDone: (state) => state.gone,
    describe: (state) => `namespace ${name} ${state.phase}`,
  });
}
