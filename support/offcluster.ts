// The off-cluster client: a container on the docker network the nodes are on (kind's `kind` network), started with
// testcontainers, from which node and LoadBalancer addresses are probed the way a user outside the cluster reaches
// them. Ryuk (testcontainers' reaper) cannot be pulled here, so it is disabled and cleanup is ours: the container
// has a name derived from the run id, its removal is registered in the run's cleanup registry before it is created
// (and so runs on SIGINT/SIGTERM too), and the root `after` hook stops it when the checks are done. It is labelled
// with an expiry in docker's own time, so the start-of-run sweep removes a killed run's container like its namespaces.
// Off-cluster probes target only addresses inside the network's subnets and never the cluster's pod or Service
// CIDRs (judgeOffclusterTarget).
// The client image defaults to the agnhost image the fixtures run (config.ts), so every machine that runs the suite
// has it or can pull it; the probes use only what both upstream's alpine-based agnhost and the offline build (Debian's
// busybox 1.35 and BIND tools) have: sh, `timeout`, `wget -q -O -` (not `wget -T`, which crashes in busybox 1.35) and
// `nslookup` (BIND's in both).
import type { V1Node } from '@kubernetes/client-node';
import type { ContainerRuntimeClient, StartedTestContainer } from 'testcontainers';
import type { CheckInstance } from './checks.ts';
import { declaredAbsentReason, OFFCLUSTER_IMAGE_SETTING, type RunConfig } from './config.ts';
import { parseNslookupOutput } from './dns.ts';
import { ConfigurationError, describeError } from './errors.ts';
import { nodeAddressing } from './families.ts';
import type { HostnameResolution, HostnameResolver } from './loadbalancer.ts';
import { cidrContains, familyOf, joinHostPort, parseCidr, parseIp, sameAddress, type IpFamily } from './ip.ts';
import { withTimeout } from './k8s.ts';
import { EXPIRES_AT_KEY, MANAGED_BY_LABEL, MANAGED_BY_VALUE, RUN_ID_LABEL } from './namespace.ts';
import type { ProbeProtocol } from './expectations.ts';
import { feedAnswers, groupBurstAnswers, groupBurstCommand, REQUESTS_PER_ATTEMPT } from './probes/burst.ts';
import { formatProbeLine, printProbeLine, retryProbe, type ProbeDestination, type ProbeOutcome } from './probes/retry.ts';
import type { Run } from './run.ts';
import { expiryOf, runTtlMs, type ContainerSweepResult } from './sweep.ts';
import { formatDuration, timeoutEnvName } from './timeouts.ts';
import { waitsInterrupted } from './wait.ts';

export const OFFCLUSTER_ROLE_LABEL = 'dualstack-conformance/role';
export const OFFCLUSTER_ROLE = 'offcluster-client';
export const OFFCLUSTER_SOURCE_NAME = 'offcluster';

export function offclusterContainerName(runId: string): string {
  return `dsc-offcluster-${runId}`;
}

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

/**
 * An off-cluster GET as an argv (no shell): busybox/GNU `timeout` bounds busybox `wget`, whose own `-T` crashes in
 * busybox 1.35; the URL brackets an IPv6 address. The address has passed judgeOffclusterTarget (a plain IP).
 */
export function httpGetCommand(address: string, port: number, timeoutSeconds: number): string[] {
  return ['timeout', String(timeoutSeconds), 'wget', '-q', '-O', '-', `http://${joinHostPort(address, port)}/hostname`];
}

/** Multi-line tool output as one line for a message. */
function oneLine(text: string): string {
  return text.trim().replace(/\s*\n\s*/g, '; ');
}

/** `timeout` exits 124 when it had to stop the command (coreutils, newer busybox); busybox 1.35 exits 143. */
const TIMED_OUT_EXIT_CODES: readonly number[] = [124, 143];

/** What one `timeout wget` attempt says: the body, or why there is none (timeout, refused, HTTP error). */
export function judgeHttpGet(
  result: { exitCode: number; stdout: string; stderr: string },
  timeoutSeconds: number,
): { answer: string; problem: string | undefined } {
  const answer = result.stdout.trim();
  if (result.exitCode === 0) return { answer, problem: undefined };
  const stderr = oneLine(result.stderr);
  const why = TIMED_OUT_EXIT_CODES.includes(result.exitCode) ? `no answer within ${formatDuration(timeoutSeconds * 1000)}` : `exit ${result.exitCode}`;
  return { answer, problem: `${why}${stderr ? `: ${stderr}` : ''}` };
}

