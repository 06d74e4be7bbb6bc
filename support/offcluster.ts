// The off-cluster client: a container on the docker network the nodes are on (kind's `kind` network), started with
// testcontainers, from which node and LoadBalancer addresses are probed the way a user outside the cluster reaches
// them. Ryuk (testcontainers' reaper) cannot be pulled here, so it is disabled and cleanup is ours: the container
// has a name derived from the run id, its removal is registered in the run's cleanup registry before it is created
// (and so runs on SIGINT/SIGTERM too), and the root `after` hook stops it when the checks are done.
// Off-cluster probes target only addresses inside the network's subnets and never the cluster's pod or Service
// CIDRs (judgeOffclusterTarget).
import type { V1Node } from '@kubernetes/client-node';
import type { ContainerRuntimeClient, StartedTestContainer } from 'testcontainers';
import { describeError } from './errors.ts';
import { nodeAddressing } from './families.ts';
import { cidrContains, familyOf, parseCidr, parseIp, sameAddress, type IpFamily } from './ip.ts';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, RUN_ID_LABEL } from './namespace.ts';
import { formatProbeLine, retryProbe, type ProbeDestination, type ProbeOutcome } from './probes.ts';
import type { Run } from './run.ts';
import { formatDuration } from './timeouts.ts';
import { waitsInterrupted } from './wait.ts';

/** The default client image: built by cluster:image, so present wherever the offline kind cluster is. */
export const OFFCLUSTER_IMAGE_REPOSITORY = 'dualstack-conformance/node-base';
export const OFFCLUSTER_ROLE_LABEL = 'dualstack-conformance/role';
export const OFFCLUSTER_SOURCE_NAME = 'offcluster';

export type OffclusterNetwork =
  | { readonly available: true; readonly network: string; readonly subnets: readonly string[]; readonly how: string }
  /** `declared`: the user named the network (--offcluster-network), so its absence fails rather than skips. */
  | { readonly available: false; readonly declared: boolean; readonly reason: string };

/** A docker network as far as the detection needs it. */
export interface DockerNetworkView {
  readonly name: string;
  readonly subnets: readonly string[];
  /** Attached containers with their addresses (docker reports "172.18.0.2/16"; prefixes are ignored). */
  readonly containers: readonly { readonly name: string; readonly addresses: readonly string[] }[];
}

function withoutPrefix(address: string): string {
  const slash = address.indexOf('/');
  return slash < 0 ? address : address.slice(0, slash);
}

/**
 * The docker network on which every node is a container: one whose attached containers hold an InternalIP of each
 * node. Pure, so the kind and not-kind cases are unit-tested.
 */
export function networkOfNodes(
  nodes: readonly V1Node[],
  networks: readonly DockerNetworkView[],
): { readonly network: string; readonly subnets: readonly string[]; readonly how: string } | { readonly reason: string } {
  const addressing = nodes.map(nodeAddressing);
  if (addressing.length === 0) return { reason: 'the cluster has no nodes' };
  for (const network of networks) {
    const matched = addressing.map((node) =>
      network.containers.find((container) =>
        container.addresses.some((address) => node.internalIPs.some((ip) => sameAddress(withoutPrefix(address), ip))),
      ),
    );
    if (matched.every((container) => container !== undefined)) {
      const pairs = addressing.map((node, index) => `${node.name}=${matched[index]?.name ?? '?'}`);
      return { network: network.name, subnets: network.subnets, how: `the nodes are containers on it (${pairs.join(', ')})` };
    }
  }
  const ips = addressing.map((node) => `${node.name} ${node.internalIPs.join(',') || '(no InternalIP)'}`);
  return {
    reason: `the nodes are not containers on a docker network of this host (no network holds their InternalIPs: ${ips.join('; ')}); name one with --offcluster-network`,
  };
}

/**
 * Why an off-cluster probe must not be sent to this address, or undefined when it may: it must lie inside a subnet of
 * the client's docker network and outside every pod and Service CIDR of the cluster.
 */
