// Robustness cases (issue 5), run by selftest against the dual-stack (IPv4 primary) cluster of the matrix, one file
// per concern beside this one: signals at several phases, the start-of-run sweep, one clear line for every bad input
// (exit 2), two runs at once, least privilege (deploy/rbac.yaml + deploy/policy.yaml), Pod Security, nothing exposed,
// mirrors, cleanup that always ends; plus the Node-version cases of the tool phase. What they share (the suite's
// process, expectations on a run, kubectl) is robustness-harness.ts.
//
// Standalone: npx tsx selftest/robustness.ts --kubeconfig <file> --name <cluster> [--only <substring>] [--node-versions]
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CaseRunner } from '../lib/cases.ts';
import { runMain } from '../lib/log.ts';
import { isEntryPoint } from '../lib/paths.ts';
import { kindNetworkContainers } from './leaks.ts';
import { badInputCases } from './robustness-bad-input.ts';
import { cleanupCases } from './robustness-cleanup.ts';
import { concurrencyCases } from './robustness-concurrency.ts';
import { exposureCases } from './robustness-exposure.ts';
import type { RobustnessCase, RobustnessTarget } from './robustness-harness.ts';
import { mirrorCases } from './robustness-mirror.ts';
import { nodeVersionCases } from './robustness-node-versions.ts';
import { podSecurityCases } from './robustness-pod-security.ts';
import { policyCases } from './robustness-policy.ts';
import { signalCases } from './robustness-signals.ts';
import { sweepCases } from './robustness-sweep.ts';

export function robustnessCases(target: RobustnessTarget): RobustnessCase[] {
  return [
    ...signalCases(target),
    ...sweepCases(target),
    ...badInputCases(target),
    ...concurrencyCases(target),
    ...policyCases(target),
    ...podSecurityCases(target),
    ...exposureCases(target),
    ...mirrorCases(target),
    ...cleanupCases(target),
  ];
}

async function standalone(): Promise<number> {
  const { values } = parseArgs({
    options: {
      kubeconfig: { type: 'string' },
      name: { type: 'string' },
      only: { type: 'string', multiple: true },
      'node-versions': { type: 'boolean', default: false },
    },
  });
  const cases: RobustnessCase[] = [];
  if (values['node-versions']) cases.push(...nodeVersionCases());
  if (values.kubeconfig) cases.push(...robustnessCases({ kubeconfig: resolve(values.kubeconfig), clusterName: values.name ?? 'cluster' }));
  const runner = new CaseRunner({ label: 'robustness', only: values.only });
  if (runner.select(cases).length === 0) {
    process.stderr.write('robustness: no case selected (give --kubeconfig and/or --node-versions; --only filters by name)\n');
    return 2;
  }
  await runner.runAll(cases);
  return runner.finish({ note: `kind network containers now: ${[...kindNetworkContainers()].join(' ')}` });
}

if (isEntryPoint(import.meta.url)) runMain('robustness', standalone);