/**
 * What one `timeout sh -c '<REQUESTS_PER_ATTEMPT datagrams at once with nc -u>'` attempt says: every answer is given
 * to `accept` (the problem it leaves standing is the attempt's), no answer at all is the problem.
 */
export function judgeUdpBurst(
  result: { exitCode: number; stdout: string; stderr: string },
  accept: (hostname: string) => string | undefined,
): { answer: string; problem: string | undefined } {
  const fed = feedAnswers(groupBurstAnswers(result.stdout, 1)[0] ?? [], accept);
  if (fed.answered > 0) return { answer: fed.answer, problem: fed.problem };
  const stderr = oneLine(result.stderr);
  return { answer: '', problem: `no UDP answer to ${REQUESTS_PER_ATTEMPT} requests (1s each, exit ${result.exitCode})${stderr ? `: ${stderr}` : ''}` };
}

/**
 * `nslookup -type=A|AAAA <name>.` under `timeout`, as an argv: the trailing dot keeps the client's search list from
 * changing the question. busybox's and BIND's nslookup both take `-type=`.
 */
export function nslookupCommand(hostname: string, type: 'A' | 'AAAA', timeoutSeconds: number): string[] {
  const absolute = hostname.endsWith('.') ? hostname : `${hostname}.`;
  return ['timeout', String(timeoutSeconds), 'nslookup', `-type=${type}`, absolute];
}

/**
 * One nslookup's answers of the asked family, or why the lookup failed. A name without the record (NXDOMAIN, "no
 * answer") is an empty answer, not a failure: busybox and BIND exit non-zero then too, so the output decides. A server
 * that answers SERVFAIL or REFUSED has said nothing about the name: that is a failure.
 */