export function judgeOffclusterTarget(address: string, subnets: readonly string[], clusterCidrs: readonly string[]): string | undefined {
  const parsed = parseIp(address);
  if (!parsed || parsed.zoneId !== undefined || parsed.ipv4Mapped) return `${address} is no plain IP address: not probed from off-cluster`;
  const forbidden = clusterCidrs.find((cidr) => cidrContains(cidr, address));
  if (forbidden !== undefined) return `${address} lies in the cluster's CIDR ${forbidden}: never probed from off-cluster`;
  if (!subnets.some((subnet) => parseCidr(subnet) !== undefined && cidrContains(subnet, address))) {
    return `${address} is outside the off-cluster network's subnets [${subnets.join(', ')}]: not probed from off-cluster`;
  }
  return undefined;
}

/** Splits a raw HTTP/1.x response into its status code and body. */
export function parseHttpResponse(raw: string): { status: number | undefined; body: string } {
  const separator = raw.indexOf('\r\n\r\n');
  const head = separator < 0 ? raw : raw.slice(0, separator);
  const body = separator < 0 ? '' : raw.slice(separator + 4);
  const match = /^HTTP\/\d(?:\.\d)? (\d{3})/.exec(head);
  return { status: match?.[1] !== undefined ? Number(match[1]) : undefined, body };
}

/**
 * The shell-free part of an off-cluster GET: bash's /dev/tcp (the image has no curl), the address and port passed
 * as arguments (never interpolated into the script); bash takes IPv6 there without brackets.
 */
export function httpGetCommand(address: string, port: number, timeoutSeconds: number): string[] {
  const script = 'exec 3<>"/dev/tcp/$0/$1" || exit 7; printf \'GET /hostname HTTP/1.0\\r\\n\\r\\n\' >&3; cat <&3';
  return ['timeout', String(timeoutSeconds), 'bash', '-c', script, address, String(port)];
}

export interface OffclusterClient {
  readonly container: string;
  readonly image: string;
  readonly network: string;
  readonly subnets: readonly string[];
  /** The container's address of each family on the network, if the network has that family. */
  readonly addresses: Readonly<Record<IpFamily, string | undefined>>;
}

interface Session {
  network?: Promise<OffclusterNetwork>;
  client?: Promise<{ client: OffclusterClient; started: StartedTestContainer }>;
  stopped: boolean;
}

const sessions = new WeakMap<Run, Session>();

function session(run: Run): Session {
  let current = sessions.get(run);
  if (!current) {
    current = { stopped: false };
    sessions.set(run, current);
  }
  return current;
}

let runtime: Promise<ContainerRuntimeClient> | undefined;

/** testcontainers' docker client, with Ryuk disabled before testcontainers is first loaded. */
function runtimeClient(): Promise<ContainerRuntimeClient> {
  runtime ??= (async () => {
    process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
    const { getContainerRuntimeClient } = await import('testcontainers');
    return getContainerRuntimeClient();
  })();
  return runtime;
}

interface NetworkInspect {
  Name?: string;
  IPAM?: { Config?: { Subnet?: string }[] | null };
  Containers?: Record<string, { Name?: string; IPv4Address?: string; IPv6Address?: string }> | null;
}

function networkView(inspect: NetworkInspect): DockerNetworkView {
  return {
    name: inspect.Name ?? '?',
    subnets: (inspect.IPAM?.Config ?? []).flatMap((config) => (config.Subnet ? [config.Subnet] : [])),
    containers: Object.values(inspect.Containers ?? {}).map((container) => ({
      name: container.Name ?? '?',
      addresses: [container.IPv4Address, container.IPv6Address].filter((address): address is string => !!address),
    })),
  };
}

