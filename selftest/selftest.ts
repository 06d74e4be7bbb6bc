// npm run selftest — the project's own tests: tool checks first, then a matrix of real clusters, each proven
// working by smoke, then judged by the suite against the expected-verdict table, then mutants that must be caught.
// Each step is a named case; the last line is the plain "N passed, N failed" summary CI reads.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cacheDir } from '../cluster/lib/paths.ts';
import { PROJECT_ROOT as projectDir } from '../lib/paths.ts';
import { ciRecipeClusterCases, ciRecipeToolCases } from './ci-recipes.ts';
import { lockCase, prepareCases } from './host-safety.ts';
import { reportCases } from './report.ts';
import { snapshot, leaksSince, type Snapshot } from './leaks.ts';
import { loadMutants, runMutant } from './mutants.ts';
import { run, type RunResult } from './process.ts';
import { nodeVersionCases, robustnessCases } from './robustness.ts';
import { noGoCase } from './no-go.ts';
import { faultCases } from './faults/phase.ts';
import { faultClusterName } from './faults/expectations.ts';
import { packageCases } from './package.ts';
import { inClusterCases } from './in-cluster.ts';
import { restoreHiddenImages, userClusterCases } from './user-clusters.ts';
import { compareVerdicts, loadTable, readSummary, verdictTable, type MatrixCluster, type ObservedCheck } from './verdicts.ts';

interface Case {
  name: string;
  ok: boolean;
  seconds: number;
  detail: string;
}

const results: Case[] = [];
const say = (msg: string) => process.stdout.write(`[selftest] ${msg}\n`);

/** Records one case; `fn` returns a detail line or throws with the reason it failed. */
async function check(name: string, fn: () => Promise<string>): Promise<boolean> {
  say(`--- ${name}`);
  const start = Date.now();
  let ok = true;
  let detail: string;
  try {
    detail = await fn();
  } catch (err) {
    ok = false;
    detail = (err as Error).message;
  }
  const c: Case = { name, ok, seconds: (Date.now() - start) / 1000, detail };
  results.push(c);
  say(`${ok ? 'PASS' : 'FAIL'} ${name} (${c.seconds.toFixed(1)} s)${detail ? `: ${detail}` : ''}`);
  return ok;
}

const expectExit = (r: RunResult, want: number, what: string): string => {
  if (r.code !== want) throw new Error(`${what} exited ${r.code}, expected ${want}`);
  return `exit ${r.code}`;
};

