// MetalLB, native L2 mode: the kind cluster's LoadBalancer provider. On our offline node image (which carries the
// controller and speaker images we built) upstream's CRDs come from the Go module cache (the module the binaries are
// built from), the rest from our own manifest (metallb/metallb.yaml). On any other node image nothing is built:
// upstream's published manifest of the pinned version is applied and the cluster pulls its images.
// The address pool is taken from the top of the kind docker network's subnets, which docker hands out from the
// bottom. Every cluster on that network answers ARP/NDP for its own pool, so each live project cluster holds
// its own slot: slot s spans [last-55-64s, last-5-64s] of each subnet (slot 0 of 172.18.0.0/16 is
// 172.18.255.200-172.18.255.250).
import { dumpYaml, loadYaml } from '@kubernetes/client-node';
import ipaddr from 'ipaddr.js';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigurationError } from '../../lib/errors.ts';
import { familyOf, parseCidr, type IpFamily } from '../../lib/ip.ts';
import { CommandError, runSync } from '../../lib/process.ts';
import { clusterDir, versions } from './paths.ts';
import { listRecords } from './records.ts';
import { isOfflineImage, onPath } from './sources.ts';

export const metallbNamespace = 'metallb-system';
const goModule = 'go.universe.tf/metallb';
const poolName = 'kind';

// Each family's pool: 51 addresses, from 55 below the top of its slot to 5 below it; four slots of 64.
const fromTop = 55n;
const toTop = 5n;
const slotSize = 64n;
const slots = 4;

const toBig = (ip: ipaddr.IPv4 | ipaddr.IPv6) => ip.toByteArray().reduce((n, b) => (n << 8n) | BigInt(b), 0n);
function fromBig(n: bigint, bytes: number): ipaddr.IPv4 | ipaddr.IPv6 {
  const out: number[] = [];
  for (let i = 0; i < bytes; i++) out.unshift(Number((n >> BigInt(8 * i)) & 0xffn));
  return ipaddr.fromByteArray(out);
}
const show = (ip: ipaddr.IPv4 | ipaddr.IPv6) => (ip.kind() === 'ipv6' ? (ip as ipaddr.IPv6).toRFC5952String() : ip.toString());

export interface PoolRange {
  family: IpFamily;
  subnet: string;
  first: string;
  last: string;
}

/** The pool range of each wanted family in a slot, from the first subnet of that family; throws when one is missing or too small. */
export function poolRanges(subnets: string[], families: IpFamily[], slot = 0): PoolRange[] {
  return families.map((family) => {
    const subnet = subnets.find((s) => parseCidr(s)?.family === family);
    if (!subnet) throw new ConfigurationError(`the kind docker network has no ${family} subnet (subnets: ${subnets.join(', ') || 'none'})`);
    const [addr, prefix] = ipaddr.parseCIDR(subnet);
    const bits = addr.kind() === 'ipv6' ? 128 : 32;
    if (bits - prefix < 8) throw new ConfigurationError(`the kind network's ${family} subnet ${subnet} is too small for a LoadBalancer pool (needs /${bits - 8} or larger)`);
    const top = (toBig(addr) | ((1n << BigInt(bits - prefix)) - 1n)) - slotSize * BigInt(slot);
    return { family, subnet, first: show(fromBig(top - fromTop, bits / 8)), last: show(fromBig(top - toTop, bits / 8)) };
  });
}

interface KindNetwork {
  IPAM: { Config: { Subnet?: string }[] | null };
  Containers: Record<string, { Name: string; IPv4Address: string; IPv6Address: string }> | null;
}

export const rangeText = (p: PoolRange) => `${p.first}-${p.last}`;

/** The kind clusters that have node containers (kind labels them with the cluster name). */
function liveKindClusters(): Set<string> {
  const r = runSync('docker', ['ps', '-a', '--filter', 'label=io.x-k8s.kind.cluster', '--format', '{{.Label "io.x-k8s.kind.cluster"}}']);
  return new Set(r.stdout.split('\n').map((s) => s.trim()).filter(Boolean));
}

/**
 * The ranges for a cluster's families on the kind network, in the lowest slot that no other live project
 * cluster holds (per its record) and no container attached to the network has an address in.
 */
