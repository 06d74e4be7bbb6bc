// Robustness: a failed run kept with --keep-on-failure leaves nothing exposed. One check fails honestly: a fixture
// copy (DSC_FIXTURES_DIR) whose IPv6 LoadBalancer Service targets a port nothing serves, so lb.ipv6.reachable never
// gets an answer. While the run probes, the LoadBalancer Services' source ranges are read back from the API and from
// kube-proxy's rules on every node, and a pod of the run (outside the ranges) must get no answer from the LB IPs.
// After it, the kept namespaces must hold no LoadBalancer Service, no pod with a ServiceAccount token and no netexec,
// and a backend asked for /shell and /exit from inside the cluster answers its hostname only. Then they are deleted.
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT as projectDir } from '../lib/paths.ts';
import { RUN_ID_LABEL } from '../support/namespace.ts';
import { describeRun, execText, expectCode, kubectl, runOf, runSuite, sleep, withTempDir, type RobustnessCase, type RobustnessTarget } from './robustness-harness.ts';

const LB_FIXTURE = 'services/dual-stack-ipv6-lb-svc.yaml';
const TOKEN_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';

interface ServiceJson {
  metadata: { name: string };
  spec: { type?: string; loadBalancerSourceRanges?: string[] };
  status?: { loadBalancer?: { ingress?: { ip?: string }[] } };
}

interface PodJson {
  metadata: { name: string };
  spec: {
    automountServiceAccountToken?: boolean;
    volumes?: { name: string; projected?: { sources?: { serviceAccountToken?: unknown }[] } }[];
    containers: { name: string; command?: string[]; args?: string[]; volumeMounts?: { mountPath: string }[] }[];
  };
  status: { podIPs?: { ip: string }[]; containerStatuses?: { name: string; restartCount: number }[] };
}

async function items<T>(kubeconfig: string, args: readonly string[]): Promise<T[]> {
  return (JSON.parse(await kubectl(kubeconfig, [...args, '-o', 'json'])) as { items: T[] }).items;
}

/** Polls until `observe` returns a value, or throws with the last reason it gave. */
async function until<T>(what: string, withinMs: number, observe: () => Promise<T | string>): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const observed = await observe();
    if (typeof observed !== 'string') return observed;
    if (Date.now() > deadline) throw new Error(`${what} not within ${withinMs / 1000} s: ${observed}`);
    await sleep(1_000);
  }
}

const ingressIps = (service: ServiceJson): string[] => (service.status?.loadBalancer?.ingress ?? []).flatMap((entry) => (entry.ip ? [entry.ip] : []));
const url = (ip: string, port: number, path: string): string => `http://${ip.includes(':') ? `[${ip}]` : ip}:${port}${path}`;
const sameSet = (a: readonly string[], b: readonly string[]): boolean => [...a].sort().join(',') === [...b].sort().join(',');

/**
 * A GET from a pod of the run: the body and wget's exit code (124/143: no answer in time). The exit code is printed,
 * so a failed exec (pod not ready) throws instead of passing for "no answer".
 */
async function getFromPod(kubeconfig: string, namespace: string, pod: string, target: string, seconds: number): Promise<{ body: string; exit: number }> {
  const script = 'timeout "$1" wget -q -O - "$2"; echo " exit=$?"';
  const out = await kubectl(kubeconfig, ['-n', namespace, 'exec', pod, '--', 'sh', '-c', script, 'sh', String(seconds), target]);
  const match = /^([^]*) exit=(\d+)\s*$/.exec(out);
  if (!match) throw new Error(`unexpected output of wget ${target} in ${pod}: ${out}`);
  return { body: match[1] ?? '', exit: Number(match[2]) };
}

