// Docker checks the cluster commands need; they never change the host (that is host:prepare's job).
import { ConfigurationError } from '../../lib/errors.ts';
import { runSync } from '../../lib/process.ts';

export function requireDocker(): void {
  const r = runSync('docker', ['info', '--format', '{{.ServerVersion}}']);
  if (r.status !== 0 || !r.stdout.trim()) {
    throw new ConfigurationError(
      'Docker is not running here: start it (Docker Desktop on macOS/Windows), or on a Debian host run `sudo npm run host:prepare` (it installs and starts dockerd).',
    );
  }
}

interface NetworkInfo {
  EnableIPv6: boolean;
  Containers: Record<string, { Name: string }>;
}

/**
 * kind reuses an existing `kind` network as it is; one created without IPv6 breaks dual-stack later
 * ("failed to get IPv6 address"). Recreate it only when nothing is attached.
 */
export function ensureKindNetworkFits(needsIpv6: boolean): string | undefined {
  const r = runSync('docker', ['network', 'inspect', 'kind', '--format', '{{json .}}']);
  if (r.status !== 0) return undefined; // kind creates it
  const net = JSON.parse(r.stdout) as NetworkInfo;
  if (!needsIpv6 || net.EnableIPv6) return undefined;
  const attached = Object.values(net.Containers ?? {}).map((c) => c.Name);
  if (attached.length > 0) {
    throw new ConfigurationError(
      `the docker network "kind" has no IPv6 and containers are attached (${attached.join(', ')}): ` +
        'delete those clusters/containers, or `docker network rm kind`, then retry',
    );
  }
  const rm = runSync('docker', ['network', 'rm', 'kind']);
  if (rm.status !== 0) throw new ConfigurationError(`could not remove the IPv4-only "kind" network: ${rm.stderr.trim()}`);
  return 'removed the IPv4-only "kind" docker network (kind recreates it with IPv6)';
}

export function imageExists(ref: string): boolean {
  return runSync('docker', ['image', 'inspect', ref]).status === 0;
}
