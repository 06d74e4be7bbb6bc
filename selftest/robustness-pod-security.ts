// Pod Security: during a full run the main namespace enforces restricted (and really refuses a hostNetwork root pod),
// every pod it admitted is Ready and restricted-compliant, and only the -host namespace is privileged.
import { join } from 'node:path';
import { describeRun, expectCode, kubectl, namespaceExists, runOf, runSuite, withTempDir, type NamespaceInfo, type RobustnessCase, type RobustnessTarget } from './robustness-harness.ts';

export function podSecurityCases({ kubeconfig }: RobustnessTarget): RobustnessCase[] {
  return [
    {
      name: 'Pod Security: the main namespace enforces restricted and admits every pod; only -host is privileged',
      fn: () => withTempDir('psa', (dir) => observedStrictRun(kubeconfig, join(dir, 'reports'))),
    },
  ];
}

/** A full --strict run, read at phase=create and phase=exec (which lasts long enough to read the pods before cleanup). */
async function observedStrictRun(kubeconfig: string, reportsDir: string): Promise<string> {
  let enforced: Promise<string> | undefined;
  let observed: Promise<string> | undefined;
  const r = await runSuite({
    args: ['--strict', '--reports-dir', reportsDir],
    env: { KUBECONFIG: kubeconfig },
    timeoutMs: 240_000,
    onPhase: (phase, _pid, soFar) => {
      if (phase === 'create' && !enforced) {
        enforced = enforcementDuringRun(kubeconfig, soFar.stdout);
        enforced.catch(() => undefined);
      }
      if (phase === 'exec' && !observed) {
        observed = podSecurityDuringRun(kubeconfig, soFar.stdout);
        observed.catch(() => undefined);
      }
    },
  });
  if (!enforced || !observed) throw new Error(`phase=create or phase=exec never appeared; ${describeRun(r)}`);
  const details = [await enforced, await observed];
  expectCode(r, 0);
  return `${details.join('; ')}; the run passed (--strict)`;
}

interface PodJson {
  metadata: { name: string };
  spec: {
    hostNetwork?: boolean;
    securityContext?: { runAsNonRoot?: boolean; seccompProfile?: { type?: string } };
    containers: ContainerJson[];
    initContainers?: ContainerJson[];
  };
  status: { phase?: string; conditions?: { type: string; status: string }[] };
}

interface ContainerJson {
  name: string;
  securityContext?: {
    runAsNonRoot?: boolean;
    allowPrivilegeEscalation?: boolean;
    privileged?: boolean;
    capabilities?: { drop?: string[] };
    seccompProfile?: { type?: string };
  };
}

/** What `restricted` demands of one pod, as violations (empty: compliant). */
function restrictedViolations(pod: PodJson): string[] {
  const out: string[] = [];
  if (pod.spec.hostNetwork) out.push('hostNetwork');
  for (const container of [...pod.spec.containers, ...(pod.spec.initContainers ?? [])]) {
    const sc = container.securityContext ?? {};
    const where = `${pod.metadata.name}/${container.name}`;
    if ((sc.runAsNonRoot ?? pod.spec.securityContext?.runAsNonRoot) !== true) out.push(`${where}: runAsNonRoot not true`);
    if (sc.allowPrivilegeEscalation !== false) out.push(`${where}: allowPrivilegeEscalation not false`);
    if (sc.privileged) out.push(`${where}: privileged`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) out.push(`${where}: capabilities do not drop ALL`);
    const seccomp = sc.seccompProfile?.type ?? pod.spec.securityContext?.seccompProfile?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') out.push(`${where}: seccomp ${seccomp ?? 'unset'}`);
  }
  return out;
}

/** Read while the run is in phase=exec: the pods the two namespaces admitted. */
async function podSecurityDuringRun(kubeconfig: string, stdout: string): Promise<string> {
  const run = runOf(stdout);
  if (!run) throw new Error('no run header before phase=exec');
  const pods = async (namespace: string): Promise<PodJson[]> =>
    (JSON.parse(await kubectl(kubeconfig, ['-n', namespace, 'get', 'pods', '-o', 'json'])) as { items: PodJson[] }).items;
  const [mainPods, hostPods] = await Promise.all([pods(run.main), pods(run.host)]);
  if (mainPods.length === 0) throw new Error(`no pods in ${run.main}`);
  const notReady = mainPods.filter((pod) => !pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  if (notReady.length > 0) throw new Error(`pods not Ready in ${run.main}: ${notReady.map((pod) => pod.metadata.name).join(', ')}`);
  const violations = mainPods.flatMap(restrictedViolations);
  if (violations.length > 0) throw new Error(`pods in ${run.main} violate restricted: ${violations.join('; ')}`);
  const notHostNetwork = hostPods.filter((pod) => !pod.spec.hostNetwork);
  if (notHostNetwork.length > 0) throw new Error(`${run.host} holds pods without hostNetwork: ${notHostNetwork.map((pod) => pod.metadata.name).join(', ')}`);
  return (
    `${run.main} admitted ${mainPods.length} pods (${mainPods.map((pod) => pod.metadata.name).join(', ')}), all Ready and restricted-compliant; ` +
    `${run.host} holds only hostNetwork pods (${hostPods.map((pod) => pod.metadata.name).join(', ')})`
  );
}

/** Read when the run starts creating fixtures: the labels, and the main namespace really refusing a privileged pod. */
async function enforcementDuringRun(kubeconfig: string, stdout: string): Promise<string> {
  const run = runOf(stdout);
  if (!run) throw new Error('no run header before phase=create');
  const [main, host] = await Promise.all([namespaceExists(kubeconfig, run.main), namespaceExists(kubeconfig, run.host)]);
  if (!main || !host) throw new Error(`namespaces ${run.main}/${run.host} not found during the run`);
  const enforce = (ns: NamespaceInfo): string | undefined => ns.labels['pod-security.kubernetes.io/enforce'];
  if (enforce(main) !== 'restricted') throw new Error(`${run.main} enforces ${enforce(main) ?? 'nothing'}, expected restricted`);
  if (enforce(host) !== 'privileged') throw new Error(`${run.host} enforces ${enforce(host) ?? 'nothing'}, expected privileged`);
  // A hostNetwork root pod must be refused by the main namespace: the label is enforced, not just present.
  const probe = JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'psa-probe', namespace: run.main },
    spec: { hostNetwork: true, containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10' }] },
  });
  const refused = await kubectl(kubeconfig, ['create', '--dry-run=server', '-f', '-'], probe).then(
    () => undefined,
    (error: unknown) => (error as Error).message,
  );
  if (!refused?.includes('violates PodSecurity "restricted')) throw new Error(`${run.main} admitted a hostNetwork root pod (dry run): ${refused ?? 'accepted'}`);
  return `${run.main} enforce=restricted (refuses a hostNetwork root pod, server dry run), ${run.host} enforce=privileged`;
}
