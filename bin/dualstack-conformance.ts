#!/usr/bin/env tsx
// The suite's CLI (`npm test`). It drives mocha in-process through its programmatic API, because mocha's own CLI
// exits with the failure count and its re-spawn loses signals; so this process owns exit codes and signals:
//   0 every check passed or was skipped for an allowed reason; 1 a check or cleanup failed;
//   2 configuration or pre-flight error, or zero checks selected; 130/143 interrupted by SIGINT/SIGTERM.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Mocha from 'mocha';
import { rootHooks } from '../specs/hooks.ts';
import { CHECKS, checkIdOfTitle, selectedByFamily, type CheckInstance } from '../support/checks.ts';
import { CleanupRegistry } from '../support/cleanup.ts';
import { discoverCluster, schedulableNodeNames, type ClusterInfo } from '../support/cluster.ts';
import { IMAGE_SETTINGS, parseCli, partialReason, USAGE, type RunConfig } from '../support/config.ts';
import { fixtureVariables } from '../support/deploy.ts';
import { ConfigurationError, describeError } from '../support/errors.ts';
import { familyAbsence } from '../support/families.ts';
import { describePermission, kubeconfigFiles, loadKubeConfig, makeClients, preflight, type Clients } from '../support/k8s.ts';
import { declaredLbProvider, describeLbProvider } from '../support/loadbalancer.ts';
import { warmOffcluster } from '../support/offcluster.ts';
import { createRunNamespaces, newRunId, runNamespaceNames, type RunNamespaces } from '../support/namespace.ts';
import { phase, phaseTimeline } from '../support/phase.ts';
import { countResults, ResultCollector, toJUnitXml, type CheckResult, type RunSummary } from '../support/results.ts';
import { setRun, setSelection, type Run } from '../support/run.ts';
import { describeSweep, sweepStaleNamespaces, sweepThreshold } from '../support/sweep.ts';
import { formatDuration } from '../support/timeouts.ts';
import { interruptWaits } from '../support/wait.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Spec files in the page's order: nodes, pods, Services, then beyond the page. */
const SPEC_FILES = ['nodes', 'pods', 'services', 'connectivity', 'dns', 'offcluster', 'loadbalancer'].map((name) =>
  path.join(ROOT, 'specs', `${name}.spec.ts`),
);
const SUITE = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };

const REPORT_FILES = ['dualstack-conformance.html', 'dualstack-conformance.json', 'junit.xml', 'summary.json'];

const EXIT = { passed: 0, failed: 1, configuration: 2, sigint: 130, sigterm: 143 } as const;

interface Interruption {
  readonly signal: NodeJS.Signals;
  readonly exitCode: number;
}

/** Everything the signal handler may need to clean up; filled in as the run progresses. */
const state: {
  cleanup: CleanupRegistry;
  runner: Mocha.Runner | undefined;
  child: ChildProcess | undefined;
  interruption: Interruption | undefined;
  /** Writes the reports of an interrupted run, once checks have started. */
  reportInterruption: ((interruption: Interruption, cleanupFailures: string[]) => void) | undefined;
} = { cleanup: new CleanupRegistry(), runner: undefined, child: undefined, interruption: undefined, reportInterruption: undefined };

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
  const handle = (signal: NodeJS.Signals): void => {
    // A second signal while cleaning up is ignored: cleanup is bounded and must finish to leave nothing behind.
    if (state.interruption) return;
    const interruption = { signal, exitCode: signal === 'SIGINT' ? EXIT.sigint : EXIT.sigterm };
    state.interruption = interruption;
    process.stderr.write(`\n${signal} received: stopping and deleting the run's namespaces\n`);
    interruptWaits(signal);
    state.runner?.abort();
    // cluster:up runs in its own process group (npm does not forward signals to its script): signal the group.
    if (state.child?.pid !== undefined) process.kill(-state.child.pid, signal);
    void (async () => {
      phase('cleanup');
      const failures = await state.cleanup.runAll();
      for (const failure of failures) process.stderr.write(`cleanup failed: ${failure}\n`);
      phase('report');
      state.reportInterruption?.(interruption, failures);
      phase('done');
      process.exit(interruption.exitCode);
    })();
  };
  process.on('SIGINT', handle);
  process.on('SIGTERM', handle);
}

