// The faults selftest injects into the dual (IPv4-primary) kind cluster: each breaks one thing a dual-stack cluster
// needs, inside the node containers only, and says whether it is still in place (a controller or plugin may repair
// it). Reverts are idempotent and need no memory of the apply: what an edit replaced is kept in the node itself, so
// a later run can undo what a killed one left.
import { ipamSubnets, firstHalf, nodeIpIpv4Only, nodeIps, processStates, ruleComesBefore, withoutIpv6Ranges } from './edits.ts';
import { HOSTNET_PORT_RANGE } from '../../support/expectations.ts';
import { familyOf } from '../../lib/ip.ts';
import {
  inNode,
  mustInNode,
  nodeFileExists,
  nodeOfRole,
  nodeStatus,
  waitSync,
  writeNodeFile,
  type FaultTarget,
  type KindNode,
} from './nodes.ts';

export type Stuck = { readonly stuck: true; readonly evidence: string } | { readonly stuck: false; readonly reason: string };

export interface Fault {
  readonly name: string;
  /** What it breaks, in words. */
  readonly breaks: string;
  apply(target: FaultTarget): void;
  /** Evidence that the fault is in place, or why it is not. */
  stuck(target: FaultTarget): Stuck;
  /** Idempotent, also after a partial apply or none; returns what it undid (empty when nothing was in place). */
  revert(target: FaultTarget): string[];
}

export interface FaultOptions {
  /** The TCP port of the hostNetwork backends the worker's firewall rejects over IPv6. */
  readonly hostnetPorts: string;
}

/** The suite's hostNetwork backends listen on one port of HOSTNET_PORT_RANGE per run: the fault rejects the range. */
export const DEFAULT_FAULT_OPTIONS: FaultOptions = {
  hostnetPorts: `${HOSTNET_PORT_RANGE.first}:${HOSTNET_PORT_RANGE.first + HOSTNET_PORT_RANGE.size - 1}`,
};

/** Where an edited node file's original is kept until the revert puts it back. */
const BACKUP_DIR = '/var/lib/dualstack-conformance-faults';
const KUBELET_FLAGS = '/var/lib/kubelet/kubeadm-flags.env';
/** kubelet restarts and Node status updates take seconds; bound the wait for them. */
const NODE_UPDATE_MS = 90_000;

/** Stuck on every node, or the first node where it is not. */
function onEveryNode(nodes: readonly KindNode[], judge: (node: KindNode) => Stuck): Stuck {
  const evidence: string[] = [];
  for (const node of nodes) {
    const result = judge(node);
    if (!result.stuck) return { stuck: false, reason: `${node.name}: ${result.reason}` };
    evidence.push(`${node.name}: ${result.evidence}`);
  }
  return { stuck: true, evidence: evidence.join('; ') };
}

/** An ip6tables rule the fault inserts; removing every copy of it is the revert. */
function ip6tablesRule(table: string, chain: string, spec: readonly string[]) {
  const args = (op: string) => ['ip6tables-nft', '-t', table, op, chain, ...spec];
  return {
    insert: (node: KindNode) => mustInNode(node, ['ip6tables-nft', '-t', table, '-I', chain, '1', ...spec]),
    present: (node: KindNode) => inNode(node, args('-C')).status === 0,
    listing: (node: KindNode) => mustInNode(node, ['ip6tables-nft', '-t', table, '-S', chain]),
    removeAll: (node: KindNode): string[] => {
      const undone: string[] = [];
      for (let i = 0; i < 20 && inNode(node, args('-C')).status === 0; i++) {
        mustInNode(node, args('-D'));
        undone.push(`${node.name}: deleted ${table}/${chain} ${spec.join(' ')}`);
      }
      return undone;
    },
  };
}

