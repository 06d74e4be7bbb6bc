// The CI recipes of docs/ci/ (GitHub Actions, GitLab CI), as far as this machine can test them without a runner:
// actionlint on the workflow (and on a broken copy, which must fail: the lint is known to bite), both recipes run the
// suite --strict and keep the JUnit report, and the workflow's MetalLB pool step runs against the live cluster
// (server dry run) and picks the pool `npm run cluster:up` would.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadYaml } from '@kubernetes/client-node';
import { cacheDir, kubectlBinary } from '../cluster/lib/paths.ts';
import { PROJECT_ROOT } from '../lib/paths.ts';
import { runProcess } from '../lib/process.ts';
import { poolRanges, rangeText } from '../cluster/lib/metallb.ts';
import { withTempDir, type RobustnessCase } from './robustness-harness.ts';

const RECIPES = join(PROJECT_ROOT, 'docs', 'ci');
const WORKFLOW = join(RECIPES, 'github-actions.yml');
const GITLAB = join(RECIPES, 'gitlab-ci.yml');
const ACTIONLINT_MODULE = join(PROJECT_ROOT, 'selftest', 'tools', 'actionlint');

interface Workflow {
  jobs: Record<string, { steps: { name?: string; run?: string; uses?: string; with?: Record<string, unknown> }[] }>;
}

