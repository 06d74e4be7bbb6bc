// Where the off-cluster client attaches: the docker network the nodes are on (kind's `kind` network), found by the
// nodes' InternalIPs, or the one named with --offcluster-network.
import type { V1Node } from '@kubernetes/client-node';
import type { ContainerRuntimeClient } from 'testcontainers';
import { declaredAbsentReason } from '../config.ts';
import { describeError } from '../../lib/errors.ts';
import { nodeAddressing } from '../families.ts';
import { sameAddress } from '../../lib/ip.ts';
import type { Run } from '../run.ts';
import { runtimeClient } from './docker.ts';
import { session } from './session.ts';

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
