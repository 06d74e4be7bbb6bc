// What one run has of the off-cluster client: the network decision, the image check and the started container, each
// begun once by whichever asks first.
import type { StartedTestContainer } from 'testcontainers';
import type { IpFamily } from '../../lib/ip.ts';
import type { Run } from '../run.ts';
import type { OffclusterNetwork } from './network.ts';

export interface OffclusterClient {
  readonly container: string;
  readonly image: string;
  readonly network: string;
  readonly subnets: readonly string[];
  /** The container's address of each family on the network, if the network has that family. */
  readonly addresses: Readonly<Record<IpFamily, string | undefined>>;
}

export interface Session {
  network?: Promise<OffclusterNetwork>;
  image?: Promise<string>;
  client?: Promise<{ client: OffclusterClient; started: StartedTestContainer }>;
  stopped: boolean;
}

const sessions = new WeakMap<Run, Session>();

/** The run's session, begun on first use. */
export function session(run: Run): Session {
  let current = sessions.get(run);
  if (!current) {
    current = { stopped: false };
    sessions.set(run, current);
  }
  return current;
}

/** The run's session if anything of the client was begun. */
export function existingSession(run: Run): Session | undefined {
  return sessions.get(run);
}