/** Brings up (or reuses) the embedded dual-stack kind cluster through `npm run cluster:up`; returns its kubeconfig. */
async function embeddedClusterKubeconfig(config: RunConfig): Promise<string> {
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
    const child = spawn('npm', ['run', '--silent', 'cluster:up', '--', '--name', 'dualstack', '--kubeconfig', kubeconfig], {
      cwd: ROOT,
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

/**
 * Loads the spec files with import(). mocha's own loadFilesAsync tries require() first where Node has require(esm);
 * under tsx that loads a second, CommonJS copy of support/ whose run state the CLI never set.
 */
async function loadSpecs(mocha: Mocha): Promise<void> {
  // No mocha.addFile: with no files registered, mocha.run() loads nothing more.
  for (const file of SPEC_FILES) {
    mocha.suite.emit('pre-require', globalThis, file, mocha);
    const loaded: unknown = await import(pathToFileURL(file).href);
    mocha.suite.emit('require', loaded, file, mocha);
    mocha.suite.emit('post-require', globalThis, file, mocha);
  }
}

/** Every test of the loaded suite that the grep selects, as catalog checks. */
function selectedChecks(suite: Mocha.Suite, grep: RegExp | undefined): CheckInstance[] {
  const ids = new Set<string>();
  const walk = (current: Mocha.Suite): void => {
    for (const test of current.tests) {
      const id = checkIdOfTitle(test.title);
      if (id && (!grep || grep.test(test.fullTitle()))) ids.add(id);
    }
    current.suites.forEach(walk);
  };
  walk(suite);
  return CHECKS.filter((check) => ids.has(check.id));
}

/** Catalog checks no spec registered: a bug of ours, never silently a smaller run. */
function unregisteredChecks(suite: Mocha.Suite, config: RunConfig): string[] {
  const all = selectedChecks(suite, undefined).map((check) => check.id);
  return CHECKS.filter((check) => selectedByFamily(check, config.family) && !all.includes(check.id)).map((check) => check.id);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function header(
  config: RunConfig,
  clients: Clients,
  namespaces: RunNamespaces,
  cluster: ClusterInfo,
  missingOptional: string[],
  sweep: string,
): string[] {
  const families = cluster.families;
  const schedulable = schedulableNodeNames(cluster);
  const notSchedulable = cluster.schedulability.filter((node) => !node.schedulable).map((node) => `${node.name} (${node.reason ?? ''})`);
  const declared = declaredLbProvider(config.lbProvider);
  const absent = (['IPv4', 'IPv6'] as const).map((family) => familyAbsence(families, family)).filter((text) => text !== '');
  const partial = partialReason(config);
  return [
    `${SUITE.name} ${SUITE.version}: run ${namespaces.runId} (namespaces ${namespaces.main}, ${namespaces.host})`,
    `Cluster: context ${clients.contextName} (${clients.server}), Kubernetes ${cluster.version.gitVersion}`,
    `Families: ${families.families.join('+') || 'none'}${families.dualStack ? ' (dual-stack)' : ' (NOT dual-stack)'}; primary ${families.primary ?? 'unknown'}; ` +
      `services ${families.services.families.join('+')} from ${families.services.source}${families.services.cidrs.length > 0 ? ` [${families.services.cidrs.join(', ')}]` : ''}; ` +
      `node InternalIPs ${families.nodeInternalIpFamilies.join('+') || 'none'}; pod CIDRs ${families.podCidrFamilies?.join('+') ?? 'none (no node IPAM)'}`,
    ...absent.map((text) => `  ${text}`),
    `Nodes: ${cluster.nodes.length}; schedulable for the suite: ${schedulable.join(', ') || 'none'}${notSchedulable.length > 0 ? `; not: ${notSchedulable.join(', ')}` : ''}`,
    `LoadBalancer provider: ${declared ? describeLbProvider(declared) : 'detected during setup (MetalLB pools, else a probe Service)'}`,
    `kube-proxy: ${cluster.kubeProxyMode}; CNI: ${cluster.cni}`,
    `Images: agnhost ${config.images.agnhost}, busybox ${config.images.busybox}`,
    `Off-cluster client: ${config.offclusterNetwork ? `docker network ${config.offclusterNetwork} (declared)` : "the docker network the nodes are containers on (detected)"}, ` +
      `image ${config.offclusterImage ?? 'the local dualstack-conformance/node-base (detected)'}`,
    `Mode: ${partial ? `PARTIAL (${partial}); not a conformance verdict` : 'full run'}${config.strict ? '; strict' : ''}`,
    sweep,
    ...(missingOptional.length > 0 ? [`Not visible to this identity: ${missingOptional.join(', ')}`] : []),
    '',
  ];
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
    nodes: cluster.nodes.map((node) => node.metadata?.name),
    schedulableNodes: schedulableNodeNames(cluster),
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
  if (request.action === 'print-images') {
    for (const key of Object.keys(IMAGE_SETTINGS) as (keyof typeof IMAGE_SETTINGS)[]) line(request.images[key]);
    process.exit(EXIT.passed);
  }
  const config = request.config;
  const sweepOlderThan = sweepThreshold();
  installSignalHandlers();

  // Load the specs first: which checks run is known before touching any cluster.
  setSelection({ config });
  const grep = config.grep !== undefined ? new RegExp(escapeRegExp(config.grep)) : undefined;
  mkdirSync(config.reportsDir, { recursive: true });
  // A run that stops early must not leave the previous run's verdict looking like its own.
  for (const file of REPORT_FILES) rmSync(path.join(config.reportsDir, file), { force: true });
  const partial = partialReason(config);
  const mocha = new Mocha({
    reporter: 'mochawesome',
    reporterOptions: {
      reportDir: config.reportsDir,
      reportFilename: 'dualstack-conformance',
      reportTitle: `dualstack-conformance${partial ? ' (PARTIAL)' : ''}`,
      reportPageTitle: 'dualstack-conformance',
      inline: true,
      charts: false,
      code: false,
      quiet: true,
      json: true,
      html: true,
      consoleReporter: 'spec',
    },
    // Every wait inside a check is bounded by the timeouts table; this is only a backstop against a hung request.
    timeout: Math.max(...Object.values(config.timeouts).filter((ms) => ms < config.timeouts.clusterUp)) * 2 + 60_000,
    rootHooks,
    ...(grep ? { grep } : {}),
  });
  await loadSpecs(mocha);
  const missing = unregisteredChecks(mocha.suite, config);
  if (missing.length > 0) throw new Error(`catalog checks without a spec: ${missing.join(', ')}`);
  const selected = selectedChecks(mocha.suite, grep);
  if (selected.length === 0) {
    throw new ConfigurationError(`no check selected (${partial ?? 'no selection'}); check ids are listed in docs/checks.md`);
  }

  phase('preflight');
  let files = kubeconfigFiles();
  let context = config.context;
  if (config.kind || files.length === 0) {
    files = [await embeddedClusterKubeconfig(config)];
    // The embedded kubeconfig has one context; the user's --context names one of their own clusters.
    context = undefined;
    phase('preflight');
  }
  const clients = makeClients(loadKubeConfig(files, context));
  const pre = await preflight(clients, config.timeouts.apiRequest);
  // Leftovers of killed runs, before this run creates its own namespaces.
  const sweep = await sweepStaleNamespaces(clients, sweepOlderThan, config.timeouts.apiRequest);

  // Interrupted meanwhile: the signal handler cleans up and exits; create nothing more.
  if (state.interruption) return;
  const namespaces = runNamespaceNames(newRunId());
  await createRunNamespaces(clients, namespaces, state.cleanup, config.timeouts.namespaceDeletion, config.timeouts.apiRequest);
  phase('discover');
  const cluster = await discoverCluster({
    clients,
    version: pre.version,
    probeNamespace: namespaces.main,
    probeServiceTemplateVariables: fixtureVariables(namespaces, config.images),
  });
  if (state.interruption) return;
  for (const text of header(config, clients, namespaces, cluster, pre.missingOptional.map(describePermission), describeSweep(sweep))) line(text);

  const run: Run = {
    config,
    clients,
    namespaces,
    cleanup: state.cleanup,
    cluster,
    fixtures: undefined,
    skipReasons: new Map(),
  };
  setRun(run);
  // The off-cluster client container starts while the fixtures come up, when a selected check needs it.
  if (selected.some((check) => check.skipsWithout.includes('offcluster-network'))) warmOffcluster(run);

  const collector = new ResultCollector(selected, run.skipReasons);
  const summarize = (outcome: Pick<RunSummary, 'verdict' | 'exitCode' | 'reason' | 'checks' | 'cleanupFailures'> & { lbProvider: string }): RunSummary => {
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
      verdict: outcome.verdict,
      exitCode: outcome.exitCode,
      reason: outcome.reason,
      cluster: clusterForSummary(clients, cluster, outcome.lbProvider),
      counts: countResults(outcome.checks),
      checks: outcome.checks,
      hookFailures: collector.hookFailures,
      cleanupFailures: outcome.cleanupFailures,
      phases: [...phaseTimeline()],
    };
  };
  state.reportInterruption = (interruption, cleanupFailures) => {
    const reason = `interrupted by ${interruption.signal}`;
    writeReports(
      config,
      summarize({ verdict: 'interrupted', exitCode: interruption.exitCode, reason, checks: collector.results(reason), cleanupFailures, lbProvider: 'not decided (interrupted)' }),
    );
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
  if (state.interruption) return; // the signal handler cleans up, reports and exits

  const results = collector.results('the run stopped before it');
  const counts = countResults(results);
  const checksFailed = counts.failed + counts.notRun > 0;
  let cleanupFailures: string[] = [];
  phase('cleanup');
  if (checksFailed && config.keepOnFailure) {
    line(`Kept namespaces ${namespaces.main} and ${namespaces.host} (--keep-on-failure); delete them with:`);
    line(`  kubectl delete namespace -l dualstack-conformance/run-id=${namespaces.runId}`);
  } else {
    cleanupFailures = await state.cleanup.runAll();
  }
  const lbProvider = run.fixtures ? describeLbProvider(await run.fixtures.lbProvider) : 'not decided (setup did not finish)';

  const exitCode = configurationFailure
    ? EXIT.configuration
    : checksFailed || cleanupFailures.length > 0
      ? EXIT.failed
      : EXIT.passed;
  const reason = configurationFailure
    ? configurationFailure
    : checksFailed
      ? `${counts.failed} check(s) failed${counts.notRun > 0 ? `, ${counts.notRun} did not run` : ''}`
      : cleanupFailures.length > 0
        ? `cleanup failed: ${cleanupFailures.join('; ')}`
        : `${counts.passed} passed, ${counts.skipped} skipped for allowed reasons`;
  const verdict = exitCode === EXIT.passed ? 'passed' : exitCode === EXIT.configuration ? 'error' : 'failed';
  phase('report');
  const summary = summarize({ verdict, exitCode, reason, checks: results, cleanupFailures, lbProvider });
  writeReports(config, summary);
  printVerdict(summary, results, config.reportsDir);
  if (configurationFailure) process.stderr.write(`dualstack-conformance: ${configurationFailure}\n`);
  phase('done');
  process.exit(exitCode);
}

function writeReports(config: RunConfig, summary: RunSummary): void {
  writeFileSync(path.join(config.reportsDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  writeFileSync(path.join(config.reportsDir, 'junit.xml'), toJUnitXml(summary));
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
  if (state.interruption) return;
  // Anything that escaped before the run started: clean up what exists, then one line and exit 2.
  void state.cleanup.runAll().then(() => exitWithError(error));
});

