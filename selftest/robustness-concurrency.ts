// Two runs at once against the same cluster: both pass --strict and share no names (run id, namespaces).
import { join } from 'node:path';
import { expectCode, leavingNothing, runOf, runSuite, type RobustnessCase, type RobustnessTarget, type SuiteRun } from './robustness-harness.ts';

export function concurrencyCases({ kubeconfig }: RobustnessTarget): RobustnessCase[] {
  const strictRun = (reportsDir: string): Promise<SuiteRun> => runSuite({ args: ['--strict', '--reports-dir', reportsDir], env: { KUBECONFIG: kubeconfig }, timeoutMs: 300_000 });
  return [
    {
      name: 'two runs at once against the same cluster both pass, with no shared names',
      fn: () =>
        leavingNothing(kubeconfig, 'concurrent', async (dir) => {
          const [a, b] = await Promise.all(['a', 'b'].map((which) => strictRun(join(dir, which))));
          if (!a || !b) throw new Error('two runs expected');
          expectCode(a, 0);
          expectCode(b, 0);
          const runA = runOf(a.stdout);
          const runB = runOf(b.stdout);
          if (!runA || !runB) throw new Error('no run header');
          const namesA = new Set([runA.runId, runA.main, runA.host]);
          const shared = [runB.runId, runB.main, runB.host].filter((name) => namesA.has(name));
          if (shared.length > 0) throw new Error(`shared names: ${shared.join(', ')}`);
          return `run ${runA.runId} (${a.seconds.toFixed(1)} s) and run ${runB.runId} (${b.seconds.toFixed(1)} s) both passed (exit 0, --strict); nothing left`;
        }),
    },
  ];
}
