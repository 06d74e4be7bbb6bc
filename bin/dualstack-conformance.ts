#!/usr/bin/env node
// The suite's CLI (`npm test`). It drives mocha in-process through its programmatic API, because mocha's own CLI
// exits with the failure count and its re-spawn loses signals; so this process owns exit codes and signals:
//   0 every check passed or was skipped for an allowed reason; 1 a check or cleanup failed;
//   2 configuration or pre-flight error, zero checks selected, or a crash (uncaught exception, unhandled rejection);
//   130/143 interrupted by SIGINT/SIGTERM (support/teardown.ts: cleanup bounded, a second signal abandons it).
// What runs is .mocharc.json's (spec files, root hooks, timeout), the same plain `mocha` runs; setup and teardown are
// support/lifecycle.ts's, the same the root hooks use under plain mocha.
//
// One module graph: started with `node --import tsx/esm` (ESM hooks only), mocha's require() of a .ts spec fails
// and mocha falls back to import(), which shares this process's ESM instances (support/run.ts's run state among
// them). Under tsx's CommonJS hook too (`npm run bench`), where require() would compile a second copy:
// support/run.ts refuses to load twice, so mocha falls back to import() there as well.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Mocha from 'mocha';
import { CleanupRegistry } from '../support/cleanup.ts';
import { nodeSelectionSummary, type ClusterInfo } from '../support/cluster.ts';
import { absenceCause, parseCli, partialReason, USAGE, type RunConfig } from '../support/config.ts';
import { chooseClusterSource, configFor } from '../support/in-cluster.ts';
import { ConfigurationError, describeError } from '../lib/errors.ts';
import { kubeconfigFiles, type Clients } from '../support/k8s.ts';
import { kubectlArgsReaching, prepareRun, selectedChecks, SUITE, testBackstopMs, unregisteredChecks } from '../support/lifecycle.ts';
import { describeLbProvider } from '../support/loadbalancer.ts';
import { loadRootHooks, loadSpecs, PROJECT_ROOT, readMocharc } from '../support/mocharc.ts';
import { checkList, formatCheckList, selectionPattern } from '../support/listing.ts';
import { decideOutcome, EXIT, type Outcome } from '../support/outcome.ts';
import { phase, phaseTimeline } from '../support/phase.ts';
import { injectReportHeader, renderReportHeader } from '../support/report/header.ts';
import { renderTopologySvg } from '../support/report/svg.ts';
import { buildTopology } from '../support/report/topology.ts';
import { countResults, ResultCollector, toJUnitXml, type CheckResult, type RunSummary } from '../support/results.ts';
import { setSelection } from '../support/run.ts';
import { sweepThreshold } from '../support/sweep.ts';
import { currentInterruption, describeEnding, handleInterrupts, leftoverCommand, tearDownRun, type Ending } from '../support/teardown.ts';
import { formatDuration } from '../support/timeouts.ts';

const REPORT_FILES = ['dualstack-conformance.html', 'dualstack-conformance.json', 'junit.xml', 'summary.json'];

/** Everything the signal handler may need; filled in as the run progresses. */
const state: {
  cleanup: CleanupRegistry;
  runner: Mocha.Runner | undefined;
  child: ChildProcess | undefined;
  /** Writes the reports of a run a signal or a crash ended, once checks have started. */
  reportEnding: ((ending: Ending, cleanupFailures: string[]) => void) | undefined;
} = { cleanup: new CleanupRegistry(), runner: undefined, child: undefined, reportEnding: undefined };

