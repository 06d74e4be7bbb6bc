// Setup and teardown of one run: one implementation for both drivers. The CLI (`npm test`) prepares the run before
// mocha starts, so a configuration error exits 2 before any mocha output, and tears it down after; under plain
// `mocha` the root hooks (specs/hooks.ts) call the same functions, configured from the environment.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PROJECT_ROOT } from '../lib/paths.ts';
import { CHECKS, checkIdOfTitle, selectedByFamily, type CheckInstance } from './checks.ts';
import type { CleanupRegistry } from './cleanup.ts';
import { describeNodeSelection, discoverCluster, type ClusterInfo } from './cluster.ts';
import { describeDeclaredAbsent, partialReason, type RunConfig } from './config.ts';
import { fixtureVariables } from './deploy.ts';
import { ConfigurationError } from '../lib/errors.ts';
import { familyAbsence } from './families.ts';
import { loadInClusterConfig } from './in-cluster.ts';
import { escapeRegExp } from './listing.ts';
import { describePermission, kubeconfigFiles, loadKubeConfig, makeClients, preflight, type Clients } from './k8s.ts';
import { declaredLbProvider, describeLbProvider } from './loadbalancer.ts';
import { createRunNamespaces, newRunId, runNamespaceNames, type RunNamespaces } from './namespace.ts';
import { warmOffcluster } from './offcluster/client.ts';
import { preflightOffclusterImage } from './offcluster/image.ts';
import { sweepOffclusterContainers } from './offcluster/sweep.ts';
import { phase } from './phase.ts';
import { currentSelection, setRun, type Run } from './run.ts';
import { describeSweep, runTtlMs, serverNow, sweepStaleNamespaces, sweepThreshold } from './sweep.ts';
import { currentInterruption, handleInterrupts, setLeftoverTarget } from './teardown.ts';

export const SUITE = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { name: string; version: string };

// ---------------------------------------------------------------------------------------------------------------
// Which checks a loaded suite selects

/** Every registered test whose full title `matches`, as catalog checks (catalog order). */
export function selectedChecks(suite: Mocha.Suite, matches: (fullTitle: string) => boolean = () => true): CheckInstance[] {
  const ids = new Set<string>();
  const walk = (current: Mocha.Suite): void => {
    for (const test of current.tests) {
      const id = checkIdOfTitle(test.title);
      if (id && matches(test.fullTitle())) ids.add(id);
    }
    current.suites.forEach(walk);
  };
  walk(suite);
  return CHECKS.filter((check) => ids.has(check.id));
}

/** Catalog checks no spec registered: a bug of ours, never silently a smaller run. */
export function unregisteredChecks(suite: Mocha.Suite, config: RunConfig): string[] {
  const registered = new Set(selectedChecks(suite).map((check) => check.id));
  return CHECKS.filter((check) => selectedByFamily(check, config.family) && !registered.has(check.id)).map((check) => check.id);
}

// ---------------------------------------------------------------------------------------------------------------
// mocha timeouts: backstops only, every wait inside has its own bound from the timeouts table

/** Per check: twice the longest bound a check waits on (not the cluster's bring-up nor the cleanup's), plus slack. */
export function testBackstopMs(config: RunConfig): number {
  const checkBounds = Object.entries(config.timeouts).filter(([name]) => name !== 'clusterUp' && name !== 'cleanup');
  return Math.max(...checkBounds.map(([, ms]) => ms)) * 2 + 60_000;
}

/** The root `before` deploying fixtures (pods Ready is its longest wait). */
export function fixturesBackstopMs(config: RunConfig): number {
  return config.timeouts.podReady + 60_000;
}

/** Pre-flight to header, when the root `before` does it (plain mocha): a handful of bounded API requests. */
export function setupBackstopMs(config: RunConfig): number {
  return config.timeouts.apiRequest * 6 + 60_000;
}

/** Teardown: the namespaces' deletion and the off-cluster container's removal, which stop waiting at the cleanup deadline. */
export function teardownBackstopMs(config: RunConfig): number {
  return config.timeouts.cleanup + 30_000;
}

// ---------------------------------------------------------------------------------------------------------------
// Setup

export interface PrepareOptions {
  readonly config: RunConfig;
  readonly kubeconfigFiles: readonly string[];
  /** The pod's ServiceAccount instead of kubeconfig files (support/in-cluster.ts). */
  readonly inCluster?: boolean;
  readonly context: string | undefined;
  readonly cleanup: CleanupRegistry;
  /** The checks that will run: the off-cluster client is started early only when one needs it. */
  readonly selected: readonly CheckInstance[];
  /** One header line: stdout for the CLI (its report), stderr under plain mocha (stdout is the reporter's). */
  readonly print: (text: string) => void;
}

