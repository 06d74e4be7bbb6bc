// The offline dual-stack kind cluster: one entry point for every cluster command.
//   host-prepare [--ci] [--force-runtime] [--dry-run]   what this VM needs (root; host/prepare.ts)
//   host-unprepare [--force] [--dry-run]                undo host-prepare
//   image                                     build the offline node image (cached)
//   up   [--name] [--ip-family dual|ipv4|ipv6] [--primary ipv4|ipv6] [--node-image offline|<ref>] [--kubeconfig]
//        [--no-lb]                            (without MetalLB, the LoadBalancer provider)
//        [--wait-lock <s>]                    wait for another up/down of the name (default: exit 2 at once)
//        Go is needed only to build the offline node image (and kind, when no kind of the pinned version is found).
//   down [--name | --all] [--routes] [--wait-lock <s>]  delete clusters this project created (and the CI routes)
//   smoke [--name]                            check that a cluster really works, per its variant
//   prune [--dry-run]                         free older images and caches
//   suite-image [--load <cluster name>]       build the suite's image for in-cluster runs (cached), load it into kind
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigurationError } from '../lib/errors.ts';
import { logger, PhaseTimings, runMain } from '../lib/log.ts';
import { runInherited, runSync } from '../lib/process.ts';
import { hostPrepare, hostUnprepare, removeCiRoutes } from './host/prepare.ts';
import { build, buildResult, buildScripts } from './lib/build.ts';
import { ensureKindNetworkFits, imageExists, requireDocker } from './lib/docker.ts';
import { lockCluster } from './lib/lock.ts';
import { installMetallb, kindPoolRanges, metallbSource, rangeText } from './lib/metallb.ts';
import { cachedBinary, cachedBinaryReady, defaultClusterName, hostStateDir, kubectlBinary, versions } from './lib/paths.ts';
import { listRecords, loadRecord, removeRecord, saveRecord, type ClusterRecord } from './lib/records.ts';
import { chooseKind, chooseNodeImage, offlineImageStep, onPath, parseKindVersion } from './lib/sources.ts';
import { expectedFamilies, renderKindConfig, variantLabel, type Variant } from './lib/variant.ts';
import { prune } from './prune.ts';
import { smoke } from './smoke/smoke.ts';

const log = logger('cluster');
// Bounds for kind's own steps; the waits on the cluster are bounded by kubectl's --timeout.
const KIND_CREATE_TIMEOUT_MS = 30 * 60_000;
const KIND_STEP_TIMEOUT_MS = 10 * 60_000;
const KUBECTL_WAIT_TIMEOUT_MS = 6 * 60_000;

/** The kind binary to run (see chooseKind): PATH's when it is the pinned version, else ours, built with Go if need be. */
async function ensureKind(): Promise<string> {
  const pinned = versions().KIND_VERSION ?? '';
  const file = onPath('kind');
  const cached = cachedBinary('kind', 'kind');
  const choice = chooseKind({
    pinned,
    path: file ? { file, version: parseKindVersion(runSync(file, ['version']).stdout) } : undefined,
    cached: { file: cached, exists: cachedBinaryReady(cached) },
    go: onPath('go') !== undefined,
  });
  if (choice.action === 'missing') throw new ConfigurationError(choice.message);
  if (choice.note) log(choice.note);
  if (choice.action === 'build') await build(buildScripts.binaries, ['kind']);
  log(`kind ${pinned}: ${choice.file} (${choice.action === 'use' ? `from ${choice.from}` : 'built with Go'})`);
  return choice.file;
}

/** offline = our image (built when missing, which needs Go); a reference = used as given; nothing = kind's own default. */
async function resolveNodeImage(requested: string | undefined): Promise<string | undefined> {
  const marker = join(hostStateDir, 'node-image');
  const choice = chooseNodeImage(requested, existsSync(marker) ? readFileSync(marker, 'utf8') : undefined);
  if (choice.source === 'kind-default') return undefined;
  if (choice.source === 'ref') return choice.ref;
  const ref = await buildResult(buildScripts.nodeImage, ['--ref']);
  const step = offlineImageStep(imageExists(ref), Boolean(process.env.DSC_REBUILD), onPath('go') !== undefined);
  if (step === 'cached') return ref;
  if (step === 'needs-go') {
    throw new ConfigurationError(
      `the offline node image ${ref} is not built and building it needs Go on PATH (https://go.dev/dl/); ` +
        'without Go, pass --node-image <ref> (kind\'s own image is the default where host:prepare left no marker)',
    );
  }
  return buildResult(buildScripts.nodeImage);
}

function kindClusters(kind: string): string[] {
  const r = runSync(kind, ['get', 'clusters']);
  return r.status === 0 ? r.stdout.split('\n').map((s) => s.trim()).filter(Boolean) : [];
}

