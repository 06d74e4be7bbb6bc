// Command-line options and environment of one run, parsed into one typed object. Any problem is a
// ConfigurationError (exit 2, one line).
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CAPABILITY_DESCRIPTIONS, type Capability } from './checks.ts';
import { ConfigurationError } from '../lib/errors.ts';
import { cacheDirOf } from '../lib/paths.ts';
import { imageReferenceError, mirroredImage, parseImageReference, registryPrefixProblem, UPSTREAM_E2E_REGISTRY } from './image-ref.ts';
import { parseFamilySlug, type IpFamily } from '../lib/ip.ts';
import { loadTimeouts, type Timeouts } from './timeouts.ts';

/** Images the fixtures use. Defaults are the upstream names, which the offline cluster preloads. */
export interface Images {
  readonly agnhost: string;
  readonly busybox: string;
}

export const IMAGE_SETTINGS: Readonly<Record<keyof Images, { default: string; flag: string; env: string; use: string }>> = {
  agnhost: {
    default: 'registry.k8s.io/e2e-test-images/agnhost:2.56',
    flag: '--agnhost-image',
    env: 'DSC_AGNHOST_IMAGE',
    use: 'backends (serve-hostname), client and hostNetwork pods (wget, nslookup)',
  },
  busybox: {
    default: 'registry.k8s.io/e2e-test-images/busybox:1.37.0-1',
    flag: '--busybox-image',
    env: 'DSC_BUSYBOX_IMAGE',
    use: "the page's pod01 (env, cat /etc/hosts)",
  },
};

/**
 * The off-cluster client image: by default the agnhost image the fixtures already run, so every machine that can run
 * the suite has it (or pulls it like the fixtures); its busybox `wget` and `timeout` and its BIND `nslookup` are the probes.
 */
export const OFFCLUSTER_IMAGE_SETTING = {
  flag: '--offcluster-image',
  env: 'DSC_OFFCLUSTER_IMAGE',
  use: 'the off-cluster client container (wget, nslookup, timeout; default: the agnhost image)',
} as const;

/** Every capability a run may declare absent, in catalog order. */
export const CAPABILITIES = Object.keys(CAPABILITY_DESCRIPTIONS) as Capability[];

/** `--lb-provider`: detect (undefined), declared absent ('none'), or declared present by name. */
export type LbProviderSetting = { readonly kind: 'detect' } | { readonly kind: 'none' } | { readonly kind: 'named'; readonly name: string };

export interface RunConfig {
  /** --kubeconfig: this file instead of $KUBECONFIG or ~/.kube/config. */
  readonly kubeconfig: string | undefined;
  readonly context: string | undefined;
  readonly grep: string | undefined;
  /** --skip: checks whose title contains it are not selected. */
  readonly skip: string | undefined;
  readonly family: IpFamily | undefined;
  readonly strict: boolean;
  readonly lbProvider: LbProviderSetting;
  readonly keepOnFailure: boolean;
  readonly images: Images;
  /** Off-cluster client: the docker network to attach to (undefined: the nodes' own network, when they are containers). */
  readonly offclusterNetwork: string | undefined;
  /** Off-cluster client image: --offcluster-image, DSC_OFFCLUSTER_IMAGE, else images.agnhost. */
  readonly offclusterImage: string;
  /**
   * Capabilities declared absent (--absent, and --lb-provider=none for lb-provider), in catalog order: their checks
   * are skipped without detection and stay skips under --strict.
   */
  readonly absent: readonly Capability[];
  /** Why a capability is absent when the run decided it rather than --absent (an in-cluster run: support/in-cluster.ts). */
  readonly absentBecause?: Readonly<Partial<Record<Capability, string>>>;
  readonly reportsDir: string;
  /** Use the embedded kind cluster even when a kubeconfig exists. */
  readonly kind: boolean;
  readonly timeouts: Timeouts;
  /** Where the embedded cluster's kubeconfig lives: $DSC_CACHE or ~/.cache/dualstack-conformance. */
  readonly cacheDir: string;
}

