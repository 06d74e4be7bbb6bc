// The start-of-run sweep removes what runs killed without a chance to clean up (SIGKILL, a lost CI runner) left
// behind, and never what a run still going owns. Each run stamps its namespaces at creation with an expiry in the
// API server's time (annotation dualstack-conformance/expires-at, RFC 3339: the server's now plus runTtlMs, far above
// the longest run its timeouts allow); its off-cluster container gets the same label in docker's time. The sweep
// deletes a namespace only when it carries the managed-by label, has a name this suite generates (dsc-<8 [a-z0-9]>
// or dsc-<8>-host) and its expiry is before the server's now; a namespace of an older version without the annotation
// expires at its creationTimestamp plus $DSC_SWEEP_OLDER_THAN (default 1h, at least 10m, "off" disables the sweep).
// Both sides of every comparison are one clock's (the API server's, or docker's for containers), never this host's:
// a skewed client clock cannot make a live run look old. Deletion is started, not awaited.
import type { V1Namespace } from '@kubernetes/client-node';
import { ConfigurationError, describeError, httpStatusOf } from '../lib/errors.ts';
import { withTimeout, type Clients } from './k8s.ts';
import { EXPIRES_AT_KEY, isRunNamespaceName, MANAGED_BY_LABEL, MANAGED_BY_VALUE } from './namespace.ts';
import { parseDuration, type Timeouts } from './timeouts.ts';
import { formatDuration } from '../lib/log.ts';

export const SWEEP_ENV = 'DSC_SWEEP_OLDER_THAN';
export const DEFAULT_SWEEP_OLDER_THAN_MS = 3_600_000;
/**
 * The smallest threshold accepted. It applies to namespaces without an expiry (older versions), whose age is all
 * there is to judge by: a run takes 30-60 s here and 140 s under the worst fault measured, and with the default
 * timeouts each of its waits ends within 2 min, so 10 min leaves a run that is slow several times over alone.
 */
export const MIN_SWEEP_OLDER_THAN_MS = 600_000;
/** The least a run stamps on its namespaces and container: the old sweep's threshold, so both versions agree. */
export const MIN_RUN_TTL_MS = 3_600_000;

/** The sweep threshold in ms, or undefined when the sweep is off; below the minimum is a configuration error. */
export function sweepThreshold(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env[SWEEP_ENV]?.trim();
  if (raw === undefined || raw === '') return DEFAULT_SWEEP_OLDER_THAN_MS;
  if (raw.toLowerCase() === 'off') return undefined;
  const parsed = parseDuration(raw);
  if (parsed === undefined) throw new ConfigurationError(`${SWEEP_ENV}=${raw} is not a duration (use e.g. 1h, 30m) or "off"`);
  if (parsed < MIN_SWEEP_OLDER_THAN_MS) {
    throw new ConfigurationError(
      `${SWEEP_ENV}=${raw} is below the minimum ${formatDuration(MIN_SWEEP_OLDER_THAN_MS)}: a younger namespace may belong to a run still going`,
    );
  }
  return parsed;
}

/**
 * How long after its start a run's namespaces and container may still be in use. Every wait of a run is bounded by
 * the timeouts table and a run waits on each entry a few times at most, so four times their sum (8 min with the
 * defaults) is above any run; it is never less than an hour, and raised timeouts stretch it. The embedded cluster's
 * bound is left out: the cluster is up before anything is stamped.
 */