function parseVariant(ipFamily: string | undefined, primary: string | undefined): Variant {
  const mode = ipFamily ?? 'dual';
  if (mode !== 'dual' && mode !== 'ipv4' && mode !== 'ipv6') {
    throw new ConfigurationError(`--ip-family must be dual, ipv4 or ipv6 (got "${mode}")`);
  }
  const p = (primary ?? (mode === 'ipv6' ? 'ipv6' : 'ipv4')).toLowerCase();
  if (p !== 'ipv4' && p !== 'ipv6') throw new ConfigurationError(`--primary must be ipv4 or ipv6 (got "${primary}")`);
  if (mode !== 'dual' && p !== mode) throw new ConfigurationError(`--primary ${p} contradicts --ip-family ${mode}`);
  return { ipFamily: mode, primary: p === 'ipv6' ? 'IPv6' : 'IPv4' };
}

async function up(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      name: { type: 'string', default: defaultClusterName },
      'ip-family': { type: 'string' },
      primary: { type: 'string' },
      'node-image': { type: 'string' },
      kubeconfig: { type: 'string' },
      'no-lb': { type: 'boolean', default: false },
      'wait-lock': { type: 'string', default: '0' },
    },
  });
  const name = values.name!;
  const metallb = !values['no-lb'];
  const variant = parseVariant(values['ip-family'], values.primary);
  requireDocker();
  // Held until this process exits: everything below (the existence check included) is one `up` of this name.
  await lockCluster(name, 'cluster:up', waitSeconds(values['wait-lock']), log);
  const timings = new PhaseTimings(log);
  const kubeconfig = values.kubeconfig ?? process.env.KUBECONFIG?.split(':')[0] ?? join(homedir(), '.kube', 'config');

  const kind = await timings.time('kind binary', ensureKind);
  if (kindClusters(kind).includes(name)) {
    const rec = loadRecord(name);
    if (!rec) throw new ConfigurationError(`a kind cluster "${name}" exists that this project did not create: pick another --name`);
    if (rec.ipFamily !== variant.ipFamily || rec.primary !== variant.primary) {
      throw new ConfigurationError(
        `cluster "${name}" exists as ${variantLabel(rec)}, not ${variantLabel(variant)}: run \`npm run cluster:down -- --name ${name}\` first`,
      );
    }
    if ((rec.metallb ?? false) !== metallb) {
      throw new ConfigurationError(
        `cluster "${name}" exists ${metallb ? 'without' : 'with'} MetalLB: run \`npm run cluster:down -- --name ${name}\` first`,
      );
    }
    await runInherited(kind, ['export', 'kubeconfig', '--name', name, '--kubeconfig', kubeconfig], { timeoutMs: KIND_STEP_TIMEOUT_MS });
    log(`cluster "${name}" (${variantLabel(variant)}) already exists; kubeconfig refreshed`);
    printUsage(name, kubeconfig);
    return;
  }
  const image = await timings.time('node image', () => resolveNodeImage(values['node-image']));
  // kind pulls an image that is not in docker (kind's default, or a user's reference): that needs a registry.
  if (!image) log(`node image: kind ${versions().KIND_VERSION}'s default (kind pulls it when it is not in docker)`);
  else if (!imageExists(image)) log(`node image ${image} is not in docker: kind pulls it`);
  const lb = metallbSource(metallb, image);
  const kubectl = kubectlBinary();
  if (kubectl === 'kubectl' && !onPath('kubectl')) throw new ConfigurationError('kubectl is needed on PATH to wait for the cluster (https://kubernetes.io/docs/tasks/tools/)');
  const note = ensureKindNetworkFits(variant.ipFamily !== 'ipv4');
  if (note) log(note);

  const dir = mkdtempSync(join(tmpdir(), 'dsc-kind-'));
  const configPath = join(dir, 'kind-config.yaml');
  writeFileSync(configPath, renderKindConfig(variant));
  // Recorded before creation, so a half-created cluster is still ours to delete.
  const record: ClusterRecord = { name, ...variant, nodeImage: image ?? 'kind default', kubeconfig, createdAt: new Date().toISOString(), metallb };
  saveRecord(record);
  log(`creating cluster "${name}": ${variantLabel(variant)}, node image ${image ?? "kind's default"}`);
  try {
    await timings.time('kind create', () =>
      runInherited(kind, ['create', 'cluster', '--name', name, '--config', configPath, '--kubeconfig', kubeconfig, '--wait', '0s',
        ...(image ? ['--image', image] : [])], { timeoutMs: KIND_CREATE_TIMEOUT_MS }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const k = ['--kubeconfig', kubeconfig, '--context', `kind-${name}`];
  await timings.time('nodes Ready', () =>
    runInherited(kubectl, [...k, 'wait', '--for=condition=Ready', 'nodes', '--all', '--timeout=300s'], { timeoutMs: KUBECTL_WAIT_TIMEOUT_MS }),
  );
  if (lb.from !== 'none') {
    await timings.time('MetalLB Ready', async () => {
      const pool = kindPoolRanges(name, expectedFamilies(variant));
      saveRecord({ ...record, lbPool: pool.map(rangeText) }); // held before it is announced
      await installMetallb({ kubectl, kubeconfig, context: `kind-${name}`, source: lb, pool, log });
    });
  }
  await timings.time('CoreDNS available', () =>
    runInherited(kubectl, [...k, '-n', 'kube-system', 'wait', '--for=condition=Available', 'deployment/coredns', '--timeout=180s'], { timeoutMs: KUBECTL_WAIT_TIMEOUT_MS }),
  );
  timings.print();
  printUsage(name, kubeconfig);
}

function printUsage(name: string, kubeconfig: string): void {
  log(`use it:  export KUBECONFIG=${kubeconfig}; kubectl --context kind-${name} get nodes -o wide`);
}

function waitSeconds(text: string | undefined): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0) throw new ConfigurationError(`--wait-lock must be a number of seconds (got "${text}")`);
  return n;
}