const masqueradeBypass = ip6tablesRule('nat', 'POSTROUTING', ['-m', 'mark', '--mark', '0x4000/0x4000', '-j', 'RETURN']);
const MASQUERADE_BYPASS_LINE = '-A POSTROUTING -m mark --mark 0x4000/0x4000 -j RETURN';

const ipv6MasqueradeBypassed: Fault = {
  name: 'ipv6-service-masquerade-bypassed',
  breaks: 'every node: IPv6 Service traffic kube-proxy marks for masquerade leaves un-SNATed (POSTROUTING RETURN before KUBE-POSTROUTING)',
  apply: (target) => target.nodes.forEach((node) => masqueradeBypass.insert(node)),
  stuck: (target) =>
    onEveryNode(target.nodes, (node) =>
      ruleComesBefore(masqueradeBypass.listing(node), MASQUERADE_BYPASS_LINE, 'KUBE-POSTROUTING')
        ? { stuck: true, evidence: 'nat POSTROUTING returns marked packets before KUBE-POSTROUTING' }
        : { stuck: false, reason: `nat POSTROUTING has no "${MASQUERADE_BYPASS_LINE}" before KUBE-POSTROUTING` },
    ),
  revert: (target) => target.nodes.flatMap((node) => masqueradeBypass.removeAll(node)),
};

/** The first half of the control-plane's IPv6 pod CIDR, which the worker's prohibit route covers. */
function controlPlanePodHalf(target: FaultTarget): string {
  const cidrs = nodeStatus(target, nodeOfRole(target, 'control-plane')).podCIDRs;
  const ipv6 = cidrs.find((cidr) => cidr.includes(':'));
  if (!ipv6) throw new Error(`the control-plane has no IPv6 pod CIDR (podCIDRs ${cidrs.join(', ')})`);
  return firstHalf(ipv6);
}

const prohibitRoutes = (node: KindNode): string[] =>
  mustInNode(node, ['ip', '-6', 'route', 'show', 'type', 'prohibit'])
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[1] ?? '')
    .filter(Boolean);

const workerRouteToControlPlanePodsProhibited: Fault = {
  name: 'worker-ipv6-route-to-control-plane-pods-prohibited',
  breaks: "the worker: IPv6 to the first half of the control-plane's pod CIDR hits a more specific prohibit route",
  apply: (target) => void mustInNode(nodeOfRole(target, 'worker'), ['ip', '-6', 'route', 'add', 'prohibit', controlPlanePodHalf(target)]),
  stuck: (target) => {
    const half = controlPlanePodHalf(target);
    const routes = prohibitRoutes(nodeOfRole(target, 'worker'));
    return routes.includes(half)
      ? { stuck: true, evidence: `worker route: prohibit ${half}` }
      : { stuck: false, reason: `the worker has no prohibit route ${half} (prohibit routes: ${routes.join(', ') || 'none'})` };
  },
  revert: (target) => {
    const worker = nodeOfRole(target, 'worker');
    const half = controlPlanePodHalf(target);
    if (!prohibitRoutes(worker).includes(half)) return [];
    mustInNode(worker, ['ip', '-6', 'route', 'del', 'prohibit', half]);
    return [`${worker.name}: deleted route prohibit ${half}`];
  },
};

/** The CNI config containerd loads: the first *.conflist/*.conf in /etc/cni/net.d by name. */
function cniConfigPath(node: KindNode): string {
  const listed = mustInNode(node, ['sh', '-c', 'ls /etc/cni/net.d/*.conflist /etc/cni/net.d/*.conf 2>/dev/null | sort'])
    .split('\n')
    .filter(Boolean);
  const [first] = listed;
  if (!first) throw new Error(`${node.name}: no CNI config in /etc/cni/net.d`);
  return first;
}

const backupOf = (path: string) => `${BACKUP_DIR}${path}`;

/** Keeps the original once: a second apply must not overwrite it with the faulted file. */
function backUp(node: KindNode, path: string): void {
  const backup = backupOf(path);
  mustInNode(node, ['sh', '-c', `mkdir -p '${backup.slice(0, backup.lastIndexOf('/'))}' && { test -e '${backup}' || cp -p '${path}' '${backup}'; }`]);
}