export type CliRequest =
  | { readonly action: 'run'; readonly config: RunConfig }
  /** `images` as the fixtures use them; `list` is what --print-images prints (one per line, deduplicated). */
  | { readonly action: 'print-images'; readonly images: Images; readonly list: readonly string[] }
  | { readonly action: 'help' }
  | { readonly action: 'version' }
  /** --list [--json]: the catalog's checks, without touching a cluster. */
  | { readonly action: 'list'; readonly json: boolean };

export const USAGE = `Usage: npm test -- [options]   (or: dualstack-conformance [options])

Checks that a Kubernetes cluster is really IPv4/IPv6 dual-stack, check by check.

Cluster:
  --kubeconfig <file>      the kubeconfig to use (default: $KUBECONFIG, else ~/.kube/config, else in a pod
                           the pod's ServiceAccount, without the off-cluster checks: deploy/job.yaml)
  --context <name>         kubeconfig context (default: its current-context)
  --kind                   use the embedded dual-stack kind cluster (created with npm run cluster:up);
                           also the default when no kubeconfig exists at all
Selection (such runs are PARTIAL, never a conformance verdict):
  --grep <text>            only checks whose title contains <text> (e.g. a check id)
  --skip <text>            not the checks whose title contains <text> (with --grep: both apply)
  --family ipv4|ipv6       only checks of that family and family-independent ones
Verdicts:
  --strict                 skips become failures, except for capabilities declared absent
  --absent <capability,...>
                           or DSC_ABSENT; declare optional capabilities absent: their checks are skipped
                           without detection and stay skips under --strict. Capabilities:
                           ${CAPABILITIES.join(', ')}
                           (a cloud gate: --strict --absent offcluster-network,lb-provider)
  --lb-provider <name|none> declare the LoadBalancer provider (default: detect MetalLB pools or probe);
                           none is --absent lb-provider
Off-cluster client (a container on a docker network; probes node and LoadBalancer addresses from outside):
  --offcluster-network <docker network>
                           or DSC_OFFCLUSTER_NETWORK; where to attach it (default: the network the nodes are
                           containers on, as with kind; without one, off-cluster checks are skipped)
  --offcluster-image <ref> or DSC_OFFCLUSTER_IMAGE; an image with sh, wget, timeout and nslookup, pulled when
                           not in this host's docker (default: the agnhost image)
Images (references host[:port]/path[:tag][@sha256:<64 hex>]; defaults are upstream names; mirror them with --print-images):
  --agnhost-image <ref>    or DSC_AGNHOST_IMAGE
  --busybox-image <ref>    or DSC_BUSYBOX_IMAGE
  --image-registry <prefix>
                           or DSC_IMAGE_REGISTRY; a mirror of upstream's e2e images: every image under
                           ${UPSTREAM_E2E_REGISTRY}/ is pulled from <prefix>/ instead (e.g. mirror.example:5000/e2e)
  --print-images           print the images the suite runs (off-cluster client included), one per line, and exit
Information:
  --list [--json]          list the checks (id, area, title) and exit; --json as a JSON array
  --version                print the suite's version and exit
Output:
  --reports-dir <dir>      HTML, JUnit XML and summary.json (default: reports/)
  --keep-on-failure        keep the run's namespaces when a check failed (not the LoadBalancer Services)
Timeouts: DSC_TIMEOUT_<NAME>=<duration> (e.g. DSC_TIMEOUT_POD_READY=60s); see docs/timeouts.md.
Sweep: leftovers of killed runs past their expiry are deleted at start; DSC_SWEEP_OLDER_THAN=<duration>|off
(default 1h, at least 10m) ages what older versions left without an expiry; see docs/cli.md.
Exit codes: 0 passed (or allowed skips), 1 a check or cleanup failed, 2 configuration or pre-flight error or no
check selected, 130/143 interrupted by SIGINT/SIGTERM.`;

