// The suite run the way users run such tools inside the cluster (issue: ship it): the image `npm run image:suite`
// builds, loaded into the kind cluster, run by deploy/job.yaml as deploy/rbac.yaml's ServiceAccount under
// deploy/policy.yaml; and deploy/sonobuoy-plugin.yaml's container beside a stand-in for Sonobuoy's worker (which waits
// for <results dir>/done and takes the file it names). Each checks that its JUnit names every check the image lists
// and that none failed, then deletes what it created (the manifests only when they were not applied before: another
// run may be using them) and that the run's namespaces are gone.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAllYaml, loadYaml } from '@kubernetes/client-node';
import { kubectlBinary } from '../cluster/lib/paths.ts';
import { PROJECT_ROOT as projectDir } from '../lib/paths.ts';
import { IN_CLUSTER_ABSENCE } from '../support/in-cluster.ts';
import { execText, kubectl, sleep, withTempDir } from './robustness-harness.ts';
import { MANIFESTS } from './robustness-policy.ts';

const NS = 'dualstack-conformance';
const JOB = 'dualstack-conformance';
const deploy = (file: string): string => join(projectDir, 'deploy', file);

interface ContainerStatus {
  name: string;
  state?: { terminated?: { exitCode: number; reason?: string }; waiting?: { reason?: string } };
}
interface PodList {
  items: { metadata: { name: string }; status?: { phase?: string; containerStatuses?: ContainerStatus[] } }[];
}

/** Builds (cached) and loads the image into the kubeconfig's kind cluster; returns its reference and the checks it lists. */
async function imageAndChecks(kubeconfig: string): Promise<{ image: string; ids: string[]; seconds: number }> {
  const context = (await kubectl(kubeconfig, ['config', 'current-context'])).trim();
  if (!context.startsWith('kind-')) throw new Error(`current-context "${context}" is not a kind cluster's`);
  const started = Date.now();
  const out = await execText('npm', ['run', '--silent', 'image:suite', '--', '--load', context.slice('kind-'.length)], { timeoutMs: 600_000 });
  const image = out.trim().split('\n').at(-1) ?? '';
  const listed = JSON.parse(await execText('docker', ['run', '--rm', image, '--list', '--json'])) as { id: string }[];
  if (listed.length === 0) throw new Error(`${image} --list --json listed no check`);
  return { image, ids: listed.map((check) => check.id), seconds: (Date.now() - started) / 1000 };
}

/** Waits until `container` of the Job's pod has terminated; returns the pod's name and the container's exit code. */
async function terminated(kubeconfig: string, job: string, container: string, withinMs: number): Promise<{ pod: string; exitCode: number }> {
  const deadline = Date.now() + withinMs;
  let seen = 'no pod yet';
  while (Date.now() < deadline) {
    const pods = JSON.parse(await kubectl(kubeconfig, ['-n', NS, 'get', 'pods', '-l', `job-name=${job}`, '-o', 'json'])) as PodList;
    const pod = pods.items[0];
    const status = pod?.status?.containerStatuses?.find((c) => c.name === container);
    if (pod && status?.state?.terminated) return { pod: pod.metadata.name, exitCode: status.state.terminated.exitCode };
    if (pod) seen = `${pod.metadata.name} ${pod.status?.phase ?? '?'}, ${container} ${JSON.stringify(status?.state ?? {})}`;
    await sleep(3_000);
  }
  throw new Error(`container ${container} of Job ${job} did not finish within ${withinMs / 1000} s; last seen: ${seen}`);
}

