// The container half of the start-of-run sweep: off-cluster client containers of killed runs, judged by docker's
// clock.
import type { ContainerRuntimeClient } from 'testcontainers';
import type { RunConfig } from '../config.ts';
import { describeError } from '../../lib/errors.ts';
import { withTimeout } from '../k8s.ts';
import { EXPIRES_AT_KEY, MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../namespace.ts';
import { expiryOf, type ContainerSweepResult } from '../sweep.ts';
import { OFFCLUSTER_ROLE, OFFCLUSTER_ROLE_LABEL } from './client.ts';
import { oneLine } from './commands.ts';
import { dockerNow, removeContainer, runtimeClient } from './docker.ts';

/** A container as the sweep sees it (docker's list: `Names` with a leading "/", `Created` in seconds). */
export interface ContainerView {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly createdMs: number | undefined;
}

/**
 * Off-cluster client containers of killed runs: this suite's label and role, a name startClient gives, and an expiry
 * (the label, else creation plus the threshold) before docker's now.
 */
export function leftoverContainers(containers: readonly ContainerView[], dockerNowMs: number, thresholdMs: number): string[] {
  return containers
    .filter((container) => container.labels[MANAGED_BY_LABEL] === MANAGED_BY_VALUE && container.labels[OFFCLUSTER_ROLE_LABEL] === OFFCLUSTER_ROLE)
    .filter((container) => /^dsc-offcluster-[a-z0-9]{8}$/.test(container.name))
    .filter((container) => {
      const expiry = expiryOf(container.labels[EXPIRES_AT_KEY], container.createdMs, thresholdMs);
      return expiry !== undefined && expiry < dockerNowMs;
    })
    .map((container) => container.name)
    .sort();
}

/**
 * The container half of the start-of-run sweep. Not looked for when the off-cluster network is declared absent (such
 * a run never touches docker); without docker there is nothing of ours to remove.
 */
export async function sweepOffclusterContainers(config: Pick<RunConfig, 'absent' | 'timeouts'>, thresholdMs: number | undefined): Promise<ContainerSweepResult> {
  if (thresholdMs === undefined) return { removed: [], failed: [] };
  if (config.absent.includes('offcluster-network')) return { skipped: 'not looked for (--absent offcluster-network)', removed: [], failed: [] };
  const bound = config.timeouts.apiRequest;
  let client: ContainerRuntimeClient;
  let now: number | undefined;
  let listed: { Names?: string[]; Labels?: Record<string, string> | null; Created?: number }[];
  try {
    client = await withTimeout(runtimeClient(), bound, 'docker');
    now = await withTimeout(dockerNow(client), bound, 'docker GET /info');
    listed = await withTimeout(
      client.container.dockerode.listContainers({ all: true, filters: { label: [`${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`, `${OFFCLUSTER_ROLE_LABEL}=${OFFCLUSTER_ROLE}`] } }),
      bound,
      'docker container list',
    );
  } catch (error) {
    return { skipped: `none looked for (no docker: ${oneLine(describeError(error))})`, removed: [], failed: [] };
  }
  if (now === undefined) return { skipped: 'not judged (docker reports no SystemTime)', removed: [], failed: [] };
  const views = listed.map((container) => ({
    name: (container.Names?.[0] ?? '').replace(/^\//, ''),
    labels: container.Labels ?? {},
    createdMs: typeof container.Created === 'number' ? container.Created * 1000 : undefined,
  }));
  const outcomes = await Promise.all(
    leftoverContainers(views, now, thresholdMs).map(async (name) => {
      try {
        await withTimeout(removeContainer(client, name), bound, `removal of container ${name}`);
        return { name, error: undefined };
      } catch (error) {
        return { name, error: describeError(error) };
      }
    }),
  );
  return {
    removed: outcomes.filter((o) => o.error === undefined).map((o) => o.name),
    failed: outcomes.filter((o) => o.error !== undefined).map((o) => `${o.name} (${o.error ?? ''})`),
  };
}
