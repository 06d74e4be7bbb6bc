// What the off-cluster and LoadBalancer checks share: finding the off-cluster client's network (skipping or failing
// the check without one) and probing a destination from that client until every backend has answered.
import type { CheckContext } from '../support/check.ts';
import { BACKEND_ROLES, type ProbeProtocol } from '../support/expectations.ts';
import { offclusterNetwork, type OffclusterNetwork } from '../support/offcluster/network.ts';
import { offclusterHostnameProbe } from '../support/offcluster/probes.ts';
import type { OffclusterClient } from '../support/offcluster/session.ts';
import type { ProbeDestination } from '../support/probes/retry.ts';
import { nodesOfPods, untilEveryResponder, type EveryResponderOutcome } from '../support/responders.ts';

/**
 * The nodes' docker network for the off-cluster client; without one the check is skipped with the reason (none
 * found), or fails with it (declared, e.g. a bad --offcluster-network), and undefined is returned.
 */
export async function offclusterNetworkOf(t: CheckContext): Promise<Extract<OffclusterNetwork, { available: true }> | undefined> {
  const network = await offclusterNetwork(t.run);
  if (network.available) return network;
  if (!network.declared) t.skip('offcluster-network', network.reason);
  t.verdict([network.reason]);
  return undefined;
}

/** Probes `destination` from the off-cluster client until every backend has answered through it. */
export function everyBackendFromOffcluster(
  { run, fixtures }: CheckContext,
  client: OffclusterClient,
  destination: ProbeDestination,
  protocol: ProbeProtocol,
): Promise<EveryResponderOutcome> {
  const backends = BACKEND_ROLES.map((role) => fixtures.pods[role].metadata?.name ?? role);
  return untilEveryResponder(backends, nodesOfPods(Object.values(fixtures.pods)), (accept) =>
    offclusterHostnameProbe(run, client, destination, protocol, accept),
  );
}
