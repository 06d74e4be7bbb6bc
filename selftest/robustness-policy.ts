// Least privilege that holds: deploy/rbac.yaml + deploy/policy.yaml applied, then, as the suite's ServiceAccount,
// each thing a leaked token must not do is tried and refused (by the policy, Pod Security or RBAC, as the message
// says) beside its legitimate counterpart, which must work (a refusal alone proves nothing); then the whole suite runs
// --strict under that identity. Attempts whose success would harm the cluster (a privileged or hostPath pod, a
// deletecollection in kube-system) are server-side dry runs: admission runs on them exactly as on real requests.
// Everything applied is removed at the end, checked by name (other runs may share the cluster, so not by a snapshot).
import { join } from 'node:path';
import { PROJECT_ROOT as projectDir } from '../lib/paths.ts';
import { IMAGE_SETTINGS } from '../support/config.ts';
import { newRunId, runNamespaceNames, namespaceManifests } from '../support/namespace.ts';
import { kindNetworkContainers } from './leaks.ts';
import {
  clusterAccess,
  describeRun,
  expectCode,
  kubectl,
  runOf,
  runSuite,
  sleep,
  withTempDir,
  writeKubeconfig,
  type RobustnessCase,
  type RobustnessTarget,
} from './robustness-harness.ts';

const POLICY = "ValidatingAdmissionPolicy 'dualstack-conformance'";
const POD_SECURITY = 'violates PodSecurity';
const ACCOUNT = 'system:serviceaccount:dualstack-conformance:dualstack-conformance';
/** `-f deploy/rbac.yaml -f deploy/policy.yaml`: the least-privilege identity and its confinement, applied together. */
export const MANIFESTS = ['rbac.yaml', 'policy.yaml'].flatMap((file) => ['-f', join(projectDir, 'deploy', file)]);


/** The server's answer in a failed kubectl's error ("Error from server (Forbidden): ..."), or the whole error. */
function serverAnswer(error: unknown): string {
  const text = (error as Error).message;
  const at = text.indexOf('Error from server');
  return (at >= 0 ? text.slice(at) : text).trim().split('\n')[0] ?? '';
}

/** Runs a request that must be refused by `by` (a fragment of the message naming the layer); returns the message. */
async function refused(what: string, by: string, attempt: Promise<string>): Promise<string> {
  let answer: string;
  try {
    answer = `succeeded: ${(await attempt).trim()}`;
  } catch (error) {
    answer = serverAnswer(error);
    // the layer and its reason, without kubectl's framing
    const reason = answer.replace(/^.*? denied request: /, `${by}: `).replace(/^Error from server \(Forbidden\): (error when creating "STDIN": )?/, '');
    if (answer.includes(by)) return `${what}: ${reason}`;
  }
  throw new Error(`${what} should have been refused (${by}); ${answer}`);
}

function podJson(name: string, namespace: string, spec: Record<string, unknown>, container: Record<string, unknown>): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace },
    spec: {
      terminationGracePeriodSeconds: 1,
      securityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: { type: 'RuntimeDefault' } },
      ...spec,
      containers: [{ name: 'agnhost', image: IMAGE_SETTINGS.agnhost.default, args: ['pause'], ...container }],
    },
  });
}
const RESTRICTED_CONTAINER = { securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } };

function serviceJson(name: string, namespace: string, spec: Record<string, unknown> = {}): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { selector: { app: name }, ports: [{ port: 80 }], ...spec } });
}

