// The run's reports: summary.json, junit.xml and mochawesome's page with our header on top, for a run that ended
// normally and for one a signal or a crash ended.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { nodeSelectionSummary } from '../cluster.ts';
import { absenceCause, type RunConfig } from '../config.ts';
import { SUITE } from '../lifecycle.ts';
import { decideOutcome, type Outcome } from '../outcome.ts';
import { phaseTimeline } from '../phase.ts';
import { injectReportHeader, renderReportHeader } from '../report/header.ts';
import { renderTopologySvg } from '../report/svg.ts';
import { buildTopology } from '../report/topology.ts';
import { countResults, toJUnitXml, type ResultCollector, type RunSummary } from '../results.ts';
import type { Run } from '../run.ts';
import { describeEnding, type Ending } from '../teardown.ts';

export const REPORT_FILES = ['dualstack-conformance.html', 'dualstack-conformance.json', 'junit.xml', 'summary.json'];

/** A run that stops early must not leave the previous run's verdict looking like its own. */
export function clearReports(reportsDir: string): void {
  mkdirSync(reportsDir, { recursive: true });
  for (const file of REPORT_FILES) rmSync(path.join(reportsDir, file), { force: true });
}

export function writeReports(reportsDir: string, summary: RunSummary): void {
  writeFileSync(path.join(reportsDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  writeFileSync(path.join(reportsDir, 'junit.xml'), toJUnitXml(summary));
  // mochawesome has written its page when mocha's run ends; the header goes on top of it.
  const header = renderReportHeader(summary, summary.topology && renderTopologySvg(summary.topology));
  injectReportHeader(path.join(reportsDir, 'dualstack-conformance.html'), header);
}

function clusterForSummary(run: Run, lbProvider: string): Record<string, unknown> | undefined {
  const { clients, cluster } = run;
  if (!cluster) return undefined;
  return {
    context: clients.contextName,
    server: clients.server,
    kubernetesVersion: cluster.version.gitVersion,
    families: cluster.families.families,
    dualStack: cluster.families.dualStack,
    primaryFamily: cluster.families.primary,
    serviceFamilies: cluster.families.services.families,
    serviceCidrs: cluster.families.services.cidrs,
    serviceFamilySource: cluster.families.services.source,
    nodeInternalIpFamilies: cluster.families.nodeInternalIpFamilies,
    podCidrFamilies: cluster.families.podCidrFamilies ?? null,
    serviceCidrObjects: cluster.families.services.serviceCidrs,
    ...nodeSelectionSummary(cluster),
    kubeProxyMode: cluster.kubeProxyMode,
    cni: cluster.cni,
    lbProvider,
  };
}

export type SummaryInputs = Outcome & Pick<RunSummary, 'checks' | 'cleanupFailures'> & { readonly lbProvider: string };

export interface RunFacts {
  readonly startedAt: Date;
  readonly config: RunConfig;
  /** Why the run is partial (a selection, a declared absence), if it is. */
  readonly partial: string | undefined;
  readonly run: Run;
  readonly collector: ResultCollector;
}

/** summary.json's content: the run's facts and how it ended. */
export function summarize(facts: RunFacts, outcome: SummaryInputs): RunSummary {
  const { startedAt, config, partial, run, collector } = facts;
  const finishedAt = new Date();
  return {
    suite: { name: SUITE.name, version: SUITE.version },
    runId: run.namespaces.runId,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    wallSeconds: (finishedAt.getTime() - startedAt.getTime()) / 1000,
    partial: partial !== undefined,
    partialReason: partial ?? null,
    strict: config.strict,
    declaredAbsent: [...config.absent],
    declaredAbsentReasons: Object.fromEntries(config.absent.map((capability) => [capability, absenceCause(capability, config)])),
    verdict: outcome.verdict,
    exitCode: outcome.exitCode,
    reason: outcome.reason,
    cluster: clusterForSummary(run, outcome.lbProvider),
    counts: countResults(outcome.checks),
    checks: outcome.checks,
    hookFailures: collector.hookFailures,
    cleanupFailures: outcome.cleanupFailures,
    phases: [...phaseTimeline()],
    topology: run.reportObjects && buildTopology({ nodes: run.cluster.selectedNodes, ...run.reportObjects, results: outcome.checks }),
  };
}

/** The reports of a run a signal or a crash ended, written once its cleanup is done (or abandoned). */
export function reportEnding(facts: RunFacts, ending: Ending, cleanupFailures: string[]): void {
  const reason = describeEnding(ending);
  const checks = facts.collector.results(ending.kind === 'signal' ? reason : `stopped by an internal error: ${reason}`);
  const outcome = decideOutcome({
    counts: countResults(checks),
    cleanupFailures,
    ...(ending.kind === 'signal' ? { interruptedBy: ending.signal } : { crash: reason }),
  });
  const lbProvider = `not decided (${ending.kind === 'signal' ? 'interrupted' : 'crashed'})`;
  writeReports(facts.config.reportsDir, summarize(facts, { ...outcome, checks, cleanupFailures, lbProvider }));
}