/**
 * Pre-flight, the start-of-run sweep, the run's two namespaces (deletion registered first), discovery, the header;
 * then the run is set for the specs. Undefined when a signal arrived meanwhile: its handler cleans up and exits.
 */
export async function prepareRun(options: PrepareOptions): Promise<Run | undefined> {
  const { config, cleanup } = options;
  const sweepOlderThan = sweepThreshold();
  phase('preflight');
  const clients = makeClients(options.inCluster ? loadInClusterConfig() : loadKubeConfig(options.kubeconfigFiles, options.context), config.timeouts.apiRequest);
  const pre = await preflight(clients, config.timeouts.apiRequest);
  // Leftovers of killed runs, before this run creates its own namespaces; judged and stamped in the server's time.
  const now = await serverNow(clients, config.timeouts.apiRequest);
  const expiresAt = now.ms === undefined ? undefined : new Date(now.ms + runTtlMs(config.timeouts));
  // Loading docker's client takes a second or so: that half goes on behind discovery and is awaited for the header.
  const containerSweep = sweepOffclusterContainers(config, sweepOlderThan);
  const sweep = await sweepStaleNamespaces(clients, sweepOlderThan, now, config.timeouts.apiRequest);
  if (currentInterruption()) return undefined;

  const namespaces = runNamespaceNames(newRunId());
  setLeftoverTarget({ runId: namespaces.runId, kubectlArgs: kubectlArgsReaching(options.kubeconfigFiles, options.context) });
  await createRunNamespaces(clients, namespaces, cleanup, config.timeouts.namespaceDeletion, config.timeouts.apiRequest, expiresAt);
  phase('discover');
  const cluster = await discoverCluster({
    clients,
    version: pre.version,
    probeNamespace: namespaces.main,
    probeServiceTemplateVariables: fixtureVariables(namespaces, config.images),
  });
  if (currentInterruption()) return undefined;
  const run: Run = {
    config,
    clients,
    namespaces,
    cleanup,
    cluster,
    fixtures: undefined,
    skipReasons: new Map(),
    checkDurations: new Map(),
    selectedIds: new Set(options.selected.map((check) => check.id)),
  };
  // A client image that cannot be had is a configuration error now, not a failure of every off-cluster check.
  const offclusterClient = await preflightOffclusterImage(run, options.selected);
  for (const text of header(config, clients, namespaces, cluster, pre.missingOptional.map(describePermission), describeSweep(sweep, await containerSweep, expiresAt), offclusterClient)) {
    options.print(text);
  }
  setRun(run);
  // The off-cluster client container starts while the fixtures come up, when a selected check needs it.
  if (options.selected.some((check) => check.skipsWithout.includes('offcluster-network'))) warmOffcluster(run);
  return run;
}

/**
 * The kubectl flags reaching the run's cluster from the user's shell: `--kubeconfig` only when the run did not use
 * the kubeconfig the user's environment names (the embedded cluster's), `--context` only when one was given.
 */
export function kubectlArgsReaching(files: readonly string[], context: string | undefined, env: NodeJS.ProcessEnv = process.env): string[] {
  const own = kubeconfigFiles(env);
  const sameFiles = files.length === own.length && files.every((file, index) => file === own[index]);
  return [...(sameFiles ? [] : ['--kubeconfig', files.join(path.delimiter)]), ...(context !== undefined ? ['--context', context] : [])];
}

/** A family missing on some nodes only is a broken dual-stack cluster, not a single-stack one (support/families.ts). */
export function dualStackLabel(dualStack: boolean, absences: readonly string[]): string {
  if (dualStack) return ' (dual-stack)';
  return absences.length > 0 && absences.every((text) => text.includes('missing on part of the cluster'))
    ? ' (dual-stack, broken on some nodes: see below)'
    : ' (NOT dual-stack)';
}