/** A command's exit code (1 when a signal or the bound ended it) and all it printed. */
async function execCapture(cmd: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<{ code: number; out: string }> {
  const finished = await runProcess(cmd, args, { cwd: options.cwd ?? PROJECT_ROOT, env: options.env, input: options.input, timeoutMs: 600_000 });
  return { code: finished.code ?? 1, out: `${finished.stdout}${finished.stderr}` };
}

/** actionlint at the version go.mod pins, built once into the cache (temp file, then renamed into place). */
async function actionlint(): Promise<string> {
  const version = /github\.com\/rhysd\/actionlint (v[\d.]+)/.exec(readFileSync(join(ACTIONLINT_MODULE, 'go.mod'), 'utf8'))?.[1];
  if (!version) throw new Error(`${ACTIONLINT_MODULE}/go.mod pins no actionlint version`);
  const binary = join(cacheDir, 'bin', 'tools', `actionlint-${version}`);
  if (existsSync(binary)) return binary;
  mkdirSync(dirname(binary), { recursive: true });
  const partial = `${binary}.${process.pid}.partial`;
  const built = await execCapture('go', ['build', '-o', partial, 'github.com/rhysd/actionlint/cmd/actionlint'], { cwd: ACTIONLINT_MODULE });
  if (built.code !== 0) throw new Error(`go build actionlint ${version} failed: ${built.out.trim().split('\n').slice(-3).join(' | ')}`);
  renameSync(partial, binary);
  return binary;
}

/** The run script of the workflow step whose name starts with `prefix`. */
function stepScript(workflow: Workflow, prefix: string): string {
  const step = Object.values(workflow.jobs).flatMap((job) => job.steps).find((s) => s.name?.startsWith(prefix));
  if (!step?.run) throw new Error(`${WORKFLOW}: no step "${prefix}..." with a run script`);
  return step.run;
}

/** Cases without a cluster (selftest's tools phase). */
export function ciRecipeToolCases(): RobustnessCase[] {
  return [
    {
      name: 'CI recipes: actionlint passes docs/ci/github-actions.yml and fails a broken copy; both recipes run --strict and keep junit.xml',
      fn: () =>
        withTempDir('ci', async (dir) => {
          const lint = await actionlint();
          const clean = await execCapture(lint, ['-no-color', WORKFLOW]);
          if (clean.code !== 0) throw new Error(`actionlint found problems:\n${clean.out.trim()}`);
          writeFileSync(join(dir, 'broken.yml'), readFileSync(WORKFLOW, 'utf8').replace('if: always()', 'if: ${{ always( }}'));
          const bitten = await execCapture(lint, ['-no-color', 'broken.yml'], { cwd: dir });
          if (bitten.code === 0) throw new Error('actionlint passed a workflow with a broken expression: the lint proves nothing');

          const workflow = loadYaml<Workflow>(readFileSync(WORKFLOW, 'utf8'));
          const suiteStep = stepScript(workflow, 'Run the suite');
          const steps = Object.values(workflow.jobs).flatMap((job) => job.steps);
          const junit = steps.find((s) => s.uses?.startsWith('mikepenz/action-junit-report'))?.with?.report_paths;
          const gitlab = loadYaml<Record<string, { script?: string[]; artifacts?: { reports?: { junit?: string } } }>>(readFileSync(GITLAB, 'utf8'));
          const job = gitlab['dualstack-conformance'];
          const problems = [
            ...(suiteStep.includes('dualstack-conformance --strict') ? [] : [`workflow suite step: ${suiteStep.trim()}`]),
            ...(junit === 'reports/junit.xml' ? [] : [`workflow publishes ${String(junit)}, not reports/junit.xml`]),
            ...(job?.script?.some((line) => line.includes('dualstack-conformance --strict')) ? [] : ['GitLab job does not run dualstack-conformance --strict']),
            ...(job?.artifacts?.reports?.junit === 'reports/junit.xml' ? [] : ['GitLab job keeps no reports/junit.xml']),
          ];
          if (problems.length > 0) throw new Error(problems.join('; '));
          const firstLine = bitten.out.trim().split('\n')[0] ?? '';
          return `clean; the broken copy: ${firstLine}`;
        }),
    },
  ];
}

/** On the dual-stack cluster: the workflow's MetalLB pool step, with the upstream manifest already in place. */
export function ciRecipeClusterCases(target: { readonly kubeconfig: string }): RobustnessCase[] {
  return [
    {
      name: "CI recipes: the workflow's MetalLB pool step applies (server dry run) the pool cluster:up picks",
      fn: async () => {
        const workflow = loadYaml<Workflow>(readFileSync(WORKFLOW, 'utf8'));
        // The cluster already runs MetalLB v0.15.2 (cluster:up); upstream's manifest is not reachable from here.
        const script = stepScript(workflow, 'Install MetalLB')
          .split('\n')
          .filter((line) => !line.includes('raw.githubusercontent.com'))
          .join('\n')
          .replaceAll('kubectl apply -f -', 'kubectl apply --dry-run=server -f -');
        const kubectl = kubectlBinary();
        const env = { ...process.env, KUBECONFIG: target.kubeconfig, PATH: `${dirname(kubectl)}:${process.env.PATH ?? ''}` };
        const r = await execCapture('bash', ['-euo', 'pipefail', '-c', script], { env });
        if (r.code !== 0) throw new Error(`the step exited ${r.code}: ${r.out.trim().split('\n').slice(-3).join(' | ')}`);
        const printed = /LoadBalancer pool: (\S+) (\S+)/.exec(r.out);
        const subnets = (await execCapture('docker', ['network', 'inspect', 'kind', '--format', '{{range .IPAM.Config}}{{.Subnet}} {{end}}'])).out.trim().split(/\s+/);
        const ours = poolRanges(subnets, ['IPv4', 'IPv6'], 0).map(rangeText);
        if (!printed || printed[1] !== ours[0] || printed[2] !== ours[1]) {
          throw new Error(`the step picked ${printed ? `${printed[1]} ${printed[2]}` : 'no pool'}; cluster:up's first slot is ${ours.join(' ')}`);
        }
        if (!/ipaddresspool\.metallb\.io\/kind .*\(server dry run\)/.test(r.out)) throw new Error(`no server dry run of the pool: ${r.out.trim()}`);
        return `pool ${ours.join(' ')}; IPAddressPool and L2Advertisement accepted (server dry run)`;
      },
    },
  ];
}
