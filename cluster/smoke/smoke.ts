// smoke: is this cluster a working cluster of its variant? Runs before any verdict, so a broken cluster is
// reported as broken, never as a conformance result. Probes run only from inside pods.
import ipaddr from 'ipaddr.js';
import { randomBytes } from 'node:crypto';
import { capture } from '../lib/run.ts';
import type { ClusterRecord } from '../lib/records.ts';
import type { IpFamily as Family } from '../../lib/ip.ts';
import { expectedFamilies, variantLabel } from '../lib/variant.ts';
import { smokeManifest } from './manifest.ts';

interface Result {
  name: string;
  ok: boolean;
  detail: string;
}

const familyOf = (ip: string): Family => (ipaddr.parse(ip).kind() === 'ipv6' ? 'IPv6' : 'IPv4');
const hostPort = (ip: string, port: number) => (familyOf(ip) === 'IPv6' ? `[${ip}]:${port}` : `${ip}:${port}`);
const sameList = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
const toBig = (ip: string) => ipaddr.parse(ip).toByteArray().reduce((n, b) => (n << 8n) | BigInt(b), 0n);
/** Whether ip lies in a range written first-last (the cluster record's lbPool). */
function inRange(ip: string, range: string): boolean {
  const [first = '', last = ''] = range.split('-');
  return familyOf(ip) === familyOf(first) && toBig(ip) >= toBig(first) && toBig(ip) <= toBig(last);
}

interface NodeJson {
  metadata: { name: string };
  spec: { podCIDRs?: string[] };
  status: { addresses: { type: string; address: string }[]; conditions: { type: string; status: string }[] };
}
interface PodJson {
  metadata: { name: string };
  spec: { nodeName: string };
  status: { podIPs?: { ip: string }[] };
}

