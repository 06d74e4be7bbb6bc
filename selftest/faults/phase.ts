// The fault phase of selftest, on the dual (IPv4-primary) cluster: per fault, apply it to the live cluster, prove
// it stuck, run the suite, prove it is still in place, compare every verdict with the healthy table plus the fault's
// expected failures (selftest/expected-fault-verdicts.yaml), revert it, and prove the cluster healthy again by smoke.
// The revert is registered before the apply, so SIGINT/SIGTERM reverts too; a fault a killed run left behind is
// reverted by the phase's first case.
//
// Standalone: npx tsx selftest/faults/phase.ts --kubeconfig <file> --name <cluster> [--only <substring>]
//             [--hostnet-ports 19000:19999] [--reports-dir <dir>] [--revert-only]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CaseRunner, type NamedCase } from '../../lib/cases.ts';
import { logger, runMain } from '../../lib/log.ts';
import { isEntryPoint, PROJECT_ROOT } from '../../lib/paths.ts';
import { ConfigurationError } from '../../lib/errors.ts';
import { leaksSince, snapshot } from '../leaks.ts';
import { npmScript } from '../robustness-harness.ts';
import { loadTable, readSummary } from '../verdicts.ts';
import { DEFAULT_FAULT_OPTIONS, faultCatalog, type Fault, type FaultOptions } from './catalog.ts';
import { judgeFaultRun, loadFaultTable } from './expectations.ts';
import { faultTarget, type FaultTarget } from './nodes.ts';

const log = logger('faults');

export type FaultCase = NamedCase;

export interface FaultPhaseTarget {
  readonly kubeconfig: string;
  readonly clusterName: string;
  /** Each fault's suite reports go to <reportsDir>/<fault>/. */
  readonly reportsDir: string;
  readonly options?: FaultOptions;
}

/** The goal for one faulted suite run; measured and reported, not enforced (probes wait their bound one by one). */
const GOAL_SECONDS = 180;

// ---------------------------------------------------------------------------------------------------------------
// Reverts that must run even when the process is interrupted

const pendingReverts = new Map<string, () => void>();

function revertPendingAndExit(signal: NodeJS.Signals): void {
  for (const [name, revert] of pendingReverts) {
    try {
      revert();
      log(`${signal}: reverted ${name}`);
    } catch (error) {
      log(`${signal}: reverting ${name} failed: ${(error as Error).message}`);
    }
  }
  process.exit(signal === 'SIGINT' ? 130 : 143);
}

/** Registers a revert for interrupts until the returned function is called; handlers exist only while one is pending. */
function revertOnInterrupt(name: string, revert: () => void): () => void {
  if (pendingReverts.size === 0) {
    process.on('SIGINT', revertPendingAndExit);
    process.on('SIGTERM', revertPendingAndExit);
  }
  pendingReverts.set(name, revert);
  return () => {
    pendingReverts.delete(name);
    if (pendingReverts.size === 0) {
      process.off('SIGINT', revertPendingAndExit);
      process.off('SIGTERM', revertPendingAndExit);
    }
  };
}

// ---------------------------------------------------------------------------------------------------------------
// One fault

interface FaultRecord {
  fault: string;
  breaks: string;
  stuckBefore?: string;
  stuckAfter?: string;
  suiteSeconds?: number;
  exitCode?: number;
  failed?: { id: string; reason: string }[];
  reverted?: string[];
  smoke?: boolean;
  problems: string[];
}

const npm = npmScript;

async function runFault(fault: Fault, phase: FaultPhaseTarget, target: FaultTarget, record: FaultRecord): Promise<void> {
  const table = loadTable();
  const faults = loadFaultTable(table, faultCatalog(phase.options).map((f) => f.name));
  const cluster = table.clusters.find((c) => c.name === faults.cluster)!;
  const reports = join(phase.reportsDir, fault.name);

  fault.apply(target);
  const before = fault.stuck(target);
  if (!before.stuck) {
    record.problems.push(`did not stick: ${before.reason}`);
    return;
  }
  record.stuckBefore = before.evidence;

  const leakBaseline = await snapshot(phase.kubeconfig);
  const started = Date.now();
  const suite = await npm('test', [...cluster.suiteArgs, '--reports-dir', reports], { KUBECONFIG: phase.kubeconfig });
  record.suiteSeconds = (Date.now() - started) / 1000;
  record.exitCode = suite.code;

  const stuckAfter = fault.stuck(target);
  if (stuckAfter.stuck) record.stuckAfter = stuckAfter.evidence;
  const observed = readSummary(reports);
  record.failed = observed.filter((o) => o.verdict === 'failed').map((o) => ({ id: o.id, reason: (o.reason ?? '').split('\n').join(' | ') }));
  record.problems.push(...judgeFaultRun(table, faults, fault.name, { stuckAfter, exitCode: suite.code, observed }));

  const leaks = await leaksSince(leakBaseline, phase.kubeconfig);
  if (leaks.length > 0) record.problems.push(`leaked: ${leaks.join('; ')}`);
}

