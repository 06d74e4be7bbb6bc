#!/usr/bin/env node
// The suite's CLI (`npm test`): options → cluster → signal and crash handlers → mocha → reports → outcome → exit.
// It drives mocha in-process (support/cli/mocha.ts), so this process owns exit codes and signals; every exit code and
// where it is decided is listed in support/outcome.ts. Setup and teardown are support/lifecycle.ts's and
// support/teardown.ts's, the same the root hooks use under plain mocha.
//
// One module graph: started with `node --import tsx/esm` (ESM hooks only), mocha's require() of a .ts spec fails
// and mocha falls back to import(), which shares this process's ESM instances (support/run.ts's run state among
// them). Under tsx's CommonJS hook too (`npm run bench`), where require() would compile a second copy:
// support/run.ts refuses to load twice, so mocha falls back to import() there as well.
import { clusterAccess } from '../support/cli/cluster-access.ts';
import { exitOnFailureBeforeRun, installSignalHandlers, newRunControl } from '../support/cli/control.ts';
import { loadSuite, runChecks } from '../support/cli/mocha.ts';
import { line, printInformation, printKeptNamespaces, printVerdict } from '../support/cli/print.ts';
import { clearReports, reportEnding, summarize, writeReports, type RunFacts } from '../support/cli/reports.ts';
import { parseCli, partialReason } from '../support/config.ts';
import { chooseClusterSource, configFor } from '../support/in-cluster.ts';
import { kubeconfigFiles } from '../support/k8s.ts';
import { kubectlArgsReaching, prepareRun } from '../support/lifecycle.ts';
import { describeLbProvider } from '../support/loadbalancer.ts';
import { decideOutcome, EXIT } from '../support/outcome.ts';
import { phase } from '../support/phase.ts';
import { countResults, ResultCollector } from '../support/results.ts';
import { setSelection } from '../support/run.ts';
import { sweepThreshold } from '../support/sweep.ts';
import { currentInterruption, tearDownRun } from '../support/teardown.ts';

const control = newRunControl();

async function main(): Promise<void> {
  const startedAt = new Date();

  // Options: --help, --version, --list and --print-images answer and exit 0; a malformed one is exit 2.
  const request = parseCli(process.argv.slice(2));
  if (request.action !== 'run') {
    await printInformation(request);
    process.exit(EXIT.passed);
  }

  // Cluster: in a pod (deploy/job.yaml) without a kubeconfig, the pod's ServiceAccount and no off-cluster client.
  const source = chooseClusterSource({ kubeconfig: request.config.kubeconfig, embedded: request.config.kind, files: kubeconfigFiles(), env: process.env });
  const config = configFor(request.config, source);
  // A bad DSC_SWEEP_OLDER_THAN fails now, before the embedded cluster or anything else starts.
  sweepThreshold();

  installSignalHandlers(control);

  // mocha: the specs load first, so which checks run is known before touching any cluster.
  setSelection({ config });
  clearReports(config.reportsDir);
  const partial = partialReason(config);
  const { mocha, selected } = await loadSuite(config, partial);

  phase('preflight');
  const { kubeconfigFiles: files, context, inCluster } = await clusterAccess(source, config, control);
  const run = await prepareRun({ config, kubeconfigFiles: files, inCluster, context, cleanup: control.cleanup, selected, print: line });
  // Interrupted meanwhile: the signal handler cleans up and exits; create nothing more.
  if (!run) return;

  const collector = new ResultCollector(selected, run.skipReasons, run.checkDurations);
  const facts: RunFacts = { startedAt, config, partial, run, collector };
  control.reportEnding = (ending, failures) => reportEnding(facts, ending, failures);
  const configurationFailure = await runChecks(mocha, control, collector);
  if (currentInterruption()) return; // the signal or crash handler cleans up, reports and exits

  const results = collector.results('the run stopped before it');
  const counts = countResults(results);
  let cleanupFailures: string[] = [];
  if (counts.failed + counts.notRun > 0 && config.keepOnFailure) {
    phase('cleanup');
    printKeptNamespaces(run.namespaces, kubectlArgsReaching(files, context));
  } else {
    cleanupFailures = await tearDownRun(control.cleanup);
  }
  const lbProvider = run.fixtures ? describeLbProvider(await run.fixtures.lbProvider) : 'not decided (setup did not finish)';

  // Outcome, reports, exit.
  const outcome = decideOutcome({ counts, configurationFailure, cleanupFailures });
  phase('report');
  const summary = summarize(facts, { ...outcome, checks: results, cleanupFailures, lbProvider });
  writeReports(config.reportsDir, summary);
  printVerdict(summary, results, config.reportsDir);
  if (configurationFailure) process.stderr.write(`dualstack-conformance: ${configurationFailure}\n`);
  phase('done');
  process.exit(outcome.exitCode);
}

main().catch((error: unknown) => exitOnFailureBeforeRun(control, error));