/** Puts the original back (atomically) and forgets it; false when there was none. */
function restore(node: KindNode, path: string): boolean {
  if (!nodeFileExists(node, backupOf(path))) return false;
  writeNodeFile(node, path, mustInNode(node, ['cat', backupOf(path)]));
  // Nothing of ours stays in the node: the backup, then every directory it emptied.
  mustInNode(node, ['sh', '-c', `rm -f '${backupOf(path)}' && find '${BACKUP_DIR}' -depth -type d -empty -delete`]);
  return true;
}

// flannel-node writes the CNI config when flanneld's lease changes, not when the file does: the edit sticks until the
// flannel pod restarts (then stuck() sees the IPv6 range back). containerd reloads the directory on change.
const cniIpamWithoutIpv6: Fault = {
  name: 'cni-ipam-without-ipv6',
  breaks: 'every node: the CNI config has no IPv6 host-local range, so pods created from now on get IPv4 only',
  apply: (target) => {
    for (const node of target.nodes) {
      const path = cniConfigPath(node);
      const edited = withoutIpv6Ranges(mustInNode(node, ['cat', path]));
      backUp(node, path);
      writeNodeFile(node, path, edited);
    }
  },
  stuck: (target) =>
    onEveryNode(target.nodes, (node) => {
      const path = cniConfigPath(node);
      const subnets = ipamSubnets(mustInNode(node, ['cat', path]));
      return subnets.some((subnet) => subnet.includes(':'))
        ? { stuck: false, reason: `${path} has IPv6 IPAM ranges: ${subnets.join(', ')}` }
        : { stuck: true, evidence: `${path} IPAM ranges ${subnets.join(', ')}` };
    }),
  revert: (target) => target.nodes.flatMap((node) => (restore(node, cniConfigPath(node)) ? [`${node.name}: restored ${cniConfigPath(node)}`] : [])),
};

const hasIpv6 = (addresses: readonly string[]) => addresses.some((address) => familyOf(address) === 'IPv6');

const workerNodeIpIpv4Only: Fault = {
  name: 'worker-node-ip-ipv4-only',
  breaks: "the worker: kubelet's --node-ip names its IPv4 address only, so the Node has no IPv6 InternalIP",
  apply: (target) => {
    const worker = nodeOfRole(target, 'worker');
    const edited = nodeIpIpv4Only(mustInNode(worker, ['cat', KUBELET_FLAGS]));
    backUp(worker, KUBELET_FLAGS);
    writeNodeFile(worker, KUBELET_FLAGS, edited);
    mustInNode(worker, ['systemctl', 'restart', 'kubelet']);
    waitSync(NODE_UPDATE_MS, () => !hasIpv6(nodeStatus(target, worker).internalIPs));
  },
  stuck: (target) => {
    const worker = nodeOfRole(target, 'worker');
    const flags = nodeIps(mustInNode(worker, ['cat', KUBELET_FLAGS]));
    const internalIPs = nodeStatus(target, worker).internalIPs;
    if (hasIpv6(flags)) return { stuck: false, reason: `kubelet --node-ip is ${flags.join(',')}` };
    if (hasIpv6(internalIPs)) return { stuck: false, reason: `Node ${worker.name} still lists InternalIPs ${internalIPs.join(', ')}` };
    return { stuck: true, evidence: `kubelet --node-ip=${flags.join(',')}; Node InternalIPs ${internalIPs.join(', ')}` };
  },
  revert: (target) => {
    const worker = nodeOfRole(target, 'worker');
    if (!restore(worker, KUBELET_FLAGS)) return [];
    mustInNode(worker, ['systemctl', 'restart', 'kubelet']);
    const back = waitSync(NODE_UPDATE_MS, () => {
      const status = nodeStatus(target, worker);
      return status.ready && hasIpv6(status.internalIPs) && status.internalIPs.some((ip) => familyOf(ip) === 'IPv4');
    });
    if (!back) throw new Error(`Node ${worker.name} has no IPv4 and IPv6 InternalIP, Ready, within ${NODE_UPDATE_MS / 1000} s of restoring ${KUBELET_FLAGS}`);
    return [`${worker.name}: restored ${KUBELET_FLAGS}, restarted kubelet, Node has both InternalIPs again`];
  },
};