export function kindPoolRanges(cluster: string, families: IpFamily[]): PoolRange[] {
  const r = runSync('docker', ['network', 'inspect', 'kind', '--format', '{{json .}}']);
  if (r.status !== 0) throw new ConfigurationError(`docker network inspect kind: ${r.stderr.trim()}`);
  const net = JSON.parse(r.stdout) as KindNetwork;
  const subnets = (net.IPAM.Config ?? []).flatMap((c) => (c.Subnet ? [c.Subnet] : []));
  const live = liveKindClusters();
  const held = new Map(listRecords().filter((rec) => rec.name !== cluster && live.has(rec.name)).flatMap((rec) => (rec.lbPool ?? []).map((p) => [p, rec.name])));
  const addresses = Object.values(net.Containers ?? {}).flatMap((c) =>
    [c.IPv4Address, c.IPv6Address].filter(Boolean).map((cidr) => {
      const ip = ipaddr.parseCIDR(cidr)[0];
      return { name: c.Name, ip, family: familyOf(show(ip)) };
    }),
  );
  const busy: string[] = [];
  for (let slot = 0; slot < slots; slot++) {
    const ranges = poolRanges(subnets, families, slot);
    const holder = ranges.map((p) => held.get(rangeText(p))).find(Boolean);
    if (holder) {
      busy.push(`slot ${slot}: cluster ${holder}`);
      continue;
    }
    const inside = addresses.find(({ ip, family }) =>
      ranges.some((p) => p.family === family && toBig(ip) >= toBig(ipaddr.parse(p.first)) && toBig(ip) <= toBig(ipaddr.parse(p.last))),
    );
    if (inside) {
      busy.push(`slot ${slot}: container ${inside.name} (${show(inside.ip)})`);
      continue;
    }
    return ranges;
  }
  throw new ConfigurationError(`no free LoadBalancer pool slot on the kind network (${busy.join('; ')})`);
}

/** The IPAddressPool and its L2Advertisement (announced on the node's kind-network interface). */
export function poolManifest(ranges: PoolRange[]): string {
  const objects = [
    {
      apiVersion: 'metallb.io/v1beta1',
      kind: 'IPAddressPool',
      metadata: { name: poolName, namespace: metallbNamespace },
      spec: { addresses: ranges.map(rangeText) },
    },
    {
      apiVersion: 'metallb.io/v1beta1',
      kind: 'L2Advertisement',
      metadata: { name: poolName, namespace: metallbNamespace },
      spec: { ipAddressPools: [poolName], interfaces: ['eth0'] },
    },
  ];
  return objects.map((o) => dumpYaml(o)).join('---\n');
}

/** Our manifest with the pinned version in its image references. */
export function metallbManifest(version = versions().METALLB_VERSION ?? ''): string {
  if (!version) throw new Error('METALLB_VERSION is not set in versions.env');
  return readFileSync(join(clusterDir, 'metallb', 'metallb.yaml'), 'utf8').replaceAll('${METALLB_VERSION}', version);
}

/** Where the Go module cache is when there is no `go env` to ask (Go's own defaults). */
function goModCache(): string {
  if (process.env.GOMODCACHE) return process.env.GOMODCACHE;
  const gopath = process.env.GOPATH?.split(delimiter).find(Boolean) ?? join(homedir(), 'go');
  return join(gopath, 'pkg', 'mod');
}

/**
 * Upstream's CRD files, from the module in the Go module cache (downloaded through the proxy if missing). Without
 * Go, the cache the offline image's build left is read directly, so a built offline image needs no Go.
 */
export function upstreamCrdFiles(version = versions().METALLB_VERSION ?? ''): string[] {
  let moduleDir: string;
  if (onPath('go')) {
    // Through the module proxy when the module cache lacks it: minutes on a slow link, never forever.
    const r = runSync('go', ['-C', join(clusterDir, 'go', 'metallb'), 'mod', 'download', '-json', `${goModule}@${version}`], { timeoutMs: 600_000 });
    if (r.status !== 0) throw new CommandError(`go mod download ${goModule}@${version}: ${(r.stderr + r.stdout).trim()}`, 1);
    moduleDir = (JSON.parse(r.stdout) as { Dir: string }).Dir;
  } else {
    moduleDir = join(goModCache(), `${goModule}@${version}`);
    if (!existsSync(moduleDir)) {
      throw new ConfigurationError(`MetalLB's CRDs are read from the Go module cache (${moduleDir}), which is empty and there is no Go on PATH: install Go, or use --no-lb`);
    }
  }
  const dir = join(moduleDir, 'config', 'crd', 'bases');
  return readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort().map((f) => join(dir, f));
}