export function runTtlMs(timeouts: Timeouts): number {
  const sum = Object.entries(timeouts)
    .filter(([name]) => name !== 'clusterUp')
    .reduce((total, [, ms]) => total + ms, 0);
  return Math.max(MIN_RUN_TTL_MS, 4 * sum);
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** An RFC 3339 instant in ms, or undefined for anything else (Date.parse alone accepts far more). */
export function parseRfc3339(text: string | undefined): number | undefined {
  if (text === undefined || !RFC3339.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** An HTTP Date header (IMF-fixdate, "Fri, 27 Nov 2026 23:49:35 GMT") in ms, or undefined. */
export function parseHttpDate(header: string | undefined): number | undefined {
  if (header === undefined || !/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(header)) return undefined;
  const ms = Date.parse(header);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * When a stamped object is past its use: its expiry stamp when it has a valid one, else its creation plus the
 * threshold (objects of older versions); undefined when neither time is known (then it is never swept).
 */
export function expiryOf(stamp: string | undefined, createdMs: number | undefined, thresholdMs: number): number | undefined {
  const stamped = parseRfc3339(stamp);
  if (stamped !== undefined) return stamped;
  return createdMs === undefined || Number.isNaN(createdMs) ? undefined : createdMs + thresholdMs;
}

/** Names of this suite's run namespaces whose expiry is before `serverNowMs`, not already being deleted. */
export function staleNamespaces(namespaces: readonly V1Namespace[], serverNowMs: number, thresholdMs: number): string[] {
  return namespaces
    .filter((namespace) => namespace.metadata?.labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE)
    .filter((namespace) => isRunNamespaceName(namespace.metadata?.name ?? ''))
    .filter((namespace) => namespace.metadata?.deletionTimestamp === undefined)
    .filter((namespace) => {
      const created = namespace.metadata?.creationTimestamp;
      const expiry = expiryOf(namespace.metadata?.annotations?.[EXPIRES_AT_KEY], created === undefined ? undefined : new Date(created).getTime(), thresholdMs);
      return expiry !== undefined && expiry < serverNowMs;
    })
    .map((namespace) => namespace.metadata?.name ?? '')
    .sort();
}

/** The API server's clock, or why it is unknown. */
export type ServerNow = { readonly ms: number; readonly reason?: undefined } | { readonly ms?: undefined; readonly reason: string };

/**
 * The API server's now, from the Date header of a GET /version: every API response carries it (the server's own
 * clock, one-second precision, far finer than any expiry), it needs no permission beyond the pre-flight's, and unlike
 * an object's creationTimestamp it exists before the run has created anything.
 */
export async function serverNow(clients: Clients, requestTimeoutMs: number): Promise<ServerNow> {
  try {
    const response = await withTimeout(clients.version.getCodeWithHttpInfo(), requestTimeoutMs, 'GET /version for the server time');
    const header = response.headers.date;
    const ms = parseHttpDate(header);
    return ms === undefined ? { reason: `the API server's Date header is ${header === undefined ? 'missing' : `"${header}"`}` } : { ms };
  } catch (error) {
    return { reason: `the API server's time could not be read: ${describeError(error)}` };
  }
}

export interface SweepResult {
  readonly thresholdMs: number | undefined;
  /** Why no namespace was judged, when none was. */
  readonly skipped?: string;
  readonly deleted: readonly string[];
  readonly failed: readonly string[];
}

export async function sweepStaleNamespaces(clients: Clients, thresholdMs: number | undefined, now: ServerNow, requestTimeoutMs: number): Promise<SweepResult> {
  if (thresholdMs === undefined) return { thresholdMs, deleted: [], failed: [] };
  if (now.ms === undefined) return { thresholdMs, skipped: `not judged: ${now.reason}`, deleted: [], failed: [] };
  const list = await withTimeout(
    clients.core.listNamespace({ labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}` }),
    requestTimeoutMs,
    'listing namespaces for the sweep',
  );
  const stale = staleNamespaces(list.items, now.ms, thresholdMs);
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

/** What the container half of the sweep did (support/offcluster/). */
export interface ContainerSweepResult {
  readonly skipped?: string;
  readonly removed: readonly string[];
  readonly failed: readonly string[];
}

function outcomeText(done: readonly string[], verb: string, failed: readonly string[], failedVerb: string, skipped: string | undefined): string {
  if (skipped !== undefined) return skipped;
  const parts = [done.length > 0 ? `${verb} ${done.join(', ')}` : '', failed.length > 0 ? `could not ${failedVerb} ${failed.join(', ')}` : ''];
  return parts.filter((part) => part !== '').join('; ') || 'none found';
}

/** The header line: what was swept, and when this run's own namespaces expire. */
export function describeSweep(namespaces: SweepResult, containers: ContainerSweepResult, expiresAt: Date | undefined): string {
  const own = expiresAt ? `; this run's namespaces expire at ${expiresAt.toISOString()} (API server time)` : '; this run\'s namespaces carry no expiry';
  if (namespaces.thresholdMs === undefined) return `Sweep: off (${SWEEP_ENV}=off)${own}`;
  return (
    `Sweep: leftovers past their expiry (unstamped: older than ${formatDuration(namespaces.thresholdMs)}, ${SWEEP_ENV}): ` +
    `namespaces: ${outcomeText(namespaces.deleted, 'deleting', namespaces.failed, 'delete', namespaces.skipped)}; ` +
    `off-cluster containers: ${outcomeText(containers.removed, 'removed', containers.failed, 'remove', containers.skipped)}${own}`
  );
}