function summarize(record: FaultRecord, awaiting: readonly string[]): string {
  const caught = record.failed?.map((f) => f.id) ?? [];
  const parts = [
    caught.length > 0 ? `caught by ${caught.join(', ')}` : `no check fails (awaiting ${awaiting.join(', ')})`,
    record.suiteSeconds === undefined
      ? 'suite not run'
      : `suite ${record.suiteSeconds.toFixed(1)} s${record.suiteSeconds > GOAL_SECONDS ? ` (over the ${GOAL_SECONDS} s goal)` : ''}, exit ${record.exitCode}`,
    `stuck: ${record.stuckAfter ?? record.stuckBefore ?? 'no'}`,
    `reverted: ${record.reverted?.join('; ') || 'nothing'}`,
    `smoke ${record.smoke ? 'passed' : 'FAILED'}`,
  ];
  return parts.join('; ');
}

// ---------------------------------------------------------------------------------------------------------------
// The cases

export function faultCases(phase: FaultPhaseTarget): FaultCase[] {
  const catalog = faultCatalog(phase.options ?? DEFAULT_FAULT_OPTIONS);
  /** Why the remaining faults cannot run: an earlier one was not reverted, or smoke failed after it. */
  let blocked: string | undefined;
  const target = () => faultTarget(phase.clusterName, phase.kubeconfig);

  const leftovers: FaultCase = {
    name: 'no fault left by an earlier run (each revert is idempotent)',
    fn: async () => {
      const nodes = target();
      const undone = catalog.flatMap((fault) => fault.revert(nodes));
      return undone.length === 0 ? 'none' : `reverted ${undone.join('; ')}`;
    },
  };

  const perFault = catalog.map(
    (fault): FaultCase => ({
      name: `fault ${fault.name} is caught`,
      fn: async () => {
        if (blocked) throw new Error(`not run: ${blocked}`);
        const nodes = target();
        const record: FaultRecord = { fault: fault.name, breaks: fault.breaks, problems: [] };
        const done = revertOnInterrupt(fault.name, () => void fault.revert(nodes));
        try {
          await runFault(fault, phase, nodes, record);
        } catch (error) {
          record.problems.push((error as Error).message);
        } finally {
          try {
            record.reverted = fault.revert(nodes);
            const again = fault.revert(nodes);
            if (again.length > 0) record.problems.push(`revert is not idempotent: a second one undid ${again.join('; ')}`);
          } catch (error) {
            record.problems.push(`revert failed: ${(error as Error).message}`);
            blocked = `fault ${fault.name} may still be in place (its revert failed)`;
          }
          done();
        }
        record.smoke = (await npm('smoke', ['--name', phase.clusterName])).code === 0;
        if (!record.smoke) {
          blocked ??= `the cluster failed smoke after fault ${fault.name}`;
          record.problems.push('smoke failed after the revert');
        }
        mkdirSync(join(phase.reportsDir, fault.name), { recursive: true });
        writeFileSync(join(phase.reportsDir, fault.name, 'fault.json'), JSON.stringify(record, null, 2) + '\n');
        const awaiting = loadFaultTable(loadTable(), catalog.map((f) => f.name)).faults.get(fault.name)?.awaitingChecks ?? [];
        const detail = `${fault.breaks} — ${summarize(record, awaiting)}`;
        if (record.problems.length > 0) throw new Error(`${record.problems.join('; ')} — ${detail}`);
        return detail;
      },
    }),
  );
  return [leftovers, ...perFault];
}

// ---------------------------------------------------------------------------------------------------------------
// Standalone entry

async function standalone(): Promise<number> {
  const { values } = parseArgs({
    options: {
      kubeconfig: { type: 'string' },
      name: { type: 'string' },
      only: { type: 'string' },
      'hostnet-ports': { type: 'string', default: DEFAULT_FAULT_OPTIONS.hostnetPorts },
      'reports-dir': { type: 'string', default: join(PROJECT_ROOT, 'reports', 'selftest', 'dual-ipv4-faults') },
      'revert-only': { type: 'boolean', default: false },
    },
  });
  if (!values.kubeconfig || !values.name) throw new ConfigurationError('usage: phase.ts --kubeconfig <file> --name <cluster> [--only <substring>]');
  const ports = values['hostnet-ports'] ?? '';
  if (!/^\d{1,5}(:\d{1,5})?$/.test(ports)) throw new ConfigurationError(`--hostnet-ports ${ports} is not a port or a first:last range`);
  const cases = faultCases({
    kubeconfig: resolve(values.kubeconfig),
    clusterName: values.name,
    reportsDir: resolve(values['reports-dir']!),
    options: { hostnetPorts: ports },
  });
  const [leftovers, ...rest] = cases;
  const runner = new CaseRunner({ label: 'faults', only: values.only ? [values.only] : undefined });
  // The leftovers' revert runs whatever the selection: a fault left behind would spoil every other case.
  await runner.run(leftovers!);
  if (!values['revert-only']) await runner.runAll(rest);
  return runner.finish();
}

if (isEntryPoint(import.meta.url)) runMain('faults', standalone);
