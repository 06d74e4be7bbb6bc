// What host:prepare and host:unprepare decide, as plain functions of what they found, so the decisions are
// unit-tested without root, Docker or a real /etc (test/host-config.test.ts). cluster/host/prepare.ts acts on them.
import { ALL_FAMILIES, type IpFamily } from '../../lib/ip.ts';
import { kindRanges, type FamilyRanges } from '../../lib/kind-config.ts';

/** The name our runc wrapper is registered under in daemon.json: a default runtime of this name is ours. */
export const ourRuntime = 'dsc-runc';
/** Docker's built-in runtime: naming it as default is the same as naming none. */
const dockerDefault = 'runc';
const CAP_SYS_RESOURCE = 24n;

/** Whether CAP_SYS_RESOURCE is missing from the bounding or effective set of a /proc/<pid>/status text. */
export function capSysResourceMissing(procStatus: string): boolean {
  const mask = (field: string): bigint | undefined => {
    const hex = new RegExp(`^${field}:\\s*([0-9a-f]+)$`, 'mi').exec(procStatus)?.[1];
    return hex === undefined ? undefined : BigInt(`0x${hex}`);
  };
  const bnd = mask('CapBnd');
  const eff = mask('CapEff');
  if (bnd === undefined || eff === undefined) throw new Error('no CapBnd/CapEff line in the process status');
  const bit = 1n << CAP_SYS_RESOURCE;
  return (bnd & bit) === 0n || (eff & bit) === 0n;
}

type Json = Record<string, unknown>;

/** daemon.json's text as an object: absent or blank is {}; anything but a JSON object is an error. */
export function parseDaemonJson(text: string | undefined): Json {
  if (text === undefined || text.trim() === '') return {};
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not a JSON object');
  return value as Json;
}

const runtimesOf = (cfg: Json): Json =>
  typeof cfg.runtimes === 'object' && cfg.runtimes !== null && !Array.isArray(cfg.runtimes) ? (cfg.runtimes as Json) : {};
const defaultOf = (cfg: Json): string | undefined => (typeof cfg['default-runtime'] === 'string' ? cfg['default-runtime'] : undefined);
const render = (cfg: Json): string => JSON.stringify(cfg, null, 2) + '\n';

export interface PrepareFacts {
  /** daemon.json's path, for messages. */
  file: string;
  /** Its text; undefined when there is none. */
  text: string | undefined;
  /** Where the wrapper is installed. */
  wrapper: string;
  capMissing: boolean;
  /** --force-runtime: replace another default runtime. */
  force: boolean;
}

export type DaemonDecision =
  | { action: 'keep'; note: string }
  | { action: 'write'; text: string; note: string }
  | { action: 'refuse'; message: string };

/** host:prepare: register the wrapper as default runtime only when the capability is missing and no other runtime is. */
export function decidePrepare(f: PrepareFacts): DaemonDecision {
  let cfg: Json;
  try {
    cfg = parseDaemonJson(f.text);
  } catch (err) {
    return { action: 'refuse', message: `${f.file} is not valid daemon configuration (${(err as Error).message}): fix it, then rerun` };
  }
  const current = defaultOf(cfg);
  if (!f.capMissing) {
    return {
      action: 'keep',
      note:
        current === ourRuntime
          ? `CAP_SYS_RESOURCE is present: the runc wrapper is not needed (the one registered earlier stays until \`npm run host:unprepare\`)`
          : 'CAP_SYS_RESOURCE is present: no runc wrapper needed, daemon.json left as it is',
    };
  }
  const other = current !== undefined && current !== dockerDefault && current !== ourRuntime;
  if (other && !f.force) {
    return {
      action: 'refuse',
      message:
        `${f.file} sets "default-runtime": "${current}"; this host lacks CAP_SYS_RESOURCE and needs the runc wrapper ` +
        `as Docker's default runtime: rerun with --force-runtime to replace it (daemon.json is backed up first), or keep ${current} and do not use host:prepare`,
    };
  }
  const want: Json = { ...cfg, runtimes: { ...runtimesOf(cfg), [ourRuntime]: { path: f.wrapper } }, 'default-runtime': ourRuntime };
  if (render(want) === render(cfg)) return { action: 'keep', note: `the runc wrapper is already Docker's default runtime (${ourRuntime})` };
  return {
    action: 'write',
    text: render(want),
    note: other ? `replaced the default runtime "${current}" with ${ourRuntime} (--force-runtime)` : `registered the runc wrapper as Docker's default runtime (${ourRuntime})`,
  };
}

