// Probes from the off-cluster client: to addresses inside its network's subnets only, never to the cluster's pod or
// Service CIDRs (judgeOffclusterTarget); the same retry and line format as the in-cluster probes.
import { describeError } from '../../lib/errors.ts';
import type { ProbeProtocol } from '../expectations.ts';
import { familyOf } from '../../lib/ip.ts';
import type { HostnameResolution, HostnameResolver } from '../loadbalancer.ts';
import { groupBurstCommand } from '../probes/burst.ts';
import { formatProbeLine, printProbeLine, retryProbe, type ProbeDestination, type ProbeOutcome } from '../probes/retry.ts';
import type { Run } from '../run.ts';
import { httpGetCommand, judgeHttpGet, judgeNslookup, judgeOffclusterTarget, judgeUdpBurst, nslookupCommand } from './commands.ts';
import { existingSession, type OffclusterClient } from './session.ts';

export const OFFCLUSTER_SOURCE_NAME = 'offcluster';

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
  const started = existingSession(run)?.client;
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
    const started = existingSession(run)?.client;
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
