// The off-cluster client: a container on the docker network the nodes are on, started with testcontainers, from
// which node and LoadBalancer addresses are probed the way a user outside the cluster reaches them. Cleanup is ours
// (support/offcluster/docker.ts): the container has a name derived from the run id, its removal is registered in the
// run's cleanup registry before it is created (and so runs on SIGINT/SIGTERM too), and the root `after` hook stops it
// when the checks are done. It is labelled with an expiry in docker's own time, so the start-of-run sweep removes a
// killed run's container like its namespaces (support/offcluster/sweep.ts).
import type { StartedTestContainer } from 'testcontainers';
import type { IpFamily } from '../../lib/ip.ts';
import { EXPIRES_AT_KEY, MANAGED_BY_LABEL, MANAGED_BY_VALUE, RUN_ID_LABEL } from '../namespace.ts';
import type { Run } from '../run.ts';
import { runTtlMs } from '../sweep.ts';
import { waitsInterrupted } from '../../lib/wait.ts';
import { alreadyGone, dockerNow, removeContainer, runtimeClient } from './docker.ts';
import { imageReady, offclusterImageOf } from './image.ts';
import { offclusterNetwork } from './network.ts';
import { existingSession, session, type OffclusterClient } from './session.ts';

export const OFFCLUSTER_ROLE_LABEL = 'dualstack-conformance/role';
export const OFFCLUSTER_ROLE = 'offcluster-client';

export function offclusterContainerName(runId: string): string {
  return `dsc-offcluster-${runId}`;
}

async function startClient(run: Run, network: { network: string; subnets: readonly string[] }): Promise<{ client: OffclusterClient; started: StartedTestContainer }> {
  const runtimeHandle = await runtimeClient();
  const name = offclusterContainerName(run.namespaces.runId);
  await imageReady(run);
  // Without docker's time the container carries no expiry; a later sweep then ages it by its creation.
  const now = await dockerNow(runtimeHandle).catch(() => undefined);
  const expiry: Record<string, string> = now === undefined ? {} : { [EXPIRES_AT_KEY]: new Date(now + runTtlMs(run.config.timeouts)).toISOString() };
  const image = offclusterImageOf(run.config);
  const { GenericContainer, Wait } = await import('testcontainers');
  // After SIGINT/SIGTERM the cleanup registry may already have run: create nothing any more.
  if (waitsInterrupted()) throw new Error('interrupted before the off-cluster client was started');
  const container = new GenericContainer(image)
    .withName(name)
    .withNetworkMode(network.network)
    .withLabels({ [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [RUN_ID_LABEL]: run.namespaces.runId, [OFFCLUSTER_ROLE_LABEL]: OFFCLUSTER_ROLE, ...expiry })
    // The probes' tools, checked once here so a wrong --offcluster-image says so instead of failing each probe.
    .withWaitStrategy(Wait.forSuccessfulCommand('command -v wget && command -v timeout && command -v nslookup'))
    .withStartupTimeout(run.config.timeouts.offclusterStart);
  // agnhost's own entrypoint (`agnhost pause`) keeps it running; any other image is kept up by `sleep`.
  if (image !== run.config.images.agnhost) container.withEntrypoint(['sleep']).withCommand(['2147483647']);
  const starting = container.start();
  // Removal is registered before the create request settles (and waits for it), so an interrupt mid-start leaves
  // nothing behind; after a normal stop it finds the container gone.
  run.cleanup.register(`off-cluster client container ${name}`, async () => {
    await Promise.race([starting.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, run.config.timeouts.offclusterStart).unref())]);
    await removeContainer(runtimeHandle, name);
  }, 'docker');
  const started = await starting;
  const inspect = await runtimeHandle.container.dockerode.getContainer(started.getId()).inspect();
  const settings = inspect.NetworkSettings.Networks[network.network];
  const addresses: Record<IpFamily, string | undefined> = {
    IPv4: settings?.IPAddress || undefined,
    IPv6: settings?.GlobalIPv6Address || undefined,
  };
  const client: OffclusterClient = { container: name, image, network: network.network, subnets: network.subnets, addresses };
  const shown = [addresses.IPv4, addresses.IPv6].filter((address) => address !== undefined).join(', ') || 'no address';
  process.stdout.write(`    Off-cluster client: container ${name} (${image}) on docker network ${network.network} (${shown})\n`);
  return { client, started };
}

/** The run's client container, started once (concurrently with whatever asks first). */
export async function offclusterClient(run: Run): Promise<OffclusterClient> {
  const current = session(run);
  if (current.stopped) throw new Error('the off-cluster client was already stopped');
  current.client ??= (async () => {
    const network = await offclusterNetwork(run);
    if (!network.available) throw new Error(network.reason);
    return startClient(run, network);
  })();
  return (await current.client).client;
}

/** Starts detection and the client in the background, so the container is up by the time the checks need it. */
export function warmOffcluster(run: Run): void {
  void offclusterNetwork(run).then((network) => (network.available ? offclusterClient(run).catch(() => undefined) : undefined));
}

/** Stops and removes the client (root `after` hook); the cleanup registry is the backstop. */
export async function stopOffclusterClient(run: Run): Promise<void> {
  const current = existingSession(run);
  if (!current?.client || current.stopped) return;
  current.stopped = true;
  const started = await current.client.then((value) => value.started).catch(() => undefined);
  // Kill at once: the client holds no state, and `sleep` as PID 1 (a custom image) would ignore SIGTERM anyway.
  // Gone already when SIGINT/SIGTERM's cleanup removed it first.
  if (started) await started.stop({ timeout: 0, remove: true }).catch((error: unknown) => (alreadyGone(error) ? undefined : Promise.reject(error)));
}