async function detectNetwork(run: Run): Promise<OffclusterNetwork> {
  const declared = run.config.offclusterNetwork;
  let client: ContainerRuntimeClient;
  try {
    client = await runtimeClient();
  } catch (error) {
    const reason = `no docker on this host for an off-cluster client (${describeError(error)})`;
    return { available: false, declared: declared !== undefined, reason: declared ? `--offcluster-network ${declared}: ${reason}` : reason };
  }
  const docker = client.container.dockerode;
  if (declared !== undefined) {
    try {
      const view = networkView((await docker.getNetwork(declared).inspect()) as NetworkInspect);
      return { available: true, network: view.name, subnets: view.subnets, how: 'named with --offcluster-network' };
    } catch (error) {
      return { available: false, declared: true, reason: `--offcluster-network ${declared}: ${describeError(error)}` };
    }
  }
  const listed = await docker.listNetworks();
  const views = await Promise.all(
    listed
      .filter((network) => !['host', 'none'].includes(network.Name))
      .map(async (network) => networkView((await docker.getNetwork(network.Id).inspect()) as NetworkInspect)),
  );
  const found = networkOfNodes(run.cluster.nodes, views);
  return 'reason' in found
    ? { available: false, declared: false, reason: found.reason }
    : { available: true, network: found.network, subnets: found.subnets, how: found.how };
}

/** Where the off-cluster client attaches, decided once per run. */
export function offclusterNetwork(run: Run): Promise<OffclusterNetwork> {
  const current = session(run);
  current.network ??= detectNetwork(run).catch(
    (error: unknown): OffclusterNetwork => ({
      available: false,
      declared: run.config.offclusterNetwork !== undefined,
      reason: `off-cluster network detection failed: ${describeError(error)}`,
    }),
  );
  return current.network;
}

/** The configured image, else the newest local dualstack-conformance/node-base tag; never pulled. */
async function clientImage(run: Run, client: ContainerRuntimeClient): Promise<string> {
  const docker = client.container.dockerode;
  const configured = run.config.offclusterImage;
  if (configured !== undefined) {
    try {
      await docker.getImage(configured).inspect();
    } catch (error) {
      throw new Error(`off-cluster image ${configured} is not in this host's docker (it is never pulled): ${describeError(error)}`);
    }
    return configured;
  }
  const images = await docker.listImages({ filters: JSON.stringify({ reference: [OFFCLUSTER_IMAGE_REPOSITORY] }) });
  const tags = images
    .sort((a, b) => b.Created - a.Created)
    .flatMap((image) => image.RepoTags ?? [])
    .filter((tag) => tag.startsWith(`${OFFCLUSTER_IMAGE_REPOSITORY}:`));
  const [newest] = tags;
  if (newest === undefined) {
    throw new Error(
      `no local ${OFFCLUSTER_IMAGE_REPOSITORY} image for the off-cluster client (npm run cluster:image builds it); name one with --offcluster-image or DSC_OFFCLUSTER_IMAGE`,
    );
  }
  return newest;
}

/** 404: the container is already gone; 409: its removal is already in progress. */
function alreadyGone(error: unknown): boolean {
  const status = (error as { statusCode?: number } | undefined)?.statusCode;
  return status === 404 || status === 409;
}

async function removeContainer(client: ContainerRuntimeClient, name: string): Promise<void> {
  try {
    await client.container.dockerode.getContainer(name).remove({ force: true, v: true });
  } catch (error) {
    if (!alreadyGone(error)) throw error;
  }
}

