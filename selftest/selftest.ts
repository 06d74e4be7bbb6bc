// npm run selftest — the project's own tests: tool checks first, then a matrix of real clusters, each proven
// working by smoke, then judged by the suite against the expected-verdict table, then mutants that must be caught.
// Each step is a named case; the last line is the plain "N passed, N failed" summary CI reads.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CaseRunner, type NamedCase } from '../lib/cases.ts';
import { runMain } from '../lib/log.ts';
import { cacheDir } from '../cluster/lib/paths.ts';
import { PROJECT_ROOT } from '../lib/paths.ts';
import { ciRecipeClusterCases, ciRecipeToolCases } from './ci-recipes.ts';
import { lockCase, prepareCases } from './host-safety.ts';
import { reportCases } from './report.ts';
import { snapshot, leaksSince, type Snapshot } from './leaks.ts';
import { loadMutants, runMutant } from './mutants.ts';
import { robustnessCases } from './robustness.ts';
import { npmScript, runShown } from './robustness-harness.ts';
import { nodeVersionCases } from './robustness-node-versions.ts';
import { noGoCase } from './no-go.ts';
import { faultCases } from './faults/phase.ts';
import { faultClusterName } from './faults/expectations.ts';
import { packageCases } from './package.ts';
import { inClusterCases } from './in-cluster.ts';
import { restoreHiddenImages, userClusterCases } from './user-clusters.ts';
import { compareVerdicts, loadTable, readSummary, verdictTable, type MatrixCluster, type ObservedCheck } from './verdicts.ts';

const runner = new CaseRunner({ label: 'selftest' });
const say = (msg: string): void => runner.say(msg);
const check = (name: string, fn: () => Promise<string>): Promise<boolean> => runner.run({ name, fn });
/** Runs cases one after the other, each name prefixed with the cluster's ("dual-ipv4: ..."). */
const checkAll = async (prefix: string, cases: readonly NamedCase[]): Promise<void> => {
  for (const c of cases) await check(`${prefix}: ${c.name}`, c.fn);
};

const expectExit = (r: { code: number }, want: number, what: string): string => {
  if (r.code !== want) throw new Error(`${what} exited ${r.code}, expected ${want}`);
  return `exit ${r.code}`;
};

const npm = npmScript;

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
      const reports = join(PROJECT_ROOT, 'reports', 'selftest', c.name);
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
      if (c.name === 'dual-ipv4') await checkAll(c.name, reportCases({ kubeconfig, reportsDir: reports }));
      await check(`${c.name}: nothing leaked (namespaces, containers on the kind network)`, async () => {
        if (!before) throw new Error('no snapshot before the run');
        const leaks = await leaksSince(before, kubeconfig);
        if (leaks.length > 0) throw new Error(leaks.join('; '));
        return 'none';
      });
      // Signals, sweep, exit codes, bad input, concurrency, least privilege, Pod Security: on the dual-stack cluster.
      if (c.name === 'dual-ipv4') {
        await checkAll(c.name, robustnessCases({ kubeconfig, clusterName: name }));
        await checkAll(c.name, userClusterCases({ kubeconfig }));
        await checkAll(c.name, ciRecipeClusterCases({ kubeconfig }));
        await checkAll(c.name, packageCases({ kubeconfig }));
        await checkAll(c.name, inClusterCases({ kubeconfig }));
      }
    }

    // Faults applied to the live cluster, each reverted and followed by smoke: after the cases above, before mutants.
    if (only !== 'mutants' && c.name === faultClusterName()) {
      const reportsDir = join(PROJECT_ROOT, 'reports', 'selftest', `${c.name}-faults`);
      await checkAll(c.name, faultCases({ kubeconfig, clusterName: name, reportsDir }));
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
  if (!values['skip-tools'] && only !== 'faults') {
    await check('type-check', async () => expectExit(await npm('typecheck', []), 0, 'tsc'));
    await check('lint', async () => expectExit(await npm('lint', []), 0, 'eslint'));
    await check('unit tests (TypeScript)', async () => expectExit(await npm('unit', []), 0, 'mocha'));
    await check('unit tests (Go: flannel-node)', async () =>
      expectExit(await runShown('go', ['test', './cmd/...'], { cwd: join(PROJECT_ROOT, 'cluster', 'go', 'flannel') }), 0, 'go test'),
    );
    await runner.runAll([...nodeVersionCases(), ...ciRecipeToolCases()]);
  }
  // host:prepare/unprepare on a throw-away root: no cluster, seconds.
  if (only === undefined) await runner.runAll(prepareCases());

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
    await runner.runAll([lockCase(), noGoCase()]);
  }

  if (observed.size > 0) {
    const names = [...observed.keys()];
    const text = verdictTable(names, observed, [...table.checks.keys()]);
    mkdirSync(join(PROJECT_ROOT, 'reports', 'selftest'), { recursive: true });
    writeFileSync(join(PROJECT_ROOT, 'reports', 'selftest', 'verdict-table.txt'), text + '\n');
    say('verdict table (check ids x clusters), also in reports/selftest/verdict-table.txt:');
    process.stdout.write(text + '\n');
  }

  return runner.finish();
}

runMain('selftest', main);
