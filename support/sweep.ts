// The start-of-run sweep: namespaces this suite labelled (app.kubernetes.io/managed-by=dualstack-conformance) that
// are older than a threshold are left over from runs that were killed without a chance to clean up (SIGKILL, a lost
// CI runner). The threshold ($DSC_SWEEP_OLDER_THAN, default 1h, "off" disables) is far above a run's length, so a
// concurrent run's namespaces are never touched. Deletion is started, not awaited: the run does not wait for it.
import type { V1Namespace } from '@kubernetes/client-node';
import { ConfigurationError, describeError, httpStatusOf } from './errors.ts';
import { withTimeout, type Clients } from './k8s.ts';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from './namespace.ts';
import { formatDuration, parseDuration } from './timeouts.ts';

export const SWEEP_ENV = 'DSC_SWEEP_OLDER_THAN';
export const DEFAULT_SWEEP_OLDER_THAN_MS = 3_600_000;

/** The sweep threshold in ms, or undefined when the sweep is off. */
export function sweepThreshold(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env[SWEEP_ENV]?.trim();
  if (raw === undefined || raw === '') return DEFAULT_SWEEP_OLDER_THAN_MS;
  if (raw.toLowerCase() === 'off') return undefined;
  const parsed = parseDuration(raw);
  if (parsed === undefined) throw new ConfigurationError(`${SWEEP_ENV}=${raw} is not a duration (use e.g. 1h, 30m) or "off"`);
  return parsed;
}

/** Names of this suite's namespaces created more than `thresholdMs` before `now` and not already being deleted. */
export function staleNamespaces(namespaces: readonly V1Namespace[], now: number, thresholdMs: number): string[] {
  return namespaces
    .filter((namespace) => namespace.metadata?.labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE)
    .filter((namespace) => namespace.metadata?.deletionTimestamp === undefined)
    .filter((namespace) => {
      const created = namespace.metadata?.creationTimestamp;
      return created !== undefined && now - new Date(created).getTime() > thresholdMs;
    })
    .map((namespace) => namespace.metadata?.name ?? '')
    .filter((name) => name !== '')
    .sort();
}

export interface SweepResult {
  readonly thresholdMs: number | undefined;
  readonly deleted: readonly string[];
  readonly failed: readonly string[];
}

export async function sweepStaleNamespaces(clients: Clients, thresholdMs: number | undefined, requestTimeoutMs: number): Promise<SweepResult> {
  if (thresholdMs === undefined) return { thresholdMs, deleted: [], failed: [] };
  const list = await withTimeout(
    clients.core.listNamespace({ labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}` }),
    requestTimeoutMs,
    'listing namespaces for the sweep',
  );
  const stale = staleNamespaces(list.items, Date.now(), thresholdMs);
  const outcomes = await Promise.all(
    stale.map(async (name) => {
      try {
        await withTimeout(
          (async () => {
            await clients.core.deleteCollectionNamespacedPod({ namespace: name, gracePeriodSeconds: 0 });
            await clients.core.deleteNamespace({ name, propagationPolicy: 'Background' });
          })(),
          requestTimeoutMs,
          `deletion of namespace ${name}`,
        );
        return { name, error: undefined };
      } catch (error) {
        return httpStatusOf(error) === 404 ? { name, error: undefined } : { name, error: describeError(error) };
      }
    }),
  );
  return {
    thresholdMs,
    deleted: outcomes.filter((o) => o.error === undefined).map((o) => o.name),
    failed: outcomes.filter((o) => o.error !== undefined).map((o) => `${o.name} (${o.error ?? ''})`),
  };
}

/** The header line. */
export function describeSweep(result: SweepResult): string {
  if (result.thresholdMs === undefined) return `Sweep: off (${SWEEP_ENV}=off)`;
  const what = `Sweep: this suite's namespaces older than ${formatDuration(result.thresholdMs)} (${SWEEP_ENV})`;
  const parts = [
    result.deleted.length > 0 ? `deleting ${result.deleted.join(', ')}` : '',
    result.failed.length > 0 ? `could not delete ${result.failed.join(', ')}` : '',
  ].filter((part) => part !== '');
  return `${what}: ${parts.join('; ') || 'none found'}`;
}
