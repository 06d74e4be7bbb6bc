// Parsing of a container's /etc/hosts, as the kubelet writes it (pkg/kubelet/kubelet_pods.go, managedHostsFileContent).
import { parseIp, sameAddress } from '../lib/ip.ts';

/** First line of a hosts file the kubelet manages for a pod with its own network namespace. */
export const KUBELET_HOSTS_HEADER = '# Kubernetes-managed hosts file.';
/** First line for a hostNetwork pod: the node's file with this header prepended. */
export const KUBELET_HOSTS_HEADER_HOST_NETWORK = '# Kubernetes-managed hosts file (host network).';

export interface HostsEntry {
  readonly lineNumber: number;
  readonly address: string;
  readonly names: readonly string[];
}

export interface HostsFile {
  /** Which kubelet header the file starts with, if any. */
  readonly managedBy: 'kubelet' | 'kubelet-host-network' | undefined;
  readonly entries: readonly HostsEntry[];
  /** Non-comment lines whose first field is not an address. */
  readonly malformedLines: readonly { lineNumber: number; text: string }[];
}

export function parseHostsFile(content: string): HostsFile {
  const lines = content.split(/\r?\n/);
  const firstLine = (lines[0] ?? '').trim();
  const managedBy =
    firstLine === KUBELET_HOSTS_HEADER
      ? 'kubelet'
      : firstLine === KUBELET_HOSTS_HEADER_HOST_NETWORK
        ? 'kubelet-host-network'
        : undefined;
  const entries: HostsEntry[] = [];
  const malformedLines: { lineNumber: number; text: string }[] = [];
  lines.forEach((rawLine, index) => {
    const hash = rawLine.indexOf('#');
    const line = (hash >= 0 ? rawLine.slice(0, hash) : rawLine).trim();
    if (line === '') return;
    const [address, ...names] = line.split(/\s+/);
    if (address === undefined || !parseIp(address) || names.length === 0) {
      malformedLines.push({ lineNumber: index + 1, text: rawLine });
      return;
    }
    entries.push({ lineNumber: index + 1, address, names });
  });
  return { managedBy, entries, malformedLines };
}

/** Entries for an address, comparing addresses rather than spellings (fd00::4 matches fd00:0:0:0:0:0:0:4). */
export function entriesForAddress(hosts: HostsFile, address: string): HostsEntry[] {
  return hosts.entries.filter((entry) => sameAddress(entry.address, address));
}

/** True when some line maps the address to the hostname (the kubelet lists the short hostname on every pod IP line). */
export function mapsAddressToHostname(hosts: HostsFile, address: string, hostname: string): boolean {
  return entriesForAddress(hosts, address).some((entry) => entry.names.includes(hostname));
}