const kubeProxyPids = (node: KindNode): string[] => inNode(node, ['pgrep', '-x', 'kube-proxy']).stdout.split('\n').filter(Boolean);
const kubeProxyStates = (node: KindNode, pids: readonly string[]): string[] =>
  pids.length === 0 ? [] : processStates(inNode(node, ['cat', ...pids.map((pid) => `/proc/${pid}/stat`)]).stdout);

const workerKubeProxyFrozen: Fault = {
  name: 'worker-kube-proxy-frozen',
  breaks: "the worker: kube-proxy is stopped (SIGSTOP), so Service and endpoint changes are no longer programmed on it",
  apply: (target) => {
    const worker = nodeOfRole(target, 'worker');
    const pids = kubeProxyPids(worker);
    if (pids.length === 0) throw new Error(`${worker.name}: no kube-proxy process`);
    mustInNode(worker, ['kill', '-STOP', ...pids]);
  },
  stuck: (target) => {
    const worker = nodeOfRole(target, 'worker');
    const pids = kubeProxyPids(worker);
    const states = kubeProxyStates(worker, pids);
    return pids.length > 0 && states.every((state) => state === 'T')
      ? { stuck: true, evidence: `kube-proxy pid ${pids.join(', ')} stopped` }
      : { stuck: false, reason: `kube-proxy pid(s) ${pids.join(', ') || 'none'} in state ${states.join(', ') || 'none'} (not stopped: continued, or a restarted kube-proxy)` };
  },
  revert: (target) => {
    const worker = nodeOfRole(target, 'worker');
    const pids = kubeProxyPids(worker);
    const states = kubeProxyStates(worker, pids);
    const stopped = pids.filter((_, i) => states[i] === 'T');
    if (stopped.length === 0) return [];
    mustInNode(worker, ['kill', '-CONT', ...stopped]);
    return [`${worker.name}: kube-proxy pid ${stopped.join(', ')} continued`];
  },
};

function workerRejectsIpv6HostnetPort(port: string): Fault {
  const reject = ip6tablesRule('filter', 'INPUT', ['-p', 'tcp', '--dport', String(port), '-j', 'REJECT']);
  return {
    name: 'worker-firewall-rejects-ipv6-hostnet-port',
    breaks: `the worker: its host firewall rejects IPv6 TCP to ports ${port}, where the hostNetwork backends listen`,
    apply: (target) => void reject.insert(nodeOfRole(target, 'worker')),
    stuck: (target) =>
      reject.present(nodeOfRole(target, 'worker'))
        ? { stuck: true, evidence: `worker filter INPUT rejects IPv6 tcp dport ${port}` }
        : { stuck: false, reason: `the worker's filter INPUT has no IPv6 REJECT for tcp dport ${port}` },
    revert: (target) => reject.removeAll(nodeOfRole(target, 'worker')),
  };
}

/** Every fault, in the order selftest applies them. */
export function faultCatalog(options: FaultOptions = DEFAULT_FAULT_OPTIONS): readonly Fault[] {
  return [
    ipv6MasqueradeBypassed,
    workerRouteToControlPlanePodsProhibited,
    cniIpamWithoutIpv6,
    workerNodeIpIpv4Only,
    workerKubeProxyFrozen,
    workerRejectsIpv6HostnetPort(options.hostnetPorts),
  ];
}
