// The one table of timeouts. Every bounded wait of the suite names an entry here; each is overridable by an
// environment variable DSC_TIMEOUT_<NAME> (e.g. DSC_TIMEOUT_POD_READY=60s), so a slow cluster needs no code change.
import { ConfigurationError } from '../lib/errors.ts';
import { formatDuration } from '../lib/log.ts';

/** Each bound with what it bounds; docs/timeouts.md is generated from this table. */
export const TIMEOUT_TABLE = {
  apiRequest: {
    defaultMs: 15_000,
    bounds: 'every API request, and the opening handshake of every exec WebSocket (an API server that stops answering must not hang the run or its cleanup)',
  },
  podReady: { defaultMs: 120_000, bounds: 'all fixture pods Running and Ready (images are preloaded; pulling them needs more)' },
  endpointSlices: { defaultMs: 60_000, bounds: "a Service's EndpointSlices listing every ready backend of a family" },
  probeAttempt: { defaultMs: 5_000, bounds: 'one exec of one probe command (wget, nslookup) inside a pod' },
  connectivity: { defaultMs: 30_000, bounds: 'retries of a connectivity probe until it succeeds (dataplane programming lags object creation)' },
  dns: { defaultMs: 30_000, bounds: 'retries of a DNS lookup until the expected records appear' },
  exec: { defaultMs: 15_000, bounds: 'an exec that reads a file or the environment of a pod' },
  loadBalancer: {
    defaultMs: 30_000,
    bounds: "a LoadBalancer Service getting an external IP; also the probe that detects an LB provider, and the LB Services' deletion after the checks",
  },
  offclusterStart: { defaultMs: 60_000, bounds: 'the off-cluster client container starting on the docker network (its image pulled first where the host lacks it)' },
  namespaceDeletion: { defaultMs: 120_000, bounds: 'a run namespace disappearing after deletion' },
  cleanup: {
    defaultMs: 180_000,
    bounds: "the whole cleanup (namespaces, off-cluster container); past it the run stops waiting, prints what is left and the command removing it, and exits",
  },
  clusterUp: { defaultMs: 1_800_000, bounds: 'the embedded kind cluster coming up through `npm run cluster:up`' },
} as const satisfies Record<string, { defaultMs: number; bounds: string }>;

export type TimeoutName = keyof typeof TIMEOUT_TABLE;
export type Timeouts = Record<TimeoutName, number>;

const TIMEOUT_NAMES = Object.keys(TIMEOUT_TABLE) as TimeoutName[];

export const DEFAULT_TIMEOUTS: Readonly<Timeouts> = Object.fromEntries(
  TIMEOUT_NAMES.map((name) => [name, TIMEOUT_TABLE[name].defaultMs]),
) as Timeouts;

/** DSC_TIMEOUT_POD_READY for podReady. */
export function timeoutEnvName(name: TimeoutName): string {
  return `DSC_TIMEOUT_${name.replace(/[A-Z]/g, (letter) => `_${letter}`).toUpperCase()}`;
}

/** Parses "90s", "2m", "1500ms", "1h" or a bare number of seconds into milliseconds. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  const units: readonly [string, number][] = [
    ['ms', 1],
    ['s', 1_000],
    ['m', 60_000],
    ['h', 3_600_000],
  ];
  const unit = units.find(([suffix]) => trimmed.endsWith(suffix) && !(suffix === 's' && trimmed.endsWith('ms')));
  const numberText = unit ? trimmed.slice(0, -unit[0].length) : trimmed;
  if (numberText === '' || !/^\d+(\.\d+)?$/.test(numberText)) return undefined;
  const value = Number(numberText) * (unit ? unit[1] : 1_000);
  return Number.isFinite(value) && value > 0 ? Math.round(value) : undefined;
}

/** The table with environment overrides applied; a malformed override is a configuration error. */
export function loadTimeouts(env: NodeJS.ProcessEnv = process.env): Timeouts {
  const timeouts: Timeouts = { ...DEFAULT_TIMEOUTS };
  const known = new Set(TIMEOUT_NAMES.map(timeoutEnvName));
  for (const variable of Object.keys(env)) {
    // A misspelt override must not be silently ignored.
    if (variable.startsWith('DSC_TIMEOUT_') && !known.has(variable)) {
      throw new ConfigurationError(`${variable} is not a known timeout; known: ${[...known].join(', ')}`);
    }
  }
  for (const name of TIMEOUT_NAMES) {
    const variable = timeoutEnvName(name);
    const raw = env[variable];
    if (raw === undefined || raw === '') continue;
    const parsed = parseDuration(raw);
    if (parsed === undefined) {
      throw new ConfigurationError(`${variable}=${raw} is not a duration (use e.g. 90s, 2m, 1500ms)`);
    }
    timeouts[name] = parsed;
  }
  return timeouts;
}

export function renderTimeoutsMarkdown(): string {
  const rows = TIMEOUT_NAMES.map(
    (name) => `| \`${name}\` | \`${timeoutEnvName(name)}\` | ${formatDuration(TIMEOUT_TABLE[name].defaultMs)} | ${TIMEOUT_TABLE[name].bounds} |`,
  );
  return [
    '# Timeouts',
    '',
    '<!-- Generated from support/timeouts.ts by `npm run docs:checks`; do not edit by hand. -->',
    '',
    'Every bounded wait of the suite uses one entry of this table. Override any of them with an environment variable',
    'holding a duration (`90s`, `2m`, `1500ms`, or a bare number of seconds), e.g. `DSC_TIMEOUT_POD_READY=60s npm test`.',
    'A timeout message names the variable and shows the last state observed before giving up. A misspelt',
    '`DSC_TIMEOUT_*` variable is a configuration error (exit 2), never silently ignored.',
    '',
    '| Entry | Variable | Default | Bounds |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