async function down(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      name: { type: 'string' },
      all: { type: 'boolean', default: false },
      routes: { type: 'boolean', default: false },
      'wait-lock': { type: 'string', default: '0' },
    },
  });
  const wait = waitSeconds(values['wait-lock']);
  const records = values.all ? listRecords() : [loadRecord(values.name ?? defaultClusterName)].filter((r) => r !== undefined);
  if (records.length > 0) requireDocker();
  const kind = records.length > 0 ? await ensureKind() : '';
  const busy: string[] = [];
  for (const r of records) {
    // A cluster another up/down is working on is not deleted under it.
    let lock;
    try {
      lock = await lockCluster(r.name, 'cluster:down', wait, log);
    } catch (err) {
      if (!(values.all && err instanceof ConfigurationError)) throw err;
      log(`${err.message}: not deleted`);
      busy.push(r.name);
      continue;
    }
    try {
      log(`deleting cluster "${r.name}" (${variantLabel(r)})`);
      await runInherited(kind, ['delete', 'cluster', '--name', r.name, '--kubeconfig', r.kubeconfig], { timeoutMs: KIND_STEP_TIMEOUT_MS });
      removeRecord(r.name);
    } finally {
      lock.release();
    }
  }
  if (records.length === 0) log(values.all ? 'no project clusters to delete' : `no project cluster named "${values.name ?? defaultClusterName}"`);
  if (values.routes) removeCiRoutes();
  if (busy.length > 0) throw new ConfigurationError(`in use, not deleted: ${busy.join(', ')}`);
}

/** A command that exits 0 when it returns (its failures throw). */
const exitsZero = (command: (argv: string[]) => Promise<void>) => async (argv: string[]): Promise<number> => {
  await command(argv);
  return 0;
};

/** Every command by name, in the order the unknown-command message lists them; each resolves with its exit code. */
const commands: Record<string, (argv: string[]) => Promise<number>> = {
  'host-prepare': exitsZero(hostPrepare),
  'host-unprepare': exitsZero(hostUnprepare),
  image: (argv) => printImage(buildScripts.nodeImage, argv),
  'suite-image': (argv) => {
    const { values } = parseArgs({ args: argv, options: { load: { type: 'string' } } });
    return printImage(buildScripts.suiteImage, [], async (image) => {
      // kind skips nodes that already hold this image ID, so a second load is quick.
      if (values.load !== undefined) await runInherited(await ensureKind(), ['load', 'docker-image', image, '--name', values.load], { timeoutMs: KIND_STEP_TIMEOUT_MS });
    });
  },
  up: exitsZero(up),
  down: exitsZero(down),
  smoke: async (argv) => {
    const { values } = parseArgs({ args: argv, options: { name: { type: 'string', default: defaultClusterName } } });
    const rec = loadRecord(values.name!);
    if (!rec) throw new ConfigurationError(`no project cluster named "${values.name}": run \`npm run cluster:up -- --name ${values.name}\``);
    return (await smoke(rec, kubectlBinary())) ? 0 : 1;
  },
  prune: exitsZero(prune),
};

function main(): Promise<number> {
  const [name, ...rest] = process.argv.slice(2);
  const command = name !== undefined && Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!command) throw new ConfigurationError(`unknown command "${name ?? ''}" (${Object.keys(commands).join(', ')})`);
  return command(rest);
}

/** Builds an image with its script (cached when nothing changed), does what else is asked, and prints its reference. */
async function printImage(script: string, args: readonly string[], then?: (image: string) => Promise<void>): Promise<number> {
  requireDocker();
  const image = await buildResult(script, args);
  await then?.(image);
  process.stdout.write(`${image}\n`);
  return 0;
}

runMain('cluster', main);