export async function smoke(rec: ClusterRecord, kubectl: string): Promise<boolean> {
  const want = expectedFamilies(rec);
  const ns = `dsc-smoke-${randomBytes(3).toString('hex')}`;
  const k = (...args: string[]) => capture(kubectl, ['--kubeconfig', rec.kubeconfig, '--context', `kind-${rec.name}`, ...args]);
  const kjson = <T>(...args: string[]): T => {
    const r = k(...args, '-o', 'json');
    if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr.trim()}`);
    return JSON.parse(r.stdout) as T;
  };
  const results: Result[] = [];
  const check = (name: string, fn: () => string) => {
    try {
      results.push({ name, ok: true, detail: fn() });
    } catch (err) {
      results.push({ name, ok: false, detail: (err as Error).message });
    }
    const r = results[results.length - 1]!;
    process.stdout.write(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name}: ${r.detail}\n`);
  };
  const fail = (msg: string): never => {
    throw new Error(msg);
  };

  process.stdout.write(`smoke: cluster "${rec.name}", ${variantLabel(rec)}, expected families [${want.join(', ')}]\n`);
  try {
    const nodes = kjson<{ items: NodeJson[] }>('get', 'nodes').items;
    check('nodes: two nodes, all Ready', () => {
      const ready = nodes.filter((n) => n.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True'));
      if (nodes.length !== 2 || ready.length !== 2) fail(`nodes=${nodes.length} ready=${ready.map((n) => n.metadata.name).join(',')}`);
      return nodes.map((n) => n.metadata.name).join(', ');
    });
    for (const n of nodes) {
      check(`node ${n.metadata.name}: podCIDRs of families [${want.join(', ')}]`, () => {
        const cidrs = n.spec.podCIDRs ?? [];
        const fams = cidrs.map((c) => familyOf(ipaddr.parseCIDR(c)[0].toString()));
        if (!sameList(fams, want)) fail(`podCIDRs=[${cidrs.join(', ')}] families=[${fams.join(', ')}]`);
        return cidrs.join(', ');
      });
      check(`node ${n.metadata.name}: an InternalIP of each family`, () => {
        const ips = n.status.addresses.filter((a) => a.type === 'InternalIP').map((a) => a.address);
        const fams = new Set(ips.map(familyOf));
        if (!want.every((f) => fams.has(f)) || fams.size !== want.length) fail(`InternalIPs=[${ips.join(', ')}]`);
        return ips.join(', ');
      });
    }

    // Two agnhost servers, one per node, and a Service in front of them.
    const apply = capture(kubectl, ['--kubeconfig', rec.kubeconfig, '--context', `kind-${rec.name}`, 'apply', '-f', '-'],
      smokeManifest(ns, nodes.map((n) => n.metadata.name), want, rec.metallb ?? false));
    if (apply.status !== 0) throw new Error(`creating smoke objects failed: ${apply.stderr.trim()}`);
    const wait = k('-n', ns, 'wait', '--for=condition=Ready', 'pod', '--all', '--timeout=120s');
    if (wait.status !== 0) {
      const pods = k('-n', ns, 'get', 'pods', '-o', 'wide').stdout;
      const events = k('-n', ns, 'get', 'events', '--sort-by=.lastTimestamp').stdout;
      throw new Error(`smoke pods not Ready in 120 s: ${wait.stderr.trim()}\n${pods}\n${events}`);
    }
    const pods = kjson<{ items: PodJson[] }>('-n', ns, 'get', 'pods').items.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    const [a, b] = pods;
    if (!a || !b) throw new Error(`expected 2 smoke pods, got ${pods.length}`);
    for (const p of pods) {
      check(`pod ${p.metadata.name}: podIPs of families [${want.join(', ')}]`, () => {
        const ips = (p.status.podIPs ?? []).map((x) => x.ip);
        if (!sameList(ips.map(familyOf), want)) fail(`podIPs=[${ips.join(', ')}]`);
        return `${ips.join(', ')} on ${p.spec.nodeName}`;
      });
    }
    const svc = kjson<{ spec: { clusterIPs?: string[]; ipFamilies?: string[] } }>('-n', ns, 'get', 'service', 'smoke');
    const clusterIPs = svc.spec.clusterIPs ?? [];
    check(`service smoke (${want.length === 2 ? 'RequireDualStack' : 'SingleStack'}): clusterIPs of families [${want.join(', ')}]`, () => {
      if (!sameList(clusterIPs.map(familyOf), want)) fail(`clusterIPs=[${clusterIPs.join(', ')}] ipFamilies=[${(svc.spec.ipFamilies ?? []).join(', ')}]`);
      return clusterIPs.join(', ');
    });
    // Retried for a bounded time: kube-proxy programs a new Service a moment after it is created.
    // busybox 1.35's wget crashes with -T, so the timeout applet bounds each try.
    const get = (from: PodJson, target: string) => {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const r = k('-n', ns, 'exec', from.metadata.name, '--', 'timeout', '5', 'wget', '-q', '-O', '-', `http://${target}/hostname`);
        if (r.status === 0 || Date.now() > deadline) return r;
      }
    };
    for (const ip of clusterIPs) {
      check(`${a.metadata.name} -> service smoke (${hostPort(ip, 80)}) over ${familyOf(ip)}`, () => {
        const r = get(a, hostPort(ip, 80));
        if (r.status !== 0 || !pods.some((p) => p.metadata.name === r.stdout.trim())) fail(`exit ${r.status}: ${(r.stdout + r.stderr).trim()}`);
        return `answered by ${r.stdout.trim()}`;
      });
    }
    for (const { ip } of b.status.podIPs ?? []) {
      check(`${a.metadata.name} (${a.spec.nodeName}) -> ${b.metadata.name} (${hostPort(ip, 9376)}) across nodes over ${familyOf(ip)}`, () => {
        const r = get(a, hostPort(ip, 9376));
        if (r.status !== 0 || r.stdout.trim() !== b.metadata.name) fail(`exit ${r.status}: ${(r.stdout + r.stderr).trim()}`);
        return `answered by ${r.stdout.trim()} on ${b.spec.nodeName}`;
      });
    }
    if (rec.metallb) {
      // Allocation only: reaching the addresses from off-cluster is the suite's job.
      check(`service smoke-lb (LoadBalancer): an external IP of each family [${want.join(', ')}] within 60 s, from the MetalLB pool`, () => {
        const deadline = Date.now() + 60_000;
        let ips: string[] = [];
        for (;;) {
          const lb = kjson<{ status: { loadBalancer?: { ingress?: { ip?: string }[] } } }>('-n', ns, 'get', 'service', 'smoke-lb');
          ips = (lb.status.loadBalancer?.ingress ?? []).flatMap((i) => (i.ip ? [i.ip] : []));
          if (sameList(ips.map(familyOf).sort(), [...want].sort()) || Date.now() > deadline) break;
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1_000);
        }
        if (!sameList(ips.map(familyOf).sort(), [...want].sort())) fail(`ingress=[${ips.join(', ')}] after 60 s`);
        const outside = ips.filter((ip) => rec.lbPool && !rec.lbPool.some((range) => inRange(ip, range)));
        if (outside.length > 0) fail(`ingress=[${ips.join(', ')}]: ${outside.join(', ')} outside the pool [${(rec.lbPool ?? []).join(', ')}]`);
        return ips.join(', ');
      });
    }
    const kubernetesSvc = kjson<{ spec: { clusterIPs: string[] } }>('-n', 'default', 'get', 'service', 'kubernetes');
    for (const ip of kubernetesSvc.spec.clusterIPs) {
      const type = familyOf(ip) === 'IPv6' ? 'aaaa' : 'a';
      check(`CoreDNS answers ${type.toUpperCase()} for kubernetes.default.svc.cluster.local`, () => {
        const r = k('-n', ns, 'exec', a.metadata.name, '--', 'nslookup', `-type=${type}`, 'kubernetes.default.svc.cluster.local');
        const answered = r.stdout.split('\n').some((line) => line.startsWith('Address') && line.includes(ip) && !line.includes('#53'));
        if (r.status !== 0 || !answered) fail(`expected ${ip}; got exit ${r.status}: ${(r.stdout + r.stderr).trim()}`);
        return ip;
      });
    }
  } catch (err) {
    results.push({ name: 'smoke setup', ok: false, detail: (err as Error).message });
    process.stdout.write(`FAIL smoke setup: ${(err as Error).message}\n`);
  } finally {
    k('delete', 'namespace', ns, '--wait=false', '--ignore-not-found');
  }
  const failed = results.filter((r) => !r.ok).length;
  process.stdout.write(`smoke: ${results.length - failed} passed, ${failed} failed\n`);
  return failed === 0;
}
