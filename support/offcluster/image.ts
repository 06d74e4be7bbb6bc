// The off-cluster client's image: the agnhost image the fixtures run unless named, present in this host's docker or
// pulled in the pre-flight, so a missing image is one configuration error rather than a failure of every check.
import type { ContainerRuntimeClient } from 'testcontainers';
import type { CheckInstance } from '../checks.ts';
import { OFFCLUSTER_IMAGE_SETTING, type RunConfig } from '../config.ts';
import { ConfigurationError, describeError } from '../../lib/errors.ts';
import type { Run } from '../run.ts';
import { timeoutEnvName } from '../timeouts.ts';
import { formatDuration } from '../../lib/log.ts';
import { oneLine } from './commands.ts';
import { runtimeClient } from './docker.ts';
import { offclusterNetwork } from './network.ts';
import { session } from './session.ts';

/** The client image: --offcluster-image / DSC_OFFCLUSTER_IMAGE, else the agnhost image the fixtures run. */
export function offclusterImageOf(config: Pick<RunConfig, 'offclusterImage' | 'images'>): string {
  return config.offclusterImage || config.images.agnhost;
}

/** The one line of a client image that is neither in this host's docker nor pullable (exit 2). */
export function offclusterImageError(image: string, why: string): ConfigurationError {
  return new ConfigurationError(
    `off-cluster client image ${image} is not in this host's docker and cannot be pulled: ${oneLine(why)}; ` +
      `name one this host has with ${OFFCLUSTER_IMAGE_SETTING.flag} (or ${OFFCLUSTER_IMAGE_SETTING.env}), ` +
      `or run without the off-cluster checks with --absent offcluster-network`,
  );
}

/** The first `{"error": ...}` of docker's pull progress stream (one JSON object per line), if any. */
export function pullStreamError(lines: readonly string[]): string | undefined {
  for (const line of lines) {
    try {
      const event = JSON.parse(line) as { error?: unknown; errorDetail?: { message?: unknown } };
      const message = event.errorDetail?.message ?? event.error;
      if (typeof message === 'string' && message !== '') return message;
    } catch {
      // A partial or non-JSON line carries no error.
    }
  }
  return undefined;
}

/** Pulls through the docker API, bounded; rejects with docker's own reason. */
async function pullImage(client: ContainerRuntimeClient, image: string, timeoutMs: number): Promise<void> {
  const docker = client.container.dockerode;
  const stream = await docker.pull(image);
  const lines: string[] = [];
  let pending = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      reject(new Error(`pull did not finish within ${formatDuration(timeoutMs)} (${timeoutEnvName('offclusterStart')})`));
    }, timeoutMs);
    stream.on('data', (chunk: Buffer | string) => {
      const text = pending + chunk.toString();
      const parts = text.split('\n');
      pending = parts.pop() ?? '';
      lines.push(...parts);
    });
    stream.on('error', (error: unknown) => {
      clearTimeout(timer);
      reject(error instanceof Error ? error : new Error(String(error)));
    });
    stream.on('end', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  const error = pullStreamError([...lines, pending]);
  if (error !== undefined) throw new Error(error);
}

/**
 * Makes sure the client image is in this host's docker: present, or pulled (registry users). Returns how it got
 * there, for the header; throws the one-line ConfigurationError otherwise.
 */
async function ensureImage(run: Run): Promise<string> {
  const image = offclusterImageOf(run.config);
  const client = await runtimeClient();
  const docker = client.container.dockerode;
  try {
    await docker.getImage(image).inspect();
    return `${image} (in this host's docker)`;
  } catch (error) {
    if ((error as { statusCode?: number } | undefined)?.statusCode !== 404) {
      throw offclusterImageError(image, `docker cannot inspect it: ${describeError(error)}`);
    }
  }
  const started = Date.now();
  process.stdout.write(`    Off-cluster client image ${image} is not in this host's docker: pulling it\n`);
  try {
    await pullImage(client, image, run.config.timeouts.offclusterStart);
    await docker.getImage(image).inspect();
  } catch (error) {
    throw offclusterImageError(image, describeError(error));
  }
  return `${image} (pulled in ${formatDuration(Date.now() - started)})`;
}

/** The image check, once per run, shared by the pre-flight and the client start. */
export function imageReady(run: Run): Promise<string> {
  const current = session(run);
  current.image ??= ensureImage(run);
  return current.image;
}

/**
 * Pre-flight of the off-cluster client (the CLI calls it after discovery, before the checks): when a selected check
 * needs the client and a network for it is found, the client image must be in this host's docker or be pulled now.
 * A missing image is a ConfigurationError here (exit 2, one line), not a failure of every off-cluster check.
 * Returns what was decided, for the header's "Off-cluster client:" line.
 */
export async function preflightOffclusterImage(run: Run, selected: readonly Pick<CheckInstance, 'skipsWithout'>[]): Promise<string> {
  const image = offclusterImageOf(run.config);
  if (!selected.some((check) => check.skipsWithout.includes('offcluster-network'))) {
    return `not started (no off-cluster check selected); image ${image}`;
  }
  const network = await offclusterNetwork(run);
  if (!network.available) return `not started (${network.reason}); image ${image}`;
  const ready = await imageReady(run);
  return `docker network ${network.network} (${network.how}), image ${ready}`;
}