export function parseCli(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): CliRequest {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        kubeconfig: { type: 'string' },
        context: { type: 'string' },
        grep: { type: 'string' },
        skip: { type: 'string' },
        list: { type: 'boolean' },
        json: { type: 'boolean' },
        version: { type: 'boolean' },
        family: { type: 'string' },
        strict: { type: 'boolean' },
        absent: { type: 'string', multiple: true },
        'lb-provider': { type: 'string' },
        'keep-on-failure': { type: 'boolean' },
        'print-images': { type: 'boolean' },
        'agnhost-image': { type: 'string' },
        'image-registry': { type: 'string' },
        'busybox-image': { type: 'string' },
        'offcluster-network': { type: 'string' },
        'offcluster-image': { type: 'string' },
        'reports-dir': { type: 'string' },
        kind: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new ConfigurationError(`${error instanceof Error ? error.message : String(error)} (see --help)`);
  }
  const values = parsed.values;
  if (values.help) return { action: 'help' };
  if (values.version) return { action: 'version' };
  if (values.list) return { action: 'list', json: values.json ?? false };
  if (values.json) throw new ConfigurationError('--json goes with --list');

  const registry = registryPrefixOption(values['image-registry'], '--image-registry') ?? registryPrefixOption(env.DSC_IMAGE_REGISTRY, 'DSC_IMAGE_REGISTRY');
  const mirror = (image: string): string => mirroredImage(image, registry);
  const images: Images = {
    agnhost: mirror(imageOption(values['agnhost-image'], '--agnhost-image') ?? imageOption(env.DSC_AGNHOST_IMAGE, 'DSC_AGNHOST_IMAGE') ?? IMAGE_SETTINGS.agnhost.default),
    busybox: mirror(imageOption(values['busybox-image'], '--busybox-image') ?? imageOption(env.DSC_BUSYBOX_IMAGE, 'DSC_BUSYBOX_IMAGE') ?? IMAGE_SETTINGS.busybox.default),
  };
  const offclusterOption = imageOption(values['offcluster-image'], '--offcluster-image') ?? imageOption(env.DSC_OFFCLUSTER_IMAGE, 'DSC_OFFCLUSTER_IMAGE');
  const offclusterImage = offclusterOption === undefined ? images.agnhost : mirror(offclusterOption);
  if (values['print-images']) return { action: 'print-images', images, list: imagesToPrint(images, offclusterImage) };

  let family: IpFamily | undefined;
  if (values.family !== undefined) {
    family = parseFamilySlug(values.family);
    if (!family) throw new ConfigurationError(`--family ${values.family}: expected ipv4 or ipv6`);
  }
  // The flag wins over DSC_ABSENT (plain mocha and CI have only the environment).
  const absentRaw = values.absent ?? (env.DSC_ABSENT !== undefined ? [env.DSC_ABSENT] : undefined);
  const absent = new Set(absentRaw === undefined ? [] : parseAbsent(absentRaw, values.absent ? '--absent' : 'DSC_ABSENT'));
  const lbRaw = values['lb-provider'];
  let lbProvider: LbProviderSetting = absent.has('lb-provider') ? { kind: 'none' } : { kind: 'detect' };
  if (lbRaw !== undefined) {
    const name = lbRaw.trim();
    if (name === '') throw new ConfigurationError('--lb-provider needs a name or "none"');
    if (name.toLowerCase() === 'none') {
      // The alias: --lb-provider=none declares the same as --absent lb-provider.
      absent.add('lb-provider');
      lbProvider = { kind: 'none' };
    } else if (absent.has('lb-provider')) {
      throw new ConfigurationError(`--lb-provider ${name} contradicts --absent lb-provider`);
    } else {
      lbProvider = { kind: 'named', name };
    }
  }
  const grep = values.grep;
  if (grep !== undefined && grep.trim() === '') throw new ConfigurationError('--grep needs a non-empty pattern');
  const skip = values.skip;
  if (skip !== undefined && skip.trim() === '') throw new ConfigurationError('--skip needs a non-empty pattern');
  const kubeconfig = nonEmpty(values.kubeconfig, '--kubeconfig');
  if (kubeconfig !== undefined && values.kind) throw new ConfigurationError('--kubeconfig contradicts --kind (the embedded cluster has its own)');

  return {
    action: 'run',
    config: {
      kubeconfig: kubeconfig === undefined ? undefined : path.resolve(kubeconfig),
      context: nonEmpty(values.context, '--context'),
      grep,
      skip,
      family,
      strict: values.strict ?? false,
      lbProvider,
      keepOnFailure: values['keep-on-failure'] ?? false,
      images,
      offclusterNetwork:
        nonEmpty(values['offcluster-network'], '--offcluster-network') ?? nonEmpty(env.DSC_OFFCLUSTER_NETWORK, 'DSC_OFFCLUSTER_NETWORK'),
      offclusterImage,
      absent: CAPABILITIES.filter((capability) => absent.has(capability)),
      reportsDir: path.resolve(values['reports-dir'] ?? 'reports'),
      kind: values.kind ?? false,
      timeouts: loadTimeouts(env),
      cacheDir: cacheDirOf(env),
    },
  };
}