/** Read while the run probes: the ranges on the Services, in kube-proxy's rules, and in force for a pod. */
async function restrictionDuringRun(kubeconfig: string, stdout: string): Promise<string> {
  const run = runOf(stdout);
  const line = /LoadBalancer source ranges of ([^:]+): (.+?) \(/.exec(stdout);
  const network = /Off-cluster client: docker network (\S+) /.exec(stdout)?.[1];
  if (!run || !line?.[2] || !network) throw new Error(`no run header, source-range line or off-cluster network in stdout: ${stdout.slice(0, 400)}`);
  const ranges = line[2].split(', ');
  const subnets = (JSON.parse(await execText('docker', ['network', 'inspect', network, '--format', '{{json .IPAM.Config}}'])) as { Subnet: string }[]).map(
    (config) => config.Subnet,
  );
  if (!sameSet(ranges, subnets)) throw new Error(`source ranges [${ranges.join(', ')}] are not docker network ${network}'s subnets [${subnets.join(', ')}]`);

  const services = await until('both LoadBalancer Services with their external IPs', 30_000, async () => {
    const lbs = (await items<ServiceJson>(kubeconfig, ['-n', run.main, 'get', 'services'])).filter((service) => service.spec.type === 'LoadBalancer');
    const waiting = lbs.filter((service) => ingressIps(service).length === 0);
    return lbs.length === 2 && waiting.length === 0 ? lbs : `LoadBalancer Services [${lbs.map((s) => `${s.metadata.name} ${ingressIps(s).join(' ')}`).join('; ')}]`;
  });
  for (const service of services) {
    if (!sameSet(service.spec.loadBalancerSourceRanges ?? [], ranges)) {
      throw new Error(`${service.metadata.name} has loadBalancerSourceRanges [${(service.spec.loadBalancerSourceRanges ?? []).join(', ')}], header said [${ranges.join(', ')}]`);
    }
  }

  // kube-proxy (iptables mode): a KUBE-FW chain per Service accepting the ranges (plus the LB IPs themselves, for
  // traffic a node sends to its own VIP), and a DROP in KUBE-PROXY-FIREWALL for every other source.
  const nodes = (await kubectl(kubeconfig, ['get', 'nodes', '-o', 'jsonpath={.items[*].metadata.name}'])).split(/\s+/).filter(Boolean);
  for (const node of nodes) {
    await until(`kube-proxy rules for the LB Services on ${node}`, 20_000, async () => {
      const rules = `${await execText('docker', ['exec', node, 'iptables-save'])}\n${await execText('docker', ['exec', node, 'ip6tables-save'])}`.split('\n');
      for (const service of services) {
        const tag = `${run.main}/${service.metadata.name}`;
        const hostRoutes = ingressIps(service).map((ip) => `${ip}/${ip.includes(':') ? 128 : 32}`);
        const accepted = rules.flatMap((rule) => {
          const match = /^-A KUBE-FW-\S+ -s (\S+) -m comment --comment "([^"]+)" -j KUBE-EXT-/.exec(rule);
          return match?.[1] && match[2]?.startsWith(tag) ? [match[1]] : [];
        });
        // kube-proxy applies the ranges of the Service's own families only.
        const families = new Set(hostRoutes.map((route) => route.includes(':')));
        const expected = [...ranges.filter((range) => families.has(range.includes(':'))), ...hostRoutes];
        if (!sameSet(accepted, expected)) {
          const seen = rules.filter((rule) => rule.includes(tag)).slice(0, 12);
          return `${tag}: KUBE-FW accepts [${accepted.join(', ')}], expected [${expected.join(', ')}]; rules naming it: ${seen.join(' | ')}`;
        }
        const undropped = hostRoutes.filter((route) => !rules.some((rule) => rule.startsWith(`-A KUBE-PROXY-FIREWALL -d ${route} `) && rule.includes(tag) && rule.endsWith('-j DROP')));
        if (undropped.length > 0) return `${tag}: no KUBE-PROXY-FIREWALL DROP for ${undropped.join(', ')}`;
      }
      return true;
    });
  }

  // The client pod is in the pod CIDRs, outside the ranges: kube-proxy must drop what it sends to the LB IPs.
  const dual = services.find((service) => ingressIps(service).length === 2) ?? services[0];
  const targets = ingressIps(dual!).map((ip) => url(ip, 80, '/'));
  await until('pod client Ready for exec', 60_000, () => kubectl(kubeconfig, ['-n', run.main, 'exec', 'client', '--', 'true']).then(() => true, (error: unknown) => String(error)));
  const answers = await Promise.all(targets.map((target) => getFromPod(kubeconfig, run.main, 'client', target, 3)));
  const answered = answers.flatMap((answer, index) => (answer.exit === 0 || answer.body !== '' ? [`${targets[index]}: ${JSON.stringify(answer)}`] : []));
  if (answered.length > 0) throw new Error(`pod client (outside the ranges) got answers: ${answered.join('; ')}`);
  return (
    `ranges [${ranges.join(', ')}] = docker network ${network}'s subnets, on ${services.map((s) => s.metadata.name).join(' and ')}; ` +
    `kube-proxy on ${nodes.join(', ')} accepts only them (and the LB IPs) and drops the rest; pod client got no answer from ${targets.join(', ')} (${answers.map((a) => `exit ${a.exit}`).join(', ')})`
  );
}