export function header(
  config: RunConfig,
  clients: Clients,
  namespaces: RunNamespaces,
  cluster: ClusterInfo,
  missingOptional: string[],
  sweep: string,
  offclusterClient: string,
): string[] {
  const families = cluster.families;
  const declared = declaredLbProvider(config.lbProvider);
  const absent = (['IPv4', 'IPv6'] as const).map((family) => familyAbsence(families, family)).filter((text) => text !== '');
  const partial = partialReason(config);
  return [
    `${SUITE.name} ${SUITE.version}: run ${namespaces.runId} (namespaces ${namespaces.main}, ${namespaces.host})`,
    `Cluster: context ${clients.contextName} (${clients.server}), Kubernetes ${cluster.version.gitVersion}`,
    `Families: ${families.families.join('+') || 'none'}${dualStackLabel(families.dualStack, absent)}; primary ${families.primary ?? 'unknown'}; ` +
      `services ${families.services.families.join('+')} from ${families.services.source}${families.services.cidrs.length > 0 ? ` [${families.services.cidrs.join(', ')}]` : ''}; ` +
      `node InternalIPs ${families.nodeInternalIpFamilies.join('+') || 'none'}; pod CIDRs ${families.podCidrFamilies?.join('+') ?? 'none (no node IPAM)'}`,
    ...absent.map((text) => `  ${text}`),
    describeNodeSelection(cluster),
    `LoadBalancer provider: ${declared ? describeLbProvider(declared) : 'detected during setup (MetalLB pools, else a probe Service)'}`,
    describeDeclaredAbsent(config),
    `kube-proxy: ${cluster.kubeProxyMode}; CNI: ${cluster.cni}`,
    `Images: agnhost ${config.images.agnhost}, busybox ${config.images.busybox}`,
    `Off-cluster client: ${offclusterClient}`,
    `Mode: ${partial ? `PARTIAL (${partial}); not a conformance verdict` : 'full run'}${config.strict ? '; strict' : ''}`,
    sweep,
    ...(missingOptional.length > 0 ? [`Not visible to this identity: ${missingOptional.join(', ')}`] : []),
    '',
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// Plain mocha

const requireFromHere = createRequire(import.meta.url);

export interface MochaGrep {
  /** The pattern as given (shown after "--grep" in the header's PARTIAL reason). */
  readonly text: string;
  readonly matches: (fullTitle: string) => boolean;
}

/**
 * The --grep/--fgrep/--invert plain mocha runs with, read by mocha's own option loader from its command line and
 * .mocharc.json (mocha does not hand them to hooks), with mocha's meaning: --grep is a regular expression.
 */
export function mochaGrep(argv: readonly string[]): MochaGrep | undefined {
  let options: Record<string, unknown>;
  try {
    const { loadOptions } = requireFromHere('mocha/lib/cli/options.js') as { loadOptions: (args: string[]) => Record<string, unknown> };
    options = loadOptions([...argv]);
  } catch {
    return undefined;
  }
  const invert = options.invert === true;
  let pattern: RegExp;
  let text: string;
  if (typeof options.fgrep === 'string' && options.fgrep !== '') {
    text = options.fgrep;
    pattern = new RegExp(escapeRegExp(text));
  } else if (options.grep !== undefined && options.grep !== '') {
    text = String(options.grep);
    // mocha's own reading: "/re/flags" or a bare pattern.
    const literal = /^\/(.*)\/([gimy]{0,4})$/.exec(text);
    pattern = literal ? new RegExp(literal[1] ?? '', literal[2]) : new RegExp(text);
  } else {
    return undefined;
  }
  return { text: invert ? `${text} --invert` : text, matches: (title) => pattern.test(title) !== invert };
}

/**
 * The root `before` under plain mocha, where no CLI prepared the run: configuration from the environment, the
 * current kubeconfig, signals handled like the CLI does; the caller owns `cleanup` and tears down in `after`.
 */
export async function prepareRunUnderMocha(rootSuite: Mocha.Suite, cleanup: CleanupRegistry): Promise<Run | undefined> {
  const selection = currentSelection();
  if (selection.error) throw selection.error;
  const grep = mochaGrep(process.argv.slice(2));
  // Only labels the run PARTIAL in the header: mocha itself applies its grep.
  const config: RunConfig = grep ? { ...selection.config, grep: grep.text } : selection.config;
  const files = kubeconfigFiles();
  if (files.length === 0) {
    throw new ConfigurationError('no kubeconfig ($KUBECONFIG or ~/.kube/config): plain mocha runs against an existing cluster; `npm test` can bring up the embedded one');
  }
  handleInterrupts({ cleanup });
  return prepareRun({
    config,
    kubeconfigFiles: files,
    context: config.context,
    cleanup,
    selected: selectedChecks(rootSuite, grep?.matches),
    print: (text) => process.stderr.write(`${text}\n`),
  });
}
