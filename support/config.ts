// Command-line options and environment of one run, parsed into one typed object. Any problem is a
// ConfigurationError (exit 2, one line).
import { homedir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigurationError } from './errors.ts';
import { parseFamilySlug, type IpFamily } from './ip.ts';
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
    use: 'backends (netexec), client and hostNetwork pods (wget, nslookup)',
  },
  busybox: {
    default: 'docker.io/library/busybox:1.35.0',
    flag: '--busybox-image',
    env: 'DSC_BUSYBOX_IMAGE',
    use: "the page's pod01 (env, cat /etc/hosts)",
  },
};

/** `--lb-provider`: detect (undefined), declared absent ('none'), or declared present by name. */
export type LbProviderSetting = { readonly kind: 'detect' } | { readonly kind: 'none' } | { readonly kind: 'named'; readonly name: string };

export interface RunConfig {
  readonly context: string | undefined;
  readonly grep: string | undefined;
  readonly family: IpFamily | undefined;
  readonly strict: boolean;
  readonly lbProvider: LbProviderSetting;
  readonly keepOnFailure: boolean;
  readonly images: Images;
  /** Off-cluster client: the docker network to attach to (undefined: the nodes' own network, when they are containers). */
  readonly offclusterNetwork: string | undefined;
  /** Off-cluster client image, present in the host's docker (undefined: the local dualstack-conformance/node-base). */
  readonly offclusterImage: string | undefined;
  readonly reportsDir: string;
  /** Use the embedded kind cluster even when a kubeconfig exists. */
  readonly kind: boolean;
  readonly timeouts: Timeouts;
  /** Where the embedded cluster's kubeconfig lives: $DSC_CACHE or ~/.cache/dualstack-conformance. */
  readonly cacheDir: string;
}

export type CliRequest =
  | { readonly action: 'run'; readonly config: RunConfig }
  | { readonly action: 'print-images'; readonly images: Images }
  | { readonly action: 'help' };

export const USAGE = `Usage: npm test -- [options]   (or: dualstack-conformance [options])

Checks that a Kubernetes cluster is really IPv4/IPv6 dual-stack, check by check.

Cluster:
  --context <name>         kubeconfig context (default: current-context of $KUBECONFIG or ~/.kube/config)
  --kind                   use the embedded dual-stack kind cluster (created with npm run cluster:up);
                           also the default when no kubeconfig exists at all
Selection (such runs are PARTIAL, never a conformance verdict):
  --grep <text>            only checks whose title contains <text> (e.g. a check id)
  --family ipv4|ipv6       only checks of that family and family-independent ones
Verdicts:
  --strict                 skips become failures, except for capabilities declared absent
  --lb-provider <name|none> declare the LoadBalancer provider (default: detect MetalLB pools or probe)
Off-cluster client (a container on a docker network; probes node and LoadBalancer addresses from outside):
  --offcluster-network <docker network>
                           or DSC_OFFCLUSTER_NETWORK; where to attach it (default: the network the nodes are
                           containers on, as with kind; without one, off-cluster checks are skipped)
  --offcluster-image <ref> or DSC_OFFCLUSTER_IMAGE; a local image with bash and timeout, never pulled
                           (default: the local dualstack-conformance/node-base image)
Images (defaults are upstream names; mirror them with --print-images):
  --agnhost-image <ref>    or DSC_AGNHOST_IMAGE
  --busybox-image <ref>    or DSC_BUSYBOX_IMAGE
  --print-images           print the images the suite runs, one per line, and exit
Output:
  --reports-dir <dir>      HTML, JUnit XML and summary.json (default: reports/)
  --keep-on-failure        keep the run's namespaces when a check failed
Timeouts: DSC_TIMEOUT_<NAME>=<duration> (e.g. DSC_TIMEOUT_POD_READY=60s); see docs/timeouts.md.
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
        context: { type: 'string' },
        grep: { type: 'string' },
        family: { type: 'string' },
        strict: { type: 'boolean' },
        'lb-provider': { type: 'string' },
        'keep-on-failure': { type: 'boolean' },
        'print-images': { type: 'boolean' },
        'agnhost-image': { type: 'string' },
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

  const images: Images = {
    agnhost: nonEmpty(values['agnhost-image'], '--agnhost-image') ?? nonEmpty(env.DSC_AGNHOST_IMAGE, 'DSC_AGNHOST_IMAGE') ?? IMAGE_SETTINGS.agnhost.default,
    busybox: nonEmpty(values['busybox-image'], '--busybox-image') ?? nonEmpty(env.DSC_BUSYBOX_IMAGE, 'DSC_BUSYBOX_IMAGE') ?? IMAGE_SETTINGS.busybox.default,
  };
  if (values['print-images']) return { action: 'print-images', images };

  let family: IpFamily | undefined;
  if (values.family !== undefined) {
    family = parseFamilySlug(values.family);
    if (!family) throw new ConfigurationError(`--family ${values.family}: expected ipv4 or ipv6`);
  }
  const lbRaw = values['lb-provider'];
  let lbProvider: LbProviderSetting = { kind: 'detect' };
  if (lbRaw !== undefined) {
    const name = lbRaw.trim();
    if (name === '') throw new ConfigurationError('--lb-provider needs a name or "none"');
    lbProvider = name.toLowerCase() === 'none' ? { kind: 'none' } : { kind: 'named', name };
  }
  const grep = values.grep;
  if (grep !== undefined && grep.trim() === '') throw new ConfigurationError('--grep needs a non-empty pattern');

  return {
    action: 'run',
    config: {
      context: nonEmpty(values.context, '--context'),
      grep,
      family,
      strict: values.strict ?? false,
      lbProvider,
      keepOnFailure: values['keep-on-failure'] ?? false,
      images,
      offclusterNetwork:
        nonEmpty(values['offcluster-network'], '--offcluster-network') ?? nonEmpty(env.DSC_OFFCLUSTER_NETWORK, 'DSC_OFFCLUSTER_NETWORK'),
      offclusterImage: nonEmpty(values['offcluster-image'], '--offcluster-image') ?? nonEmpty(env.DSC_OFFCLUSTER_IMAGE, 'DSC_OFFCLUSTER_IMAGE'),
      reportsDir: path.resolve(values['reports-dir'] ?? 'reports'),
      kind: values.kind ?? false,
      timeouts: loadTimeouts(env),
      cacheDir: path.resolve(env.DSC_CACHE ?? path.join(homedir(), '.cache', 'dualstack-conformance')),
    },
  };
}

function nonEmpty(value: string | undefined, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === '') throw new ConfigurationError(`${name} is empty`);
  return value.trim();
}

/** Why a run is PARTIAL (not a conformance verdict), or undefined for a full run. */
export function partialReason(config: RunConfig): string | undefined {
  const reasons: string[] = [];
  if (config.grep !== undefined) reasons.push(`--grep ${config.grep}`);
  if (config.family !== undefined) reasons.push(`--family ${config.family.toLowerCase()}`);
  return reasons.length > 0 ? `selection ${reasons.join(' ')}` : undefined;
}
