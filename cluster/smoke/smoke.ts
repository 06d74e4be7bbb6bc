// smoke: is this cluster a working cluster of its variant? Runs before any verdict, so a broken cluster is
// reported as broken, never as a conformance result. Probes run only from inside pods; addresses are judged by the
// suite's family model (judge.ts).
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { CaseRunner } from '../../lib/cases.ts';
import { runProcess, type Finished } from '../../lib/process.ts';
import { familyOf, joinHostPort } from '../../lib/ip.ts';
import { podIPsOf } from '../../support/judgements/objects.ts';
import type { ClusterRecord } from '../lib/records.ts';
import { expectedFamilies, variantLabel } from '../lib/variant.ts';
import { judgeClusterIps, judgeLoadBalancerFamilies, judgeLoadBalancerPool, judgeNodeInternalIps, judgeNodePodCidrs, judgePodIps } from './judge.ts';
import { smokeManifest } from './manifest.ts';

/** A case's detail when there are no problems; otherwise it fails with them. */
function verdict(problems: readonly string[], detail: string): string {
  if (problems.length > 0) throw new Error(problems.join('; '));
  return detail;
}

const isReady = (node: V1Node): boolean => node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
const nameOf = (object: { metadata?: { name?: string } }): string => object.metadata?.name ?? '?';