export interface UnprepareFacts {
  file: string;
  text: string | undefined;
  /** The backup host:prepare wrote before its first change; '' stands for "there was no daemon.json". */
  backup: string | undefined;
  wrapper: string;
}

export type UndoDecision =
  | { action: 'keep'; note: string }
  | { action: 'restore'; note: string }
  | { action: 'remove'; note: string }
  | { action: 'write'; text: string; note: string }
  | { action: 'refuse'; message: string };

/**
 * host:unprepare: the backup comes back as it was when daemon.json is still exactly what host:prepare made of it;
 * when someone edited it since, only our keys go (their edits stay) and the default runtime is the backup's again.
 */
export function decideUnprepare(f: UnprepareFacts): UndoDecision {
  if (f.text === undefined) return { action: 'keep', note: `no ${f.file}: nothing to undo there` };
  let cfg: Json;
  try {
    cfg = parseDaemonJson(f.text);
  } catch (err) {
    return { action: 'refuse', message: `${f.file} is not valid daemon configuration (${(err as Error).message}): fix it, then rerun` };
  }
  if (defaultOf(cfg) !== ourRuntime && runtimesOf(cfg)[ourRuntime] === undefined) {
    return { action: 'keep', note: `${f.file} does not name ${ourRuntime}: left as it is` };
  }
  if (f.backup !== undefined) {
    const made = decidePrepare({ file: f.file, text: f.backup, wrapper: f.wrapper, capMissing: true, force: true });
    const unchanged = made.action === 'write' && render(parseDaemonJson(made.text)) === render(cfg);
    if (unchanged && f.backup.trim() === '') return { action: 'remove', note: `removed ${f.file} (there was none before host:prepare)` };
    if (unchanged) return { action: 'restore', note: `restored ${f.file} from its backup` };
  }
  let previous: string | undefined;
  try {
    previous = defaultOf(parseDaemonJson(f.backup));
  } catch {
    previous = undefined; // an unreadable backup names no runtime to go back to
  }
  const runtimes = { ...runtimesOf(cfg) };
  delete runtimes[ourRuntime];
  const next: Json = { ...cfg, runtimes };
  if (Object.keys(runtimes).length === 0) delete next.runtimes;
  if (defaultOf(cfg) === ourRuntime) {
    if (previous !== undefined && previous !== ourRuntime) next['default-runtime'] = previous;
    else delete next['default-runtime'];
  }
  if (Object.keys(next).length === 0 && (f.backup === undefined || f.backup.trim() === '')) {
    return { action: 'remove', note: `removed ${f.file} (only ${ourRuntime} was in it)` };
  }
  return { action: 'write', text: render(next), note: `removed ${ourRuntime} from ${f.file} (edited since host:prepare: other keys kept)` };
}

export type RouteStep = { action: 'add' } | { action: 'present' } | { action: 'foreign'; route: string };

/** What to do for one blackhole, given `ip route show to exact <cidr>`: add it only where no route exists. */
export function routeStep(shown: string): RouteStep {
  const lines = shown.split('\n').map((l) => l.trim()).filter(Boolean);
  if (lines.length === 0) return { action: 'add' };
  if (lines.every((l) => l.startsWith('blackhole '))) return { action: 'present' };
  return { action: 'foreign', route: lines.join('; ') };
}

export interface Blackhole {
  /** `ip`'s family switch. */
  family: '-4' | '-6';
  cidr: string;
}

/** The CI blackholes: kind's pod and Service CIDRs (kind-config.yaml's), both families. */
export function ciBlackholes(ranges: Record<IpFamily, FamilyRanges> = kindRanges()): Blackhole[] {
  return ALL_FAMILIES.flatMap((family) => {
    const ip = family === 'IPv4' ? '-4' : '-6';
    return [{ family: ip, cidr: ranges[family].pod }, { family: ip, cidr: ranges[family].service }];
  });
}

/** The routes host:prepare recorded as added by it ("-4 10.244.0.0/16" per line); an empty record (older versions) is all of them. */
export function recordedRoutes(text: string): Blackhole[] {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  if (lines.length === 0) return ciBlackholes();
  return lines.flatMap((l) => {
    const [family, cidr] = l.split(/\s+/);
    return (family === '-4' || family === '-6') && cidr ? [{ family, cidr }] : [];
  });
}

/** The inotify limits kind needs; raised only, never lowered. */
export const inotifyLimits: Readonly<Record<string, number>> = { 'fs.inotify.max_user_instances': 512, 'fs.inotify.max_user_watches': 524288 };