const npm = (script: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
  run('npm', ['run', '--silent', script, ...(args.length ? ['--', ...args] : [])], { env });

/** Which phases a cluster run goes through: everything, only the mutants, or only the faults. */
type Only = 'mutants' | 'faults' | undefined;

async function clusterRun(c: MatrixCluster, observedByCluster: Map<string, ObservedCheck[]>, only: Only): Promise<void> {
  const table = loadTable();
  const name = `dsc-${c.name}`;
  const kubeconfig = join(cacheDir, `kubeconfig-${name}`);
  const env = { KUBECONFIG: kubeconfig };
  const up = await check(`${c.name}: cluster:up`, async () =>
    expectExit(await npm('cluster:up', ['--name', name, '--ip-family', c.ipFamily, '--primary', c.primary, '--kubeconfig', kubeconfig]), 0, 'cluster:up'),
  );
  if (!up) return;
  try {
    // A broken cluster is reported as broken, never as verdicts.
    if (!(await check(`${c.name}: smoke`, async () => expectExit(await npm('smoke', ['--name', name]), 0, 'smoke')))) return;

    if (only === undefined) {
      const reports = join(projectDir, 'reports', 'selftest', c.name);
      let before: Snapshot | undefined;
      await check(`${c.name}: suite exits ${c.exitCode}`, async () => {
        before = await snapshot(kubeconfig);
        return expectExit(await npm('test', [...c.suiteArgs, '--reports-dir', reports], env), c.exitCode, 'the suite');
      });
      await check(`${c.name}: every verdict matches the expected-verdict table`, async () => {
        const observed = readSummary(reports);
        observedByCluster.set(c.name, observed);
        const mismatches = compareVerdicts(table, c.name, observed);
        for (const m of mismatches) say(`  mismatch ${m.id}: expected ${m.expected}; observed ${m.observed}`);
        if (mismatches.length > 0) throw new Error(`${mismatches.length} mismatch(es)`);
        return `${observed.length} checks as expected`;
      });
      if (c.name === 'dual-ipv4') for (const reportCase of reportCases({ kubeconfig, reportsDir: reports })) await check(`${c.name}: ${reportCase.name}`, reportCase.fn);
      await check(`${c.name}: nothing leaked (namespaces, containers on the kind network)`, async () => {
        if (!before) throw new Error('no snapshot before the run');
        const leaks = await leaksSince(before, kubeconfig);
        if (leaks.length > 0) throw new Error(leaks.join('; '));
        return 'none';
      });
      // Signals, sweep, exit codes, bad input, concurrency, least privilege, Pod Security: on the dual-stack cluster.
      if (c.name === 'dual-ipv4') {
        for (const robustness of robustnessCases({ kubeconfig, clusterName: name })) await check(`${c.name}: ${robustness.name}`, robustness.fn);
        for (const userCase of userClusterCases({ kubeconfig })) await check(`${c.name}: ${userCase.name}`, userCase.fn);
        for (const recipe of ciRecipeClusterCases({ kubeconfig })) await check(`${c.name}: ${recipe.name}`, recipe.fn);
        for (const packageCase of packageCases({ kubeconfig })) await check(`${c.name}: ${packageCase.name}`, packageCase.fn);
        for (const inCluster of inClusterCases({ kubeconfig })) await check(`${c.name}: ${inCluster.name}`, inCluster.fn);
      }
    }

    // Faults applied to the live cluster, each reverted and followed by smoke: after the cases above, before mutants.
    if (only !== 'mutants' && c.name === faultClusterName()) {
      const reportsDir = join(projectDir, 'reports', 'selftest', `${c.name}-faults`);
      for (const fault of faultCases({ kubeconfig, clusterName: name, reportsDir })) await check(`${c.name}: ${fault.name}`, fault.fn);
    }

    for (const mutant of only === 'faults' ? [] : loadMutants().filter((m) => m.cluster === c.name)) {
      await check(`${c.name}: mutant ${mutant.name} is killed`, async () => {
        const outcome = await runMutant(mutant, c, env);
        if (!outcome.killed) throw new Error(`SURVIVED: ${outcome.detail}`);
        return outcome.detail;
      });
    }
  } finally {
    await npm('cluster:down', ['--name', name]);
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      clusters: { type: 'string' },
      'skip-tools': { type: 'boolean', default: false },
      'mutants-only': { type: 'boolean', default: false },
      // Development: cluster:up, smoke and the fault phase on the faults' cluster, nothing else.
      'only-faults': { type: 'boolean', default: false },
    },
  });
  const only: Only = values['only-faults'] ? 'faults' : values['mutants-only'] ? 'mutants' : undefined;
  const started = Date.now();
  if (!values['skip-tools'] && only !== 'faults') {
    await check('type-check', async () => expectExit(await npm('typecheck', []), 0, 'tsc'));
    await check('lint', async () => expectExit(await npm('lint', []), 0, 'eslint'));
    await check('unit tests (TypeScript)', async () => expectExit(await npm('unit', []), 0, 'mocha'));
    await check('unit tests (Go: flannel-node)', async () =>
      expectExit(await run('go', ['test', './cmd/...'], { cwd: join(projectDir, 'cluster', 'go', 'flannel') }), 0, 'go test'),
    );
    for (const nodeVersion of nodeVersionCases()) await check(nodeVersion.name, nodeVersion.fn);
    for (const recipe of ciRecipeToolCases()) await check(recipe.name, recipe.fn);
  }
  // host:prepare/unprepare on a throw-away root: no cluster, seconds.
  if (only === undefined) for (const c of prepareCases()) await check(c.name, c.fn);

  // A selftest killed while our images were parked away must not make this one rebuild the node image.
  const restored = restoreHiddenImages();
  if (restored.length > 0) say(`restored images parked by an earlier run: ${restored.join(', ')}`);
  const table = loadTable();
  const wanted = only === 'faults' ? [faultClusterName()] : values.clusters?.split(',') ?? table.clusters.map((c) => c.name);
  const observed = new Map<string, ObservedCheck[]>();
  for (const c of table.clusters.filter((x) => wanted.includes(x.name))) await clusterRun(c, observed, only);

  // Their own clusters, after the matrix (whose node image they use): the per-name lock, and a user's machine with
  // kind on PATH and no Go.
  if (only === undefined && values.clusters === undefined) {
    const lock = lockCase();
    await check(lock.name, lock.fn);
    const noGo = noGoCase();
    await check(noGo.name, noGo.fn);
  }

  if (observed.size > 0) {
    const names = [...observed.keys()];
    const text = verdictTable(names, observed, [...table.checks.keys()]);
    mkdirSync(join(projectDir, 'reports', 'selftest'), { recursive: true });
    writeFileSync(join(projectDir, 'reports', 'selftest', 'verdict-table.txt'), text + '\n');
    say('verdict table (check ids x clusters), also in reports/selftest/verdict-table.txt:');
    process.stdout.write(text + '\n');
  }

  say('summary:');
  for (const c of results) say(`  ${c.ok ? 'PASS' : 'FAIL'}  ${c.name.padEnd(72)} ${c.seconds.toFixed(1).padStart(7)} s`);
  const failed = results.filter((c) => !c.ok).length;
  say(`total ${((Date.now() - started) / 1000).toFixed(0)} s`);
  process.stdout.write(`selftest: ${results.length - failed} passed, ${failed} failed\n`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`selftest: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