function line(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** One clear line on stderr and the exit code; no stack trace for errors the user can fix. */
function exitWithError(error: unknown): never {
  // Unexpected errors too are one line; DSC_DEBUG=1 adds the stack trace for bug reports.
  const debug = process.env.DSC_DEBUG === '1' && error instanceof Error ? `\n${error.stack ?? ''}` : '';
  const message = error instanceof ConfigurationError ? error.message : `unexpected error: ${describeError(error)}${debug}`;
  process.stderr.write(`dualstack-conformance: ${message}\n`);
  process.exit(EXIT.configuration);
}

function installSignalHandlers(): void {
  handleInterrupts({
    cleanup: state.cleanup,
    stop: (ending) => {
      state.runner?.abort();
      // cluster:up runs in its own process group (npm does not forward signals to its script): signal the group.
      if (state.child?.pid !== undefined) process.kill(-state.child.pid, ending.kind === 'signal' ? ending.signal : 'SIGTERM');
    },
    report: (ending, failures) => state.reportEnding?.(ending, failures),
  });
}

/** Brings up (or reuses) the embedded dual-stack kind cluster through `npm run cluster:up`; returns its kubeconfig. */
async function embeddedClusterKubeconfig(config: RunConfig): Promise<string> {
  if (!existsSync(path.join(PROJECT_ROOT, 'cluster', 'cluster.ts'))) {
    throw new ConfigurationError(
      'no kubeconfig ($KUBECONFIG, ~/.kube/config) and the embedded kind cluster comes only with a checkout of the repository: pass --kubeconfig <file> (or run it in the cluster: deploy/job.yaml)',
    );
  }
  const kubeconfig = path.join(config.cacheDir, 'kubeconfig-dualstack');
  const docker = spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 20_000 });
  if (docker.error || docker.status !== 0) {
    throw new ConfigurationError(
      'the embedded kind cluster needs Docker, which is not available: run `npm run host:prepare` (or point KUBECONFIG at a cluster)',
    );
  }
  phase('cluster-up');
  process.stderr.write(`embedded cluster: npm run cluster:up -- --name dualstack --kubeconfig ${kubeconfig}\n`);
  const code = await new Promise<number | null>((resolve) => {
    // Two runs that both need the embedded cluster: the second waits for the first's `up` instead of failing.
    const wait = String(Math.ceil(config.timeouts.clusterUp / 1000));
    const args = ['run', '--silent', 'cluster:up', '--', '--name', 'dualstack', '--kubeconfig', kubeconfig, '--wait-lock', wait];
    const child = spawn('npm', args, {
      cwd: PROJECT_ROOT,
      // The child's output goes to stderr: stdout stays the suite's report.
      stdio: ['ignore', process.stderr, process.stderr],
      env: { ...process.env, DSC_CACHE: config.cacheDir },
      detached: true,
    });
    state.child = child;
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
    }, config.timeouts.clusterUp);
    child.on('exit', (exitCode) => {
      clearTimeout(timer);
      state.child = undefined;
      resolve(exitCode);
    });
    child.on('error', () => resolve(null));
  });
  if (code !== 0) {
    throw new ConfigurationError(`the embedded cluster did not come up (npm run cluster:up exited ${code ?? 'abnormally'}; its output is above)`);
  }
  return kubeconfig;
}