/** Every listed check is a testcase of the JUnit, and none failed or was left unrun; returns the totals. */
export function judgeJunit(junit: string, ids: readonly string[], where: string): string {
  const missing = ids.filter((id) => !junit.includes(`name="[${id}] `));
  if (missing.length > 0) throw new Error(`${where} lacks ${missing.join(', ')}`);
  const totals = /<testsuites [^>]*tests="(\d+)" failures="(\d+)" errors="(\d+)" skipped="(\d+)"/.exec(junit);
  if (!totals) throw new Error(`${where} has no <testsuites> totals: ${junit.slice(0, 200)}`);
  const [, tests, failures, errors, skipped] = totals;
  if (failures !== '0' || errors !== '0') {
    const failing = [...junit.matchAll(/name="\[([^\]]+)\][^>]*>\s*<(?:failure|error)/g)].map((m) => m[1]);
    throw new Error(`${where}: ${failures} failed, ${errors} not run (${failing.join(', ')})`);
  }
  return `${tests} tests, 0 failed, ${skipped} skipped`;
}

/** Applies rbac.yaml + policy.yaml and `job`, runs `fn`, then deletes the Job, and the manifests when this case applied them. */
async function withJob(kubeconfig: string, jobManifest: string, job: string, fn: () => Promise<string>): Promise<string> {
  const admin = (args: readonly string[], input?: string): Promise<string> => kubectl(kubeconfig, args, input);
  const expected = loadAllYaml(readFileSync(deploy('rbac.yaml'), 'utf8') + '\n---\n' + readFileSync(deploy('policy.yaml'), 'utf8')).length;
  const already = (await admin(['get', ...MANIFESTS, '--ignore-not-found', '-o', 'name'])).split('\n').filter(Boolean).length === expected;
  const runIds = new Set<string>();
  try {
    await admin(['apply', ...MANIFESTS]);
    await admin(['-n', NS, 'delete', 'job', job, '--ignore-not-found', '--cascade=foreground', '--timeout=60s']);
    await admin(['apply', '-f', '-'], jobManifest);
    const detail = await fn();
    for (const id of detail.matchAll(/run (\w{8})/g)) runIds.add(id[1] ?? '');
    return `${detail}; ${already ? 'rbac.yaml + policy.yaml were applied before: kept' : 'rbac.yaml + policy.yaml deleted'}`;
  } finally {
    await admin(['-n', NS, 'delete', 'job', job, '--ignore-not-found', '--cascade=foreground', '--timeout=90s']).catch(() => '');
    if (!already) await admin(['delete', ...MANIFESTS, '--ignore-not-found', '--wait=true', '--timeout=90s']).catch(() => '');
    await nothingLeft(admin, job, [...runIds], !already);
  }
}

/** The Job's pods and the run's namespaces are gone (and rbac/policy when this case applied them), within a minute. */
async function nothingLeft(admin: (args: readonly string[]) => Promise<string>, job: string, runIds: readonly string[], manifests: boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const left = [
      ...(manifests ? (await admin(['get', ...MANIFESTS, '--ignore-not-found', '-o', 'name'])).split('\n') : []),
      ...(await admin(['get', 'namespaces', '-o', 'name'])).split('\n').filter((ns) => runIds.some((id) => ns.startsWith(`namespace/dsc-${id}`))),
      ...(manifests ? [] : (await admin(['-n', NS, 'get', 'pods', '-l', `job-name=${job}`, '-o', 'name'])).split('\n')),
    ].filter(Boolean);
    if (left.length === 0) return;
    if (Date.now() > deadline) throw new Error(`left behind: ${left.join(', ')}`);
    await sleep(2_000);
  }
}

export function inClusterCases(target: { readonly kubeconfig: string }): { name: string; fn: () => Promise<string> }[] {
  const admin = (args: readonly string[]): Promise<string> => kubectl(target.kubeconfig, args);
  return [
    {
      name: 'in-cluster: image:suite --load, deploy/job.yaml under rbac.yaml + policy.yaml, reports fetched as the README says, every listed check in junit.xml, none failed',
      fn: () =>
        withTempDir('in-cluster', async (dir) => {
          const { image, ids, seconds } = await imageAndChecks(target.kubeconfig);
          const manifest = readFileSync(deploy('job.yaml'), 'utf8');
          if (!manifest.includes(`image: ${image}\n`)) throw new Error(`deploy/job.yaml does not run ${image}`);
          return withJob(target.kubeconfig, manifest, JOB, async () => {
            const suite = await terminated(target.kubeconfig, JOB, 'suite', 240_000);
            const log = await admin(['-n', NS, 'logs', suite.pod, '-c', 'suite']);
            const verdict = log.split('\n').find((text) => /^(PASSED|FAILED|ERROR)/.test(text)) ?? `no verdict line; last: ${log.trim().split('\n').at(-1) ?? ''}`;
            if (suite.exitCode !== 0) throw new Error(`the suite exited ${suite.exitCode}: ${verdict}`);
            // The README's third command, as written there.
            const fetch = `'${kubectlBinary()}' --kubeconfig '${target.kubeconfig}' -n ${NS} exec job/${JOB} -c reports -- tar -C /reports -cf - .`;
            await execText('sh', ['-c', `${fetch} | tar -C '${dir}' -xf -`]);
            const junit = readFileSync(join(dir, 'junit.xml'), 'utf8');
            const counts = judgeJunit(junit, ids, 'junit.xml of the Job');
            const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { runId: string; verdict: string; declaredAbsentReasons?: Record<string, string> };
            const reason = summary.declaredAbsentReasons?.['offcluster-network'];
            if (reason !== IN_CLUSTER_ABSENCE) throw new Error(`summary.json gives offcluster-network the reason "${reason ?? 'none'}", expected "${IN_CLUSTER_ABSENCE}"`);
            return `${image} (image:suite + load ${seconds.toFixed(1)} s); ${ids.length} checks listed; run ${summary.runId}: ${verdict}; junit.xml: ${counts}`;
          });
        }),
    },
    {
      name: "in-cluster: deploy/sonobuoy-plugin.yaml's container in a Job beside a stand-in for Sonobuoy's worker: done names junit.xml, every listed check in it, none failed",
      fn: async () => {
        const { image, ids } = await imageAndChecks(target.kubeconfig);
        const plugin = loadYaml<{ 'sonobuoy-config': Record<string, string>; spec: Record<string, unknown> & { image: string } }>(
          readFileSync(deploy('sonobuoy-plugin.yaml'), 'utf8'),
        );
        if (plugin.spec.image !== image) throw new Error(`deploy/sonobuoy-plugin.yaml runs ${plugin.spec.image}, not ${image}`);
        const job = 'dsc-sonobuoy-plugin';
        return withJob(target.kubeconfig, JSON.stringify(sonobuoyJob(job, plugin.spec, image)), job, async () => {
          const worker = await terminated(target.kubeconfig, job, 'worker', 240_000);
          const log = await admin(['-n', NS, 'logs', worker.pod, '-c', 'worker']);
          const [first = '', ...rest] = log.split('\n');
          if (worker.exitCode !== 0 || first !== `done names ${RESULTS_DIR}/junit.xml`) {
            throw new Error(`the worker stand-in exited ${worker.exitCode}: ${first}; ${rest.slice(0, 3).join(' ')}`);
          }
          const counts = judgeJunit(rest.join('\n'), ids, 'the file done names');
          const pluginLog = await admin(['-n', NS, 'logs', worker.pod, '-c', 'plugin']);
          const verdict = pluginLog.split('\n').find((text) => /^(PASSED|FAILED|ERROR)/.test(text)) ?? 'no verdict line';
          const runId = /dsc-([a-z0-9]{8})/.exec(pluginLog)?.[1] ?? '?';
          return `plugin ${plugin['sonobuoy-config']['plugin-name']} (${plugin['sonobuoy-config']['result-format']}): ${first}; run ${runId}: ${verdict}; ${counts}`;
        });
      },
    },
  ];
}

const RESULTS_DIR = '/tmp/sonobuoy/results';

/**
 * What Sonobuoy makes of a Job plugin, reduced to the contract: the plugin's container with an emptyDir `results` at
 * the results directory, and a worker that waits for <results dir>/done and takes the file named there (prints it,
 * here). Run as deploy/rbac.yaml's ServiceAccount: Sonobuoy's own is not installed here.
 */
function sonobuoyJob(name: string, spec: Record<string, unknown>, image: string): Record<string, unknown> {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: NS },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: 600,
      template: {
        spec: {
          serviceAccountName: 'dualstack-conformance',
          automountServiceAccountToken: true,
          restartPolicy: 'Never',
          securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } },
          volumes: [{ name: 'results', emptyDir: {} }],
          containers: [
            spec,
            {
              name: 'worker',
              image,
              imagePullPolicy: 'IfNotPresent',
              command: ['sh', '-c', `until [ -e ${RESULTS_DIR}/done ]; do sleep 2; done; f=$(cat ${RESULTS_DIR}/done); echo "done names $f"; cat "$f"`],
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
              volumeMounts: [{ name: 'results', mountPath: RESULTS_DIR }],
            },
          ],
        },
      },
    },
  };
}