function nonEmpty(value: string | undefined, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === '') throw new ConfigurationError(`${name} is empty`);
  return value.trim();
}

/**
 * An image option, parsed as a reference as given (not trimmed: a stray space or newline is an error, not silently
 * repaired); undefined when unset. An empty value keeps its own message.
 */
export function imageOption(value: string | undefined, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === '') throw new ConfigurationError(`${name} is empty`);
  const parsed = parseImageReference(value);
  if (parsed.problem !== undefined) throw new ConfigurationError(imageReferenceError(name, value, parsed.problem));
  return value;
}

/** --image-registry / DSC_IMAGE_REGISTRY as given (not trimmed), checked like an image reference's name. */
function registryPrefixOption(value: string | undefined, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === '') throw new ConfigurationError(`${name} is empty`);
  const problem = registryPrefixProblem(value);
  if (problem !== undefined) throw new ConfigurationError(`${name} ${JSON.stringify(value)} is not a registry prefix (host[:port][/path]): ${problem}`);
  return value;
}

/** `--absent a,b --absent c`: capability names, each checked against the catalog's. */
function parseAbsent(values: readonly string[], source: '--absent' | 'DSC_ABSENT'): Capability[] {
  const names = values.flatMap((value) => value.split(',')).map((name) => name.trim().toLowerCase());
  if (names.length === 0 || names.some((name) => name === '')) {
    throw new ConfigurationError(`${source} needs capability names, comma-separated (capabilities: ${CAPABILITIES.join(', ')})`);
  }
  const unknown = names.filter((name) => !(CAPABILITIES as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new ConfigurationError(`${source} ${unknown.join(',')}: unknown capability (capabilities: ${CAPABILITIES.join(', ')})`);
  }
  return names as Capability[];
}

/** What --print-images prints: every image a run may start, each once (the off-cluster client is agnhost by default). */
export function imagesToPrint(images: Images, offclusterImage: string): string[] {
  return [...new Set([...(Object.keys(IMAGE_SETTINGS) as (keyof Images)[]).map((key) => images[key]), offclusterImage])];
}

/** The header line: which capabilities were declared absent, and what that does to their checks. */
export function describeDeclaredAbsent(config: Pick<RunConfig, 'absent' | 'absentBecause'>): string {
  if (config.absent.length === 0) return 'Declared absent: none';
  const names = config.absent.map((capability) => {
    const because = config.absentBecause?.[capability];
    return because ? `${capability} (${because})` : capability;
  });
  return `Declared absent: ${names.join(', ')} (their checks are skipped without detection, also under --strict)`;
}

/** Why `capability` is absent: the run's own reason, else the flag that declared it. */
export function absenceCause(capability: Capability, config: Pick<RunConfig, 'absentBecause'>): string {
  return config.absentBecause?.[capability] ?? `--absent ${capability}`;
}

/** The skip reason of a check whose capability was declared absent. */
export function declaredAbsentReason(capability: Capability, config: Pick<RunConfig, 'absentBecause'> = {}): string {
  return `declared absent (${absenceCause(capability, config)})`;
}

/** Why a run is PARTIAL (not a conformance verdict), or undefined for a full run. */
export function partialReason(config: RunConfig): string | undefined {
  const reasons: string[] = [];
  if (config.grep !== undefined) reasons.push(`--grep ${config.grep}`);
  if (config.skip !== undefined) reasons.push(`--skip ${config.skip}`);
  if (config.family !== undefined) reasons.push(`--family ${config.family.toLowerCase()}`);
  return reasons.length > 0 ? `selection ${reasons.join(' ')}` : undefined;
}
