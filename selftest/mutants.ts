// Mutants: patches kept in selftest/mutants/ that break one judgement of the suite. Each is applied to a temporary
// copy of the project and run against the cluster where it must be caught: the verdicts then differ from the
// expected-verdict table (or the exit code does). A mutant that matches the table survived: a check that cannot fail.
import { loadYaml } from '@kubernetes/client-node';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PROJECT_ROOT } from '../lib/paths.ts';
import { runInherited, runSyncText } from '../lib/process.ts';
import { runShown as run } from './robustness-harness.ts';
import { compareVerdicts, loadTable, type MatrixCluster, type ObservedCheck } from './verdicts.ts';

export interface Mutant {
  name: string;
  patch: string;
  cluster: string;
  breaks: string;
}

const mutantsDir = join(PROJECT_ROOT, 'selftest', 'mutants');

export function loadMutants(): Mutant[] {
  return loadYaml<{ mutants: Mutant[] }>(readFileSync(join(mutantsDir, 'mutants.yaml'), 'utf8')).mutants;
}

/** The project's files as git sees them (tracked and new), without node_modules and reports. */
function copyProject(to: string): void {
  const files = runSyncText('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: PROJECT_ROOT, timeoutMs: 60_000 })
    .split('\0')
    .filter(Boolean);
  for (const f of files) {
    mkdirSync(dirname(join(to, f)), { recursive: true });
    try {
      copyFileSync(join(PROJECT_ROOT, f), join(to, f));
    } catch {
      // a file deleted in the work tree but still tracked: nothing to copy
    }
  }
  symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(to, 'node_modules'));
}

export async function runMutant(m: Mutant, cluster: MatrixCluster, env: NodeJS.ProcessEnv): Promise<{ killed: boolean; detail: string }> {
  const dir = mkdtempSync(join(tmpdir(), `dsc-mutant-${m.name}-`));
  try {
    copyProject(dir);
    await runInherited('git', ['apply', '--verbose', join(mutantsDir, m.patch)], { cwd: dir, timeoutMs: 60_000 });
    const reports = join(dir, 'reports');
    const r = await run(join(dir, 'node_modules', '.bin', 'tsx'), ['bin/dualstack-conformance.ts', ...cluster.suiteArgs, '--reports-dir', reports], {
      cwd: dir,
      env,
    });
    let observed: ObservedCheck[] = [];
    try {
      observed = (JSON.parse(readFileSync(join(reports, 'summary.json'), 'utf8')) as { checks: ObservedCheck[] }).checks;
    } catch {
      return { killed: r.code !== cluster.exitCode, detail: `no summary.json; exit ${r.code}` };
    }
    const mismatches = compareVerdicts(loadTable(), cluster.name, observed);
    const killedBy = mismatches.map((x) => `${x.id} (expected ${x.expected}, observed ${x.observed.split(':')[0]})`);
    if (mismatches.length > 0) return { killed: true, detail: `killed by ${killedBy.join(', ')} on ${cluster.name} — ${m.breaks}` };
    if (r.code !== cluster.exitCode) return { killed: true, detail: `killed by the exit code ${r.code} on ${cluster.name} — ${m.breaks}` };
    return { killed: false, detail: `every verdict matched the table on ${cluster.name} — ${m.breaks}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