export function policyCases(target: RobustnessTarget): RobustnessCase[] {
  const admin = (args: readonly string[], input?: string): Promise<string> => kubectl(target.kubeconfig, args, input);
  return [
    {
      name: 'least privilege: under deploy/rbac.yaml + deploy/policy.yaml the ServiceAccount is refused outside its own namespaces, works inside them, and the suite passes (--strict)',
      fn: () =>
        withTempDir('policy', async (dir) => {
          const own = runNamespaceNames(newRunId());
          const victim = `dsc-${newRunId()}`; // the suite's name pattern, but not its label: someone else's
          // two namespaces that must be refused; named here so that cleanup removes them should they not be
          const stray = namespaceManifests(runNamespaceNames(newRunId())).main;
          stray.metadata = { ...stray.metadata, name: `policy-probe-${newRunId()}` };
          const privilegedMain = namespaceManifests(runNamespaceNames(newRunId())).host;
          privilegedMain.metadata = { ...privilegedMain.metadata, name: privilegedMain.metadata?.name?.replace(/-host$/, '') ?? '' };
          const mine = [own.main, own.host, victim, stray.metadata.name ?? '', privilegedMain.metadata.name ?? ''];
          const clients: string[] = []; // the run's off-cluster client container
          const started = Date.now();
          try {
            await admin(['apply', ...MANIFESTS]);
            const token = (await admin(['-n', 'dualstack-conformance', 'create', 'token', 'dualstack-conformance', '--duration', '30m'])).trim();
            const access = await clusterAccess(target.kubeconfig);
            const file = writeKubeconfig(join(dir, 'kubeconfig'), access.server, token, access.caData, 'dualstack-conformance-sa');
            const sa = (args: readonly string[], input?: string): Promise<string> => kubectl(file, args, input);
            const whoami = JSON.parse(await sa(['auth', 'whoami', '-o', 'json'])) as { status: { userInfo: { username: string } } };
            if (whoami.status.userInfo.username !== ACCOUNT) throw new Error(`the token is ${whoami.status.userInfo.username}, not ${ACCOUNT}`);

            // A new policy takes effect once the API server has loaded it: wait (bounded) until a dry run is refused.
            const effectiveWithin = Date.now() + 30_000;
            for (;;) {
              const answer = await sa(['create', '--dry-run=server', '-f', '-'], JSON.stringify(stray)).catch(serverAnswer);
              if (answer.includes(POLICY)) break;
              if (Date.now() > effectiveWithin) throw new Error(`the policy is not in effect 30 s after apply: ${answer.trim()}`);
              await sleep(500);
            }
            const effectiveAfter = (Date.now() - started) / 1000;

            await admin(['create', 'namespace', victim]);
            const { main, host } = namespaceManifests(own);
            const seen: string[] = [];
            // namespaces: the run's two are created; a name outside the pattern and a privileged main one are not
            await sa(['create', '-f', '-'], JSON.stringify(main));
            await sa(['create', '-f', '-'], JSON.stringify(host));
            seen.push(await refused('namespace outside dsc-<id>', POLICY, sa(['create', '-f', '-'], JSON.stringify(stray))));
            seen.push(await refused('main namespace labelled privileged', POLICY, sa(['create', '-f', '-'], JSON.stringify(privilegedMain))));

            // pods: a restricted pod in its namespace runs and answers exec; kube-system's do not
            await sa(['create', '-f', '-'], podJson('probe', own.main, {}, RESTRICTED_CONTAINER));
            await admin(['-n', own.main, 'wait', '--for=condition=Ready', 'pod/probe', '--timeout=90s']);
            const echoed = (await sa(['-n', own.main, 'exec', 'probe', '--', 'echo', 'exec-ok'])).trim();
            if (echoed !== 'exec-ok') throw new Error(`exec in ${own.main} answered "${echoed}"`);
            const systemPods = JSON.parse(await admin(['-n', 'kube-system', 'get', 'pods', '-l', 'k8s-app in (kube-dns,kube-proxy)', '-o', 'json'])) as {
              items: { metadata: { name: string } }[];
            };
            const systemPod = systemPods.items[0]?.metadata.name;
            if (!systemPod) throw new Error('no coredns or kube-proxy pod in kube-system to try exec on');
            seen.push(await refused(`exec into kube-system/${systemPod}`, POLICY, sa(['-n', 'kube-system', 'exec', systemPod, '--', 'true'])));
            seen.push(await refused('label patch on a kube-system pod', POLICY, sa(['-n', 'kube-system', 'label', 'pod', systemPod, 'dsc=x', '--dry-run=server'])));
            seen.push(await refused('deletecollection of kube-system pods', POLICY, sa(['delete', '--raw', '/api/v1/namespaces/kube-system/pods?dryRun=All'])));

            const privileged = podJson('privileged', own.main, { volumes: [{ name: 'root', hostPath: { path: '/' } }] }, {
              securityContext: { privileged: true },
              volumeMounts: [{ name: 'root', mountPath: '/host' }],
            });
            seen.push(await refused(`privileged hostPath pod in ${own.main}`, POD_SECURITY, sa(['create', '--dry-run=server', '-f', '-'], privileged)));
            seen.push(
              await refused(`the same pod in ${own.host}`, POLICY, sa(['create', '--dry-run=server', '-f', '-'], privileged.replaceAll(`"${own.main}"`, `"${own.host}"`))),
            );
            const hostPath = podJson('hostpath', own.host, { volumes: [{ name: 'root', hostPath: { path: '/' } }] }, {
              ...RESTRICTED_CONTAINER,
              volumeMounts: [{ name: 'root', mountPath: '/host', readOnly: true }],
            });
            seen.push(await refused(`unprivileged hostPath pod in ${own.host}`, POLICY, sa(['create', '--dry-run=server', '-f', '-'], hostPath)));
            // the -host namespace's legitimate pod: host network, nothing more
            const hostNetwork = podJson('hostnet', own.host, { hostNetwork: true }, RESTRICTED_CONTAINER);
            await sa(['create', '--dry-run=server', '-f', '-'], hostNetwork);
            const rootHostNetwork = JSON.stringify({
              apiVersion: 'v1',
              kind: 'Pod',
              metadata: { name: 'root-hostnet', namespace: own.host },
              spec: { hostNetwork: true, containers: [{ name: 'agnhost', image: IMAGE_SETTINGS.agnhost.default, args: ['pause'] }] },
            });
            seen.push(await refused(`a hostNetwork pod as root with default capabilities in ${own.host}`, POLICY, sa(['create', '--dry-run=server', '-f', '-'], rootHostNetwork)));
            seen.push(await refused('a hostNetwork pod in someone else\'s dsc- namespace', POLICY, sa(['create', '--dry-run=server', '-f', '-'], hostNetwork.replaceAll(`"${own.host}"`, `"${victim}"`))));

            // Services
            await sa(['create', '-f', '-'], serviceJson('plain', own.main));
            seen.push(await refused('Service with externalIPs', POLICY, sa(['create', '-f', '-'], serviceJson('captor', own.main, { externalIPs: ['192.0.2.10', '2001:db8::10'] }))));

            // namespaces again: someone else's cannot be deleted, the run's own can; reads outside RBAC are refused
            seen.push(await refused(`delete namespace ${victim} (unlabelled)`, POLICY, sa(['delete', 'namespace', victim, '--wait=false'])));
            seen.push(await refused('read Secrets in kube-system', 'cannot list resource "secrets"', sa(['-n', 'kube-system', 'get', 'secrets'])));
            await sa(['delete', 'namespace', own.main, own.host, '--wait=false']);
            const probesTook = (Date.now() - started) / 1000;

            const r = await runSuite({ args: ['--strict', '--reports-dir', join(dir, 'reports')], env: { KUBECONFIG: file }, timeoutMs: 240_000 });
            const run = runOf(r.stdout);
            if (run) mine.push(run.main, run.host);
            if (run) clients.push(`dsc-offcluster-${run.runId}`);
            expectCode(r, 0);
            const hidden = r.stdout.split('\n').find((text) => text.startsWith('Not visible to this identity'));
            if (hidden) throw new Error(`the ServiceAccount misses optional permissions: ${hidden}; ${describeRun(r)}`);
            const verdict = r.stdout.split('\n').find((text) => /^(PARTIAL )?PASSED/.test(text)) ?? '';
            return [
              `policy in effect ${effectiveAfter.toFixed(1)} s after apply`,
              `as ${ACCOUNT}: created ${own.main} (restricted) and ${own.host} (privileged), exec there answered "${echoed}", a restricted pod, a Service and a hostNetwork pod in -host (dry run) admitted, deleted its own namespaces`,
              `refused: ${seen.join(' | ')}`,
              `probes ${probesTook.toFixed(1)} s; then the suite (run ${run?.runId ?? '?'}, ${r.seconds.toFixed(1)} s): ${verdict}`,
              // only returned once the cleanup below found nothing left
              'left nothing (namespaces, off-cluster container, RBAC objects, policy and binding)',
            ].join('; ');
          } finally {
            await admin(['delete', 'namespace', ...mine, '--ignore-not-found', '--wait=false']).catch(() => '');
            await admin(['delete', ...MANIFESTS, '--ignore-not-found', '--wait=true', '--timeout=90s']).catch(() => '');
            await leftBehind(admin, mine, clients);
          }
        }),
    },
  ];
}

/** Throws naming whatever of the case's (and its run's) namespaces and containers, rbac.yaml and policy.yaml still
 * exists after a bounded wait (namespace deletion takes seconds). */
async function leftBehind(admin: (args: readonly string[]) => Promise<string>, namespaces: readonly string[], containers: readonly string[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const onKind = kindNetworkContainers();
    const left = [
      ...(await admin(['get', 'namespace', ...namespaces, '--ignore-not-found', '-o', 'name'])).split('\n'),
      ...(await admin(['get', ...MANIFESTS, '--ignore-not-found', '-o', 'name'])).split('\n'),
      ...containers.filter((name) => onKind.has(name)).map((name) => `container ${name} on the kind network`),
    ].filter(Boolean);
    if (left.length === 0) return;
    if (Date.now() > deadline) throw new Error(`left behind: ${left.join(', ')}`);
    await sleep(2_000);
  }
}
