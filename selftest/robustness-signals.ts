// Signals at several phases of a run: SIGINT/SIGTERM must delete both of the run's namespaces, exit 130/143 and
// leave no process of the run's group behind.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RUN_ID_LABEL } from '../support/namespace.ts';
import { snapshot } from './leaks.ts';
import { describeRun, expectCode, nothingLeaked, processGroupGone, runSuite, suiteNamespaces, withTempDir, type NamespaceInfo, type RobustnessCase, type RobustnessTarget } from './robustness-harness.ts';

export function signalCases(target: RobustnessTarget): RobustnessCase[] {
  const { kubeconfig } = target;
  const env = { KUBECONFIG: kubeconfig };
  const interrupt = (signal: 'SIGINT' | 'SIGTERM', at: string): RobustnessCase => ({
    name: `${signal} at phase=${at}: exit ${signal === 'SIGINT' ? 130 : 143}, namespaces deleted, process tree gone`,
    fn: () =>
      withTempDir('signal', async (reports) => {
        const before = await snapshot(kubeconfig);
        let sentAt = 0;
        let seen: Promise<NamespaceInfo[]> | undefined;
        const r = await runSuite({
          args: ['--reports-dir', reports],
          env,
          timeoutMs: 240_000,
          onPhase: (phase, pid) => {
            if (phase !== at || sentAt !== 0) return;
            sentAt = Date.now();
            process.kill(pid, signal);
            // What the run had created when the signal landed (its deletion takes seconds: still visible).
            seen = suiteNamespaces(kubeconfig).then((all) => all.filter((ns) => !before.namespaces.has(ns.name)));
          },
        });
        if (sentAt === 0) throw new Error(`phase=${at} never appeared; ${describeRun(r)}`);
        const want = signal === 'SIGINT' ? 130 : 143;
        expectCode(r, want);
        const afterSignal = (Date.now() - sentAt) / 1000;
        const created = (await seen) ?? [];
        const runIds = new Set(created.map((ns) => ns.labels[RUN_ID_LABEL]));
        if (created.length !== 2 || runIds.size !== 1) {
          throw new Error(`expected the run's 2 namespaces at the signal, saw ${created.map((ns) => ns.name).join(', ') || 'none'}`);
        }
        await processGroupGone(r.pid, 5_000);
        await nothingLeaked(kubeconfig, before);
        const summaryFile = join(reports, 'summary.json');
        const verdict = existsSync(summaryFile) ? (JSON.parse(readFileSync(summaryFile, 'utf8')) as { verdict: string }).verdict : 'no summary (before checks)';
        return `exit ${r.code} ${afterSignal.toFixed(1)} s after ${signal}; ${created.map((ns) => ns.name).join(' + ')} gone; process group gone; summary: ${verdict}`;
      }),
  });

  return [interrupt('SIGINT', 'discover'), interrupt('SIGINT', 'exec'), interrupt('SIGTERM', 'create'), interrupt('SIGTERM', 'wait')];
}