export async function smoke(rec: ClusterRecord, kubectl: string): Promise<boolean> {
  const want = expectedFamilies(rec);
  const ns = `dsc-smoke-${randomBytes(3).toString('hex')}`;
  const k = (args: readonly string[], options: { input?: string; timeoutMs?: number } = {}): Promise<Finished> =>
    runProcess(kubectl, ['--kubeconfig', rec.kubeconfig, '--context', `kind-${rec.name}`, ...args], { timeoutMs: 180_000, ...options });
  const kjson = async <T>(...args: string[]): Promise<T> => {
    const r = await k([...args, '-o', 'json']);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr.trim()}`);
    return JSON.parse(r.stdout) as T;
  };
  const runner = new CaseRunner({ label: 'smoke' });
  const check = (name: string, fn: () => Promise<string> | string): Promise<boolean> => runner.run({ name, fn: async () => fn() });

  process.stdout.write(`smoke: cluster "${rec.name}", ${variantLabel(rec)}, expected families [${want.join(', ')}]\n`);
  try {
    const nodes = (await kjson<{ items: V1Node[] }>('get', 'nodes')).items;
    await check('nodes: two nodes, all Ready', () => {
      const ready = nodes.filter(isReady);
      if (nodes.length !== 2 || ready.length !== 2) throw new Error(`nodes=${nodes.length} ready=${ready.map(nameOf).join(',')}`);
      return nodes.map(nameOf).join(', ');
    });
    for (const n of nodes) {
      await check(`node ${nameOf(n)}: podCIDRs of families [${want.join(', ')}]`, () => verdict(judgeNodePodCidrs(n, want), (n.spec?.podCIDRs ?? []).join(', ')));
      await check(`node ${nameOf(n)}: an InternalIP of each family`, () => {
        const ips = (n.status?.addresses ?? []).filter((a) => a.type === 'InternalIP').map((a) => a.address);
        return verdict(judgeNodeInternalIps(n, want), ips.join(', '));
      });
    }

    // Two agnhost servers, one per node, and a Service in front of them.
    const apply = await k(['apply', '-f', '-'], { input: smokeManifest(ns, nodes.map(nameOf), want, rec.metallb ?? false) });
    if (apply.code !== 0) throw new Error(`creating smoke objects failed: ${apply.stderr.trim()}`);
    const wait = await k(['-n', ns, 'wait', '--for=condition=Ready', 'pod', '--all', '--timeout=120s']);
    if (wait.code !== 0) {
      const pods = (await k(['-n', ns, 'get', 'pods', '-o', 'wide'])).stdout;
      const events = (await k(['-n', ns, 'get', 'events', '--sort-by=.lastTimestamp'])).stdout;
      throw new Error(`smoke pods not Ready in 120 s: ${wait.stderr.trim()}\n${pods}\n${events}`);
    }
    const pods = (await kjson<{ items: V1Pod[] }>('-n', ns, 'get', 'pods')).items.sort((a, b) => nameOf(a).localeCompare(nameOf(b)));
    const [a, b] = pods;
    if (!a || !b) throw new Error(`expected 2 smoke pods, got ${pods.length}`);
    for (const p of pods) {
      await check(`pod ${nameOf(p)}: podIPs of families [${want.join(', ')}]`, () => verdict(judgePodIps(p, want), `${podIPsOf(p).join(', ')} on ${p.spec?.nodeName ?? '?'}`));
    }
    const svc = await kjson<{ spec: { clusterIPs?: string[]; ipFamilies?: string[] } }>('-n', ns, 'get', 'service', 'smoke');
    const clusterIPs = svc.spec.clusterIPs ?? [];
    await check(`service smoke (${want.length === 2 ? 'RequireDualStack' : 'SingleStack'}): clusterIPs of families [${want.join(', ')}]`, () =>
      verdict(
        judgeClusterIps('smoke', clusterIPs, want).map((problem) => `${problem} (ipFamilies=[${(svc.spec.ipFamilies ?? []).join(', ')}])`),
        clusterIPs.join(', '),
      ),
    );
    // Retried for a bounded time: kube-proxy programs a new Service a moment after it is created.
    // busybox 1.35's wget crashes with -T, so the timeout applet bounds each try.
    const get = async (from: V1Pod, target: string): Promise<Finished> => {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const r = await k(['-n', ns, 'exec', nameOf(from), '--', 'timeout', '5', 'wget', '-q', '-O', '-', `http://${target}/hostname`]);
        if (r.code === 0 || Date.now() > deadline) return r;
      }
    };
    const answered = (r: Finished, by: readonly string[]): string => {
      if (r.code !== 0 || !by.includes(r.stdout.trim())) throw new Error(`exit ${r.code}: ${(r.stdout + r.stderr).trim()}`);
      return r.stdout.trim();
    };
    for (const ip of clusterIPs) {
      await check(`${nameOf(a)} -> service smoke (${joinHostPort(ip, 80)}) over ${familyOf(ip) ?? 'no family'}`, async () => {
        return `answered by ${answered(await get(a, joinHostPort(ip, 80)), pods.map(nameOf))}`;
      });
    }
    for (const ip of podIPsOf(b)) {
      await check(`${nameOf(a)} (${a.spec?.nodeName ?? '?'}) -> ${nameOf(b)} (${joinHostPort(ip, 9376)}) across nodes over ${familyOf(ip) ?? 'no family'}`, async () => {
        return `answered by ${answered(await get(a, joinHostPort(ip, 9376)), [nameOf(b)])} on ${b.spec?.nodeName ?? '?'}`;
      });
    }
    if (rec.metallb) {
      // Allocation only: reaching the addresses from off-cluster is the suite's job.
      await check(`service smoke-lb (LoadBalancer): an external IP of each family [${want.join(', ')}] within 60 s, from the MetalLB pool`, async () => {
        const deadline = Date.now() + 60_000;
        for (;;) {
          const lb = await kjson<{ status: { loadBalancer?: { ingress?: { ip?: string }[] } } }>('-n', ns, 'get', 'service', 'smoke-lb');
          const ips = (lb.status.loadBalancer?.ingress ?? []).flatMap((i) => (i.ip ? [i.ip] : []));
          // MetalLB assigns in a moment; what it assigned is final, so only missing families are waited for.
          const missing = judgeLoadBalancerFamilies('smoke-lb', ips, want);
          if (missing.length === 0) return verdict(judgeLoadBalancerPool('smoke-lb', ips, rec.lbPool), ips.join(', '));
          if (Date.now() > deadline) return verdict(missing.map((problem) => `${problem} after 60 s`), ips.join(', '));
          await sleep(1_000);
        }
      });
    }
    const kubernetesSvc = await kjson<{ spec: { clusterIPs: string[] } }>('-n', 'default', 'get', 'service', 'kubernetes');
    for (const ip of kubernetesSvc.spec.clusterIPs) {
      const type = familyOf(ip) === 'IPv6' ? 'aaaa' : 'a';
      await check(`CoreDNS answers ${type.toUpperCase()} for kubernetes.default.svc.cluster.local`, async () => {
        const r = await k(['-n', ns, 'exec', nameOf(a), '--', 'nslookup', `-type=${type}`, 'kubernetes.default.svc.cluster.local']);
        const found = r.stdout.split('\n').some((line) => line.startsWith('Address') && line.includes(ip) && !line.includes('#53'));
        if (r.code !== 0 || !found) throw new Error(`expected ${ip}; got exit ${r.code}: ${(r.stdout + r.stderr).trim()}`);
        return ip;
      });
    }
  } catch (error) {
    await runner.run({ name: 'smoke setup', fn: () => Promise.reject(error) });
  } finally {
    await k(['delete', 'namespace', ns, '--wait=false', '--ignore-not-found']);
  }
  return runner.finish({ table: false }) === 0;
}
