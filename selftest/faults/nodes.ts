// The node containers of one kind cluster this project created, and the few commands faults run in them. Every call
// is synchronous: a signal handler must be able to revert a fault before the process exits.
import { kubectlBinary } from '../../cluster/lib/paths.ts';
import { loadRecord } from '../../cluster/lib/records.ts';
import { runSync, type Captured } from '../../lib/process.ts';

export interface KindNode {
  /** The container's name, which kind also gives the Node object. */
  readonly name: string;
  /** kind's io.x-k8s.kind.role label: control-plane or worker. */
  readonly role: string;
}

export interface FaultTarget {
  readonly clusterName: string;
  readonly kubeconfig: string;
  readonly nodes: readonly KindNode[];
}

const capture = (cmd: string, args: readonly string[], input?: string): Captured => runSync(cmd, args, { input, timeoutMs: 60_000 });

/**
 * The nodes of a cluster recorded by `cluster:up` (faults are injected only into clusters this project created),
 * found by kind's labels.
 */
export function faultTarget(clusterName: string, kubeconfig: string): FaultTarget {
  if (!loadRecord(clusterName)) throw new Error(`cluster ${clusterName} was not created by cluster:up here: no fault is injected into it`);
  const r = capture('docker', [
    'ps',
    '--filter',
    `label=io.x-k8s.kind.cluster=${clusterName}`,
    '--format',
    '{{.Names}}\t{{.Label "io.x-k8s.kind.role"}}',
  ]);
  if (r.status !== 0) throw new Error(`docker ps: ${r.stderr.trim()}`);
  const nodes = r.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [name = '', role = ''] = line.split('\t');
      return { name, role };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
  if (nodes.length === 0) throw new Error(`no running node container of kind cluster ${clusterName}`);
  return { clusterName, kubeconfig, nodes };
}

/** The one node of a role; a fault aimed at "the worker" needs exactly one. */
export function nodeOfRole(target: FaultTarget, role: 'control-plane' | 'worker'): KindNode {
  const found = target.nodes.filter((node) => node.role === role);
  const [node] = found;
  if (!node || found.length !== 1) {
    throw new Error(`cluster ${target.clusterName} has ${found.length} ${role} node(s) (${found.map((n) => n.name).join(', ')}); the fault needs exactly one`);
  }
  return node;
}

/** `docker exec` in a node container; stdin when `input` is given. */
export function inNode(node: KindNode, args: readonly string[], input?: string): Captured {
  return capture('docker', ['exec', ...(input === undefined ? [] : ['-i']), node.name, ...args], input);
}

/** Like inNode, but a non-zero exit throws with the command and its stderr. */
export function mustInNode(node: KindNode, args: readonly string[], input?: string): string {
  const r = inNode(node, args, input);
  if (r.status !== 0) throw new Error(`${node.name}: ${args.join(' ')} exited ${r.status}: ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

/** Replaces a file in the node atomically (a reader such as containerd never sees half of it). */
export function writeNodeFile(node: KindNode, path: string, content: string): void {
  const dir = path.slice(0, path.lastIndexOf('/'));
  const tmp = `${dir}/.${path.slice(dir.length + 1)}.dsc-tmp`;
  mustInNode(node, ['sh', '-c', `cat > '${tmp}' && mv '${tmp}' '${path}'`], content);
}

export const nodeFileExists = (node: KindNode, path: string): boolean => inNode(node, ['test', '-e', path]).status === 0;

/** The subset of a Node object faults read. */
export interface NodeStatus {
  readonly podCIDRs: readonly string[];
  readonly internalIPs: readonly string[];
  readonly ready: boolean;
}

export function nodeStatus(target: FaultTarget, node: KindNode): NodeStatus {
  const r = capture(kubectlBinary(), ['--kubeconfig', target.kubeconfig, 'get', 'node', node.name, '-o', 'json']);
  if (r.status !== 0) throw new Error(`kubectl get node ${node.name}: ${r.stderr.trim()}`);
  const object = JSON.parse(r.stdout) as {
    spec?: { podCIDRs?: string[] };
    status?: { addresses?: { type: string; address: string }[]; conditions?: { type: string; status: string }[] };
  };
  return {
    podCIDRs: object.spec?.podCIDRs ?? [],
    internalIPs: (object.status?.addresses ?? []).filter((a) => a.type === 'InternalIP').map((a) => a.address),
    ready: (object.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
  };
}

/** Blocks for `ms` (synchronous on purpose: see the header). */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Polls `condition` until it holds or `ms` pass; returns whether it held. */
export function waitSync(ms: number, condition: () => boolean): boolean {
  const deadline = Date.now() + ms;
  for (;;) {
    if (condition()) return true;
    if (Date.now() > deadline) return false;
    sleepSync(1000);
  }
}