function clusterForSummary(clients: Clients, cluster: ClusterInfo | undefined, lbProvider: string): Record<string, unknown> | undefined {
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

async function main(): Promise<void> {
  const startedAt = new Date();
  const request = parseCli(process.argv.slice(2));
  if (request.action === 'help') {
    line(USAGE);
    process.exit(EXIT.passed);
  }
  if (request.action === 'version') {
    line(`${SUITE.name} ${SUITE.version}`);
    process.exit(EXIT.passed);
  }
  if (request.action === 'list') {
    const checks = await checkList();
    line(request.json ? JSON.stringify(checks, null, 2) : formatCheckList(checks));
    process.exit(EXIT.passed);
  }
  if (request.action === 'print-images') {
    for (const image of request.list) line(image);
    process.exit(EXIT.passed);
  }
  // In a pod (deploy/job.yaml) without a kubeconfig: the pod's ServiceAccount, and no off-cluster client.
  const source = chooseClusterSource({ kubeconfig: request.config.kubeconfig, embedded: request.config.kind, files: kubeconfigFiles(), env: process.env });
  const config = configFor(request.config, source);
  // A bad DSC_SWEEP_OLDER_THAN fails now, before the embedded cluster or anything else starts.
  sweepThreshold();
  installSignalHandlers();

  // Load the specs first: which checks run is known before touching any cluster.
  setSelection({ config });
  const grep = selectionPattern(config);
  mkdirSync(config.reportsDir, { recursive: true });
  // A run that stops early must not leave the previous run's verdict looking like its own.
  for (const file of REPORT_FILES) rmSync(path.join(config.reportsDir, file), { force: true });
  const partial = partialReason(config);
  const mocharc = readMocharc();
  const mocha = new Mocha({
    reporter: 'mochawesome',
    reporterOptions: {
      reportDir: config.reportsDir,
      reportFilename: 'dualstack-conformance',
      reportTitle: `dualstack-conformance${partial ? ' (PARTIAL)' : ''}${config.absent.length > 0 ? ` (declared absent: ${config.absent.join(', ')})` : ''}`,
      reportPageTitle: 'dualstack-conformance',
      inline: true,
      charts: false,
      code: false,
      quiet: true,
      json: true,
      html: true,
      consoleReporter: 'spec',
    },
    // .mocharc.json's backstop, raised when the timeouts table (DSC_TIMEOUT_*) needs more.
    timeout: Math.max(mocharc.timeout, testBackstopMs(config)),
    rootHooks: await loadRootHooks(mocharc.require),
    ...(grep ? { grep } : {}),
  });
  await loadSpecs(mocha, mocharc);
  const missing = unregisteredChecks(mocha.suite, config);
  if (missing.length > 0) throw new Error(`catalog checks without a spec: ${missing.join(', ')}`);
  const selected = selectedChecks(mocha.suite, grep ? (title) => grep.test(title) : undefined);
  if (selected.length === 0) {
    throw new ConfigurationError(`no check selected (${partial ?? 'no selection'}); check ids are listed in docs/checks.md`);
  }

  phase('preflight');
  let files = source.kind === 'kubeconfig' ? source.files : [];
  let context = config.context;
  if (source.kind === 'embedded') {
    files = [await embeddedClusterKubeconfig(config)];
    // The embedded kubeconfig has one context; the user's --context names one of their own clusters.
    context = undefined;
  }
  const inCluster = source.kind === 'in-cluster';
  const run = await prepareRun({ config, kubeconfigFiles: files, inCluster, context, cleanup: state.cleanup, selected, print: line });
  // Interrupted meanwhile: the signal handler cleans up and exits; create nothing more.
  if (!run) return;
  const { clients, cluster, namespaces } = run;

  const collector = new ResultCollector(selected, run.skipReasons, run.checkDurations);
  const summarize = (outcome: Outcome & Pick<RunSummary, 'checks' | 'cleanupFailures'> & { lbProvider: string }): RunSummary => {
    const finishedAt = new Date();
    return {
      suite: { name: SUITE.name, version: SUITE.version },
      runId: namespaces.runId,
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
      cluster: clusterForSummary(clients, cluster, outcome.lbProvider),
      counts: countResults(outcome.checks),
      checks: outcome.checks,
      hookFailures: collector.hookFailures,
      cleanupFailures: outcome.cleanupFailures,
      phases: [...phaseTimeline()],
      topology: run.reportObjects && buildTopology({ nodes: cluster.selectedNodes, ...run.reportObjects, results: outcome.checks }),
    };
  };
  state.reportEnding = (ending, cleanupFailures) => {
    const reason = describeEnding(ending);
    const checks = collector.results(ending.kind === 'signal' ? reason : `stopped by an internal error: ${reason}`);
    const outcome = decideOutcome({
      counts: countResults(checks),
      cleanupFailures,
      ...(ending.kind === 'signal' ? { interruptedBy: ending.signal } : { crash: reason }),
    });
    writeReports(config, summarize({ ...outcome, checks, cleanupFailures, lbProvider: `not decided (${ending.kind === 'signal' ? 'interrupted' : 'crashed'})` }));
  };

  let configurationFailure: string | undefined;
  await new Promise<void>((resolve) => {
    const runner = mocha.run(() => resolve());
    state.runner = runner;
    collector.attach(runner);
    runner.on('fail', (test, error) => {
      // An image that cannot be pulled (or a malformed fixture) surfaces in the root hook: a configuration error.
      const runnable: { type?: string } = test;
      if (runnable.type === 'hook' && error instanceof ConfigurationError) configurationFailure = error.message;
    });
  });
  if (currentInterruption()) return; // the signal or crash handler cleans up, reports and exits

  const results = collector.results('the run stopped before it');
  const counts = countResults(results);
  let cleanupFailures: string[] = [];
  if (counts.failed + counts.notRun > 0 && config.keepOnFailure) {
    phase('cleanup');
    line(`Kept namespaces ${namespaces.main} and ${namespaces.host} (--keep-on-failure); delete them with:`);
    line(`  ${leftoverCommand({ runId: namespaces.runId, kubectlArgs: kubectlArgsReaching(files, context) }, new Set(['cluster']))}`);
  } else {
    cleanupFailures = await tearDownRun(state.cleanup);
  }
  const lbProvider = run.fixtures ? describeLbProvider(await run.fixtures.lbProvider) : 'not decided (setup did not finish)';

  const outcome = decideOutcome({ counts, configurationFailure, cleanupFailures });
  phase('report');
  const summary = summarize({ ...outcome, checks: results, cleanupFailures, lbProvider });
  writeReports(config, summary);
  printVerdict(summary, results, config.reportsDir);
  if (configurationFailure) process.stderr.write(`dualstack-conformance: ${configurationFailure}\n`);
  phase('done');
  process.exit(outcome.exitCode);
}

function writeReports(config: RunConfig, summary: RunSummary): void {
  writeFileSync(path.join(config.reportsDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  writeFileSync(path.join(config.reportsDir, 'junit.xml'), toJUnitXml(summary));
  // mochawesome has written its page when mocha's run ends; the header goes on top of it.
  const header = renderReportHeader(summary, summary.topology && renderTopologySvg(summary.topology));
  injectReportHeader(path.join(config.reportsDir, 'dualstack-conformance.html'), header);
}

function printVerdict(summary: RunSummary, results: readonly CheckResult[], reportsDir: string): void {
  const counts = summary.counts;
  line('');
  for (const result of results.filter((r) => r.verdict === 'skipped')) line(`  skipped [${result.id}]: ${result.reason ?? ''}`);
  // Checks a failed hook kept from running usually share one reason: print it once per reason.
  const notRun = new Map<string, string[]>();
  for (const result of results.filter((r) => r.verdict === 'not-run')) {
    notRun.set(result.reason ?? '', [...(notRun.get(result.reason ?? '') ?? []), result.id]);
  }
  for (const [reason, ids] of notRun) line(`  ${ids.length} check(s) ${reason} [${ids.join(', ')}]`);
  for (const failure of summary.cleanupFailures) line(`  cleanup failed: ${failure}`);
  const label = summary.partial ? `PARTIAL ${summary.verdict.toUpperCase()}` : summary.verdict.toUpperCase();
  line(
    `${label}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped, ${counts.notRun} not run ` +
      `of ${counts.total} checks in ${formatDuration(Math.round(summary.wallSeconds * 1000))}; ${summary.reason}`,
  );
  const dir = path.relative(process.cwd(), reportsDir) || '.';
  line(`Reports: ${REPORT_FILES.map((file) => path.join(dir, file)).join(', ')}`);
}

main().catch((error: unknown) => {
  if (currentInterruption()) return;
  // Anything that escaped before the run started: clean up what exists (bounded), then one line and exit 2.
  void tearDownRun(state.cleanup).then(() => exitWithError(error));
});