async function startClient(run: Run, network: { network: string; subnets: readonly string[] }): Promise<{ client: OffclusterClient; started: StartedTestContainer }> {
  const runtimeHandle = await runtimeClient();
  const name = `dsc-offcluster-${run.namespaces.runId}`;
  const image = await clientImage(run, runtimeHandle);
  const { GenericContainer, Wait } = await import('testcontainers');
  // After SIGINT/SIGTERM the cleanup registry may already have run: create nothing any more.
  if (waitsInterrupted()) throw new Error('interrupted before the off-cluster client was started');
  const starting = new GenericContainer(image)
    .withName(name)
    .withNetworkMode(network.network)
    .withEntrypoint(['sleep'])
    .withCommand(['infinity'])
    .withLabels({ [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [RUN_ID_LABEL]: run.namespaces.runId, [OFFCLUSTER_ROLE_LABEL]: 'offcluster-client' })
    .withWaitStrategy(Wait.forSuccessfulCommand('command -v bash >/dev/null && command -v timeout >/dev/null'))
    .withStartupTimeout(run.config.timeouts.offclusterStart)
    .start();
  // Removal is registered before the create request settles (and waits for it), so an interrupt mid-start leaves
  // nothing behind; after a normal stop it finds the container gone.
  run.cleanup.register(`off-cluster client container ${name}`, async () => {
    await Promise.race([starting.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, run.config.timeouts.offclusterStart).unref())]);
    await removeContainer(runtimeHandle, name);
  });
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
  const current = sessions.get(run);
  if (!current?.client || current.stopped) return;
  current.stopped = true;
  const started = await current.client.then((value) => value.started).catch(() => undefined);
  // Kill at once: `sleep` as PID 1 ignores SIGTERM, a grace period would only wait for nothing.
  // Gone already when SIGINT/SIGTERM's cleanup removed it first.
  if (started) await started.stop({ timeout: 0, remove: true }).catch((error: unknown) => (alreadyGone(error) ? undefined : Promise.reject(error)));
}

/** Pod and Service CIDRs of the cluster: never a destination of an off-cluster probe. */
export function clusterCidrs(run: Run): string[] {
  return [...run.cluster.families.services.cidrs, ...run.cluster.nodes.flatMap((node) => node.spec?.podCIDRs ?? [])];
}

/**
 * GET http://dst/hostname from the off-cluster client until `accept` returns no problem. The line is
 * `offcluster (<client ip>) -> <label> ([ip]:port)`; a destination outside the network's subnets (or inside a
 * cluster CIDR) is never sent a packet.
 */
export async function offclusterHttpProbe(
  run: Run,
  client: OffclusterClient,
  destination: ProbeDestination,
  accept: (hostname: string) => string | undefined,
): Promise<ProbeOutcome> {
  const family = familyOf(destination.address);
  const source = family ? client.addresses[family] : undefined;
  const line = formatProbeLine(OFFCLUSTER_SOURCE_NAME, source ?? `no ${family ?? 'matching'} address`, destination);
  const refused = judgeOffclusterTarget(destination.address, client.subnets, clusterCidrs(run));
  const problem =
    refused ??
    (source === undefined ? `the client has no ${family ?? '?'} address on docker network ${client.network} (the network lacks that family)` : undefined);
  if (problem !== undefined) {
    process.stdout.write(`      probe ${line}: FAILED: ${problem}\n`);
    return { line, ok: false, answer: '', detail: problem, attempts: 0, durationMs: 0 };
  }
  const attemptSeconds = Math.max(1, Math.round(run.config.timeouts.probeAttempt / 1000));
  const started = session(run).client;
  if (!started) throw new Error('the off-cluster client was not started');
  const container = (await started).started;
  return retryProbe(
    line,
    async () => {
      const result = await container.exec(httpGetCommand(destination.address, destination.port, attemptSeconds));
      const response = parseHttpResponse(result.stdout);
      const answer = response.body.trim();
      if (result.exitCode !== 0 && response.status === undefined) {
        const why = result.exitCode === 124 ? `no answer within ${formatDuration(attemptSeconds * 1000)}` : `exit ${result.exitCode}`;
        return { answer, problem: `${why}${result.stderr.trim() ? `: ${result.stderr.trim()}` : ''}` };
      }
      if (response.status !== 200) return { answer, problem: `HTTP status ${response.status ?? 'missing'}: ${result.stdout.slice(0, 200)}` };
      return { answer, problem: accept(answer) };
    },
    run.config.timeouts.connectivity,
    'connectivity',
  );
}