/** After the run: the kept namespaces hold nothing exposed, and a backend offers no shell. */
async function nothingExposedAfter(kubeconfig: string, run: { runId: string; main: string; host: string }): Promise<string> {
  const problems: string[] = [];
  const namespaces = [run.main, run.host];
  const services = (await Promise.all(namespaces.map((ns) => items<ServiceJson>(kubeconfig, ['-n', ns, 'get', 'services'])))).flat();
  const lbs = services.filter((service) => service.spec.type === 'LoadBalancer').map((service) => service.metadata.name);
  if (lbs.length > 0) problems.push(`LoadBalancer Services kept: ${lbs.join(', ')}`);
  const pods = (await Promise.all(namespaces.map((ns) => items<PodJson>(kubeconfig, ['-n', ns, 'get', 'pods'])))).flat();
  if (pods.length === 0) problems.push(`no pod kept in ${namespaces.join(', ')}`);
  for (const pod of pods) {
    const tokenVolumes = (pod.spec.volumes ?? []).filter((volume) => volume.projected?.sources?.some((source) => source.serviceAccountToken !== undefined));
    const mounts = pod.spec.containers.flatMap((c) => (c.volumeMounts ?? []).filter((m) => m.mountPath.startsWith(TOKEN_PATH)).map(() => c.name));
    if (pod.spec.automountServiceAccountToken !== false || tokenVolumes.length > 0 || mounts.length > 0) {
      problems.push(`${pod.metadata.name}: automountServiceAccountToken=${String(pod.spec.automountServiceAccountToken)}, token volumes [${tokenVolumes.map((v) => v.name).join(', ')}], mounted in [${mounts.join(', ')}]`);
    }
    for (const container of pod.spec.containers) {
      const commandLine = [...(container.command ?? []), ...(container.args ?? [])].join(' ');
      if (commandLine.includes('netexec')) problems.push(`${pod.metadata.name}/${container.name} runs ${commandLine}`);
    }
  }

  // netexec would run `id` for /shell and exit for /exit; serve-hostname answers every path with its hostname.
  const backends = pods.filter((pod) => pod.metadata.name.startsWith('backend-'));
  const restarts = (pod: PodJson | undefined): number => (pod?.status.containerStatuses ?? []).reduce((sum, status) => sum + status.restartCount, 0);
  const asked = backends.flatMap((pod) =>
    (pod.status.podIPs ?? []).flatMap(({ ip }) => ['/shell?cmd=id', '/exit?code=3'].map((path) => ({ pod: pod.metadata.name, target: url(ip, 9376, path) }))),
  );
  const answers = await Promise.all(asked.map((request) => getFromPod(kubeconfig, run.main, 'client', request.target, 5)));
  asked.forEach((request, index) => {
    const answer = answers[index];
    if (answer?.exit !== 0 || answer.body !== request.pod) problems.push(`${request.target} answered ${JSON.stringify(answer)}, expected only the hostname ${request.pod}`);
  });
  await sleep(2_000);
  const after = await items<PodJson>(kubeconfig, ['-n', run.main, 'get', 'pods']);
  for (const pod of backends) {
    const now = after.find((candidate) => candidate.metadata.name === pod.metadata.name);
    if (restarts(now) !== restarts(pod)) problems.push(`${pod.metadata.name} restarted after /exit (${restarts(pod)} -> ${restarts(now)})`);
  }
  if (problems.length > 0) throw new Error(problems.join('; '));
  return (
    `kept ${namespaces.join(' + ')}: Services [${services.map((s) => s.metadata.name).join(', ')}], none LoadBalancer; ` +
    `${pods.length} pods, none with a token or netexec; ${asked.length} requests for /shell?cmd=id and /exit to ${backends.map((b) => b.metadata.name).join(', ')} ` +
    `(both families) answered only the hostname, no restart`
  );
}

