// The docker daemon through testcontainers' client. Ryuk (testcontainers' reaper) cannot be pulled here, so it is
// disabled and cleanup is ours (support/offcluster/client.ts, support/offcluster/sweep.ts).
import type { ContainerRuntimeClient } from 'testcontainers';

let runtime: Promise<ContainerRuntimeClient> | undefined;

/** testcontainers' docker client, with Ryuk disabled before testcontainers is first loaded. */
export function runtimeClient(): Promise<ContainerRuntimeClient> {
  runtime ??= (async () => {
    process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
    const { getContainerRuntimeClient } = await import('testcontainers');
    return getContainerRuntimeClient();
  })();
  return runtime;
}

/** 404: the container is already gone; 409: its removal is already in progress. */
export function alreadyGone(error: unknown): boolean {
  const status = (error as { statusCode?: number } | undefined)?.statusCode;
  return status === 404 || status === 409;
}

export async function removeContainer(client: ContainerRuntimeClient, name: string): Promise<void> {
  try {
    await client.container.dockerode.getContainer(name).remove({ force: true, v: true });
  } catch (error) {
    if (!alreadyGone(error)) throw error;
  }
}

/** The docker daemon's clock (`SystemTime` of GET /info): expiries of containers are stamped and judged by it. */
export async function dockerNow(client: ContainerRuntimeClient): Promise<number | undefined> {
  const info = (await client.container.dockerode.info()) as { SystemTime?: unknown };
  return typeof info.SystemTime === 'string' ? parseRfc3339Loose(info.SystemTime) : undefined;
}

/** Docker's SystemTime has nanoseconds and the daemon's zone offset ("2026-11-27T23:49:35.696626111Z"). */
function parseRfc3339Loose(text: string): number | undefined {
  const ms = Date.parse(text.replace(/(\.\d{3})\d+/, '$1'));
  return Number.isNaN(ms) ? undefined : ms;
}