/** Upstream's published install manifest of a version (native mode: controller and speaker, with its webhook). */
export const upstreamManifestUrl = (version: string) =>
  `https://raw.githubusercontent.com/metallb/metallb/${version}/config/manifests/metallb-native.yaml`;

export type MetallbSource = { from: 'none' } | { from: 'offline' } | { from: 'upstream'; manifest: string };

/**
 * Our build on our offline node image (its images are inside; no registry here); upstream's manifest on any other
 * image (kind's default or a user's), whose images the cluster pulls: nothing is built.
 */
export function metallbSource(wanted: boolean, nodeImage: string | undefined, version = versions().METALLB_VERSION ?? ''): MetallbSource {
  if (!wanted) return { from: 'none' };
  if (isOfflineImage(nodeImage)) return { from: 'offline' };
  if (!version) throw new Error('METALLB_VERSION is not set in versions.env');
  return { from: 'upstream', manifest: upstreamManifestUrl(version) };
}

export interface MetallbTarget {
  kubectl: string;
  kubeconfig: string;
  context: string;
  source: Exclude<MetallbSource, { from: 'none' }>;
  pool: PoolRange[];
  log: (msg: string) => void;
}

/** Installs MetalLB and its pool, and waits for the controller and every speaker to be Ready. */
export async function installMetallb(t: MetallbTarget): Promise<void> {
  // Above every --timeout passed to kubectl below, so kubectl's own message is the one reported.
  const kc = (args: string[], input?: string) =>
    runSync(t.kubectl, ['--kubeconfig', t.kubeconfig, '--context', t.context, ...args], { input, timeoutMs: 300_000 });
  const k = (args: string[], input?: string) => {
    const r = kc(args, input);
    if (r.status !== 0) throw new CommandError(`kubectl ${args.join(' ')}: ${(r.stderr || r.stdout).trim()}`, r.status);
    return r.stdout;
  };
  const applyArgs = ['apply', '--server-side', '--field-manager=dualstack-conformance', '-f', '-'];

  if (t.source.from === 'upstream') {
    t.log(`MetalLB: ${t.source.manifest} (images pulled by the cluster)`);
    // Plain apply of the URL, as upstream documents it; kubectl fetches it, the host needs no other tool.
    k(['apply', '-f', t.source.manifest]);
  } else {
    const crds = upstreamCrdFiles();
    k(['apply', '--server-side', '--field-manager=dualstack-conformance', ...crds.flatMap((f) => ['-f', f])]);
    const crdNames = crds.map((f) => loadYaml<{ metadata: { name: string } }>(readFileSync(f, 'utf8')).metadata.name);
    k(['wait', '--for=condition=Established', '--timeout=60s', ...crdNames.map((n) => `crd/${n}`)]);
    k(applyArgs, metallbManifest());
  }
  try {
    k(['-n', metallbNamespace, 'rollout', 'status', 'deployment/controller', '--timeout=180s']);
    k(['-n', metallbNamespace, 'rollout', 'status', 'daemonset/speaker', '--timeout=180s']);
  } catch (err) {
    const pods = kc(['-n', metallbNamespace, 'get', 'pods', '-o', 'wide']);
    throw new CommandError(`MetalLB did not become Ready: ${(err as Error).message}\n${pods.stdout}`, 1);
  }
  // Upstream's validating webhook answers only once the controller has its certificate, shortly after it is
  // Ready; until then the pool is refused ("failed calling webhook"). Our manifest has no webhook: first try wins.
  const pool = poolManifest(t.pool);
  for (let attempt = 1; ; attempt++) {
    const r = kc(applyArgs, pool);
    if (r.status === 0) break;
    if (attempt >= 30 || !/webhook/i.test(r.stderr)) throw new CommandError(`kubectl apply (MetalLB pool): ${(r.stderr || r.stdout).trim()}`, r.status);
    await sleep(3000);
  }
  t.log(`MetalLB pool: ${t.pool.map(rangeText).join(', ')}`);
}