export function exposureCases(target: RobustnessTarget): RobustnessCase[] {
  const { kubeconfig } = target;
  return [
    {
      name: '--keep-on-failure: a failed run keeps nothing exposed (no LoadBalancer Service, token, netexec or shell); LB source ranges in force',
      fn: () =>
        withTempDir('exposure', async (dir) => {
          const fixtures = join(dir, 'fixtures');
          cpSync(join(projectDir, 'fixtures'), fixtures, { recursive: true });
          const file = join(fixtures, LB_FIXTURE);
          const text = readFileSync(file, 'utf8');
          if (text.split('targetPort: 9376').length !== 2) throw new Error(`${LB_FIXTURE} no longer has one targetPort: 9376`);
          // Nothing listens on 9377: lb.ipv6.reachable fails, every other LB check still passes.
          writeFileSync(file, text.replace('targetPort: 9376', 'targetPort: 9377'));
          let during: Promise<string> | undefined;
          let run: ReturnType<typeof runOf>;
          try {
            const r = await runSuite({
              args: ['--keep-on-failure', '--grep', 'LoadBalancer: ', '--reports-dir', join(dir, 'reports')],
              env: { KUBECONFIG: kubeconfig, DSC_FIXTURES_DIR: fixtures, DSC_TIMEOUT_CONNECTIVITY: '15s' },
              timeoutMs: 150_000,
              onPhase: (phase, _pid, soFar) => {
                run ??= runOf(soFar.stdout);
                // From phase=wait the LB Services exist; they stay until the checks are done (lb.ipv6.reachable's 15 s at least).
                if (phase === 'wait' && !during) {
                  during = restrictionDuringRun(kubeconfig, soFar.stdout);
                  during.catch(() => undefined);
                }
              },
            });
            run = runOf(r.stdout) ?? run;
            if (!run || !during) throw new Error(`no run header or phase=wait; ${describeRun(r)}`);
            const inForce = await during;
            expectCode(r, 1);
            const summaryFile = join(dir, 'reports', 'summary.json');
            const checks = existsSync(summaryFile) ? (JSON.parse(readFileSync(summaryFile, 'utf8')) as { checks: { id: string; verdict: string }[] }).checks : [];
            const verdicts = checks.map((check) => `${check.id} ${check.verdict}`).join(', ');
            const wanted = checks.every((check) => (check.id === 'lb.ipv6.reachable' ? check.verdict === 'failed' : check.verdict === 'passed'));
            if (checks.length !== 5 || !wanted) throw new Error(`expected the 5 LB checks, only lb.ipv6.reachable failing: ${verdicts || 'no summary.json'}`);
            if (!r.stdout.includes(`Kept namespaces ${run.main} and ${run.host}`)) throw new Error(`the namespaces were not kept; ${describeRun(r)}`);
            const deletedLine = r.stdout.split('\n').find((text) => text.includes('LoadBalancer Services deleted after the checks'))?.trim();
            if (!deletedLine) throw new Error(`no "LoadBalancer Services deleted" line; ${describeRun(r)}`);
            const kept = await nothingExposedAfter(kubeconfig, run);
            const client = (await execText('docker', ['ps', '-a', '--filter', `name=dsc-offcluster-${run.runId}`, '--format', '{{.Names}}'])).trim();
            if (client !== '') throw new Error(`off-cluster client container ${client} still exists`);
            return `run ${run.runId} exit 1 after ${r.seconds.toFixed(1)} s (${verdicts}); during the run: ${inForce}; ${deletedLine}; ${kept}`;
          } finally {
            if (run) {
              await kubectl(kubeconfig, ['delete', 'namespace', '-l', `${RUN_ID_LABEL}=${run.runId}`, '--wait=true', '--timeout=90s']).catch(() => '');
            }
          }
        }),
    },
  ];
}