export function judgeNslookup(
  type: 'A' | 'AAAA',
  result: { exitCode: number; stdout: string; stderr: string },
  timeoutSeconds: number,
): { addresses: string[]; error: string | undefined } {
  const family: IpFamily = type === 'A' ? 'IPv4' : 'IPv6';
  const parsed = parseNslookupOutput(result.stdout);
  const addresses = parsed.addresses.filter((address) => familyOf(address) === family);
  if (addresses.length > 0) return { addresses, error: undefined };
  if (parsed.serverError !== undefined) return { addresses, error: `${type}: the DNS server answered ${parsed.serverError}` };
  if (result.exitCode === 0 || parsed.notFound || /no answer/i.test(`${result.stdout}\n${result.stderr}`)) return { addresses, error: undefined };
  if (TIMED_OUT_EXIT_CODES.includes(result.exitCode)) return { addresses, error: `${type}: no answer within ${formatDuration(timeoutSeconds * 1000)}` };
  const detail = oneLine(result.stderr.trim() || result.stdout);
  return { addresses, error: `${type}: exit ${result.exitCode}${detail ? `: ${detail}` : ''}` };
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
  image?: Promise<string>;
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
  // Declared absent: not even looked for, so no client is ever started.
  if (run.config.absent.includes('offcluster-network')) {
    return { available: false, declared: false, reason: declaredAbsentReason('offcluster-network', run.config) };
  }
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
function imageReady(run: Run): Promise<string> {
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

/** The docker daemon's clock (`SystemTime` of GET /info): expiries of containers are stamped and judged by it. */
async function dockerNow(client: ContainerRuntimeClient): Promise<number | undefined> {
  const info = (await client.container.dockerode.info()) as { SystemTime?: unknown };
  return typeof info.SystemTime === 'string' ? parseRfc3339Loose(info.SystemTime) : undefined;
}

/** Docker's SystemTime has nanoseconds and the daemon's zone offset ("2026-11-27T23:49:35.696626111Z"). */
function parseRfc3339Loose(text: string): number | undefined {
  const ms = Date.parse(text.replace(/(\.\d{3})\d+/, '$1'));
  return Number.isNaN(ms) ? undefined : ms;
}

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
  // Kill at once: the client holds no state, and `sleep` as PID 1 (a custom image) would ignore SIGTERM anyway.
  // Gone already when SIGINT/SIGTERM's cleanup removed it first.
  if (started) await started.stop({ timeout: 0, remove: true }).catch((error: unknown) => (alreadyGone(error) ? undefined : Promise.reject(error)));
}

/** Pod and Service CIDRs of the cluster: never a destination of an off-cluster probe. */
export function clusterCidrs(run: Run): string[] {
  return [...run.cluster.families.services.cidrs, ...run.cluster.nodes.flatMap((node) => node.spec?.podCIDRs ?? [])];
}

/**
 * GET http://dst/hostname (tcp) or the datagram "hostname" (udp) from the off-cluster client until `accept` returns
 * no problem. The line is `offcluster (<client ip>) -> <label> ([ip]:port)`; a destination outside the network's
 * subnets (or inside a cluster CIDR) is never sent a packet.
 */
export async function offclusterHostnameProbe(
  run: Run,
  client: OffclusterClient,
  destination: ProbeDestination,
  protocol: ProbeProtocol,
  accept: (hostname: string) => string | undefined,
): Promise<ProbeOutcome> {
  const family = familyOf(destination.address);
  const source = family ? client.addresses[family] : undefined;
  const line = `${formatProbeLine(OFFCLUSTER_SOURCE_NAME, source ?? `no ${family ?? 'matching'} address`, destination)}${protocol === 'udp' ? ' udp' : ''}`;
  const refused = judgeOffclusterTarget(destination.address, client.subnets, clusterCidrs(run));
  const problem =
    refused ??
    (source === undefined ? `the client has no ${family ?? '?'} address on docker network ${client.network} (the network lacks that family)` : undefined);
  if (problem !== undefined) {
    printProbeLine(`${line}: FAILED: ${problem}`);
    return { line, ok: false, answer: '', detail: problem, attempts: 0, durationMs: 0 };
  }
  const attemptSeconds = Math.max(1, Math.round(run.config.timeouts.probeAttempt / 1000));
  const started = session(run).client;
  if (!started) throw new Error('the off-cluster client was not started');
  const container = (await started).started;
  return retryProbe(
    line,
    async () => {
      if (protocol === 'udp') {
        // nc -u waits its second even when answered: the datagrams go at once.
        return judgeUdpBurst(await container.exec(['timeout', String(attemptSeconds), ...groupBurstCommand([destination], 'udp')]), accept);
      }
      const judged = judgeHttpGet(await container.exec(httpGetCommand(destination.address, destination.port, attemptSeconds)), attemptSeconds);
      return judged.problem !== undefined ? judged : { answer: judged.answer, problem: accept(judged.answer) };
    },
    run.config.timeouts.connectivity,
    'connectivity',
  );
}

/**
 * Resolves ingress hostnames (A and AAAA) inside the off-cluster client, where the LoadBalancer is reached from,
 * so its answers are the addresses a user outside the cluster gets.
 */
export function offclusterResolver(run: Run, client: OffclusterClient): HostnameResolver {
  const attemptSeconds = Math.max(1, Math.round(run.config.timeouts.probeAttempt / 1000));
  return async (hostname: string): Promise<HostnameResolution> => {
    const started = session(run).client;
    const errors: string[] = [];
    const lookup = async (type: 'A' | 'AAAA'): Promise<string[]> => {
      try {
        if (!started) throw new Error('the off-cluster client was not started');
        const result = await (await started).started.exec(nslookupCommand(hostname, type, attemptSeconds));
        const judged = judgeNslookup(type, result, attemptSeconds);
        if (judged.error !== undefined) errors.push(judged.error);
        return judged.addresses;
      } catch (error) {
        errors.push(`${type}: ${describeError(error)}`);
        return [];
      }
    };
    const [A, AAAA] = await Promise.all([lookup('A'), lookup('AAAA')]);
    const source = client.addresses.IPv4 ?? client.addresses.IPv6 ?? 'no address';
    return { hostname, from: `${OFFCLUSTER_SOURCE_NAME} (${source})`, A, AAAA, errors };
  };
}
