// host:prepare and host:unprepare: what this VM needs before a kind cluster can run, and its undo. Root, idempotent,
// never run implicitly. Every decision is in ../lib/host-config.ts; this file only acts on them.
//   prepare   [--ci] [--force-runtime] [--dry-run] [--root <dir>]
//   unprepare [--force] [--dry-run] [--root <dir>]
// --root runs against a copy of the file system under <dir> (files only: no packages, dockerd, sysctl or routes),
// which is how selftest exercises both on a throw-away daemon.json. DSC_PROC_STATUS replaces /proc/self/status there.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigurationError } from '../../lib/errors.ts';
import { logger } from '../../lib/log.ts';
import { runSync, startDaemon } from '../../lib/process.ts';
import {
  capSysResourceMissing,
  ciBlackholes,
  decidePrepare,
  decideUnprepare,
  inotifyLimits,
  ourRuntime,
  recordedRoutes,
  routeStep,
} from '../lib/host-config.ts';
import { clusterDir } from '../lib/paths.ts';

const log = logger('host');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface HostPaths {
  root: string;
  /** The machine itself, not a copy under --root: only then are packages, dockerd, sysctl and routes touched. */
  real: boolean;
  daemonJson: string;
  backup: string;
  stateDir: string;
  libDir: string;
  wrapper: string;
}

export function hostPaths(root = '/'): HostPaths {
  const r = resolve(root);
  const daemonJson = join(r, 'etc', 'docker', 'daemon.json');
  const libDir = join(r, 'usr', 'local', 'lib', 'dualstack-conformance');
  return { root: r, real: r === '/', daemonJson, backup: `${daemonJson}.dsc-backup`, stateDir: join(r, 'etc', 'dualstack-conformance'), libDir, wrapper: join(libDir, 'runc-wrapper') };
}

const readIfExists = (file: string): string | undefined => (existsSync(file) ? readFileSync(file, 'utf8') : undefined);

/** Runs `fn` and says what it did, or with --dry-run only says what it would do. */
function act(dry: boolean, what: string, fn: () => void): void {
  if (dry) {
    log(`would ${what}`);
    return;
  }
  fn();
  log(what);
}

/** Written next to the target and renamed into place, keeping the target's mode: never a half-written config. */
function writeAtomic(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.dsc-tmp.${process.pid}`;
  writeFileSync(tmp, text, { mode: existsSync(file) ? statSync(file).mode & 0o777 : 0o644 });
  renameSync(tmp, file);
}

function requireRoot(h: HostPaths, command: string): void {
  if (h.real && process.getuid?.() !== 0) throw new ConfigurationError(`${command} must run as root (it installs packages, edits /etc/docker and starts dockerd)`);
}

/** For selftest only (--ci): headless Chromium renders the HTML report; pinned to the version Debian serves. */
const CI_PACKAGES = ['chromium-headless-shell=156.0.8078.108-1~deb12u1'];

function ensurePackages(dry: boolean, ci: boolean): void {
  const need = ['docker.io', 'debootstrap', 'jq', 'iptables', 'iproute2', ...(ci ? CI_PACKAGES : [])].filter(
    (p) => !runSync('dpkg-query', ['-W', '-f=${Status}', p.split('=')[0] ?? p]).stdout.includes('install ok installed'),
  );
  if (need.length === 0) return;
  act(dry, `install ${need.join(' ')}`, () => {
    for (const args of [['update', '-qq'], ['install', '-y', '-qq', '--no-install-recommends', ...need]]) {
      const r = runSync('env', ['DEBIAN_FRONTEND=noninteractive', 'apt-get', ...args], { timeoutMs: 30 * 60_000 });
      if (r.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    }
  });
}

const dockerAnswers = () => runSync('docker', ['info', '--format', '{{.ServerVersion}}']).status === 0;
const dockerdPids = () => runSync('pidof', ['dockerd']).stdout.trim().split(/\s+/).filter(Boolean).map(Number);

/** Reloads dockerd after a daemon.json change (SIGHUP re-reads runtimes and the default runtime). */
function reloadDockerd(dry: boolean): void {
  for (const pid of dockerdPids()) act(dry, `reload dockerd (SIGHUP to ${pid})`, () => process.kill(pid, 'SIGHUP'));
}

/** Starts dockerd when no engine answers (no systemd as PID 1 on this kind of VM), reloads it after a change otherwise. */
async function ensureDockerd(changed: boolean, dry: boolean): Promise<void> {
  if (dockerAnswers()) {
    if (changed) reloadDockerd(dry);
    return;
  }
  act(dry, 'start dockerd (log: /var/log/dockerd.log)', () => {
    startDaemon('dockerd', [], '/var/log/dockerd.log');
  });
  if (dry) return;
  for (let i = 0; i < 60 && !dockerAnswers(); i++) await sleep(1000);
  if (!dockerAnswers()) throw new Error('dockerd did not start (see /var/log/dockerd.log)');
}

async function waitDefaultRuntime(): Promise<void> {
  const current = () => runSync('docker', ['info', '--format', '{{.DefaultRuntime}}']).stdout.trim();
  for (let i = 0; i < 20 && current() !== ourRuntime; i++) await sleep(500);
  if (current() !== ourRuntime) throw new Error(`docker did not take ${ourRuntime} as its default runtime (it reports "${current()}")`);
}

const sysctlFile = (key: string) => join('/proc/sys', ...key.split('.'));

/** Raises kind's inotify limits (never lowers them), remembering the values found so that unprepare can put them back. */
function raiseInotify(h: HostPaths, dry: boolean): void {
  const record = join(h.stateDir, 'inotify');
  const before: string[] = [];
  for (const [key, want] of Object.entries(inotifyLimits)) {
    const now = Number(readFileSync(sysctlFile(key), 'utf8').trim());
    if (now >= want) continue;
    before.push(`${key}=${now}`);
    act(dry, `raise ${key} from ${now} to ${want}`, () => writeFileSync(sysctlFile(key), String(want)));
  }
  if (!dry && before.length > 0 && !existsSync(record)) writeFileSync(record, before.join('\n') + '\n');
}

function restoreInotify(h: HostPaths, dry: boolean): void {
  const record = join(h.stateDir, 'inotify');
  for (const line of (readIfExists(record) ?? '').split('\n').filter(Boolean)) {
    const [key = '', prev = ''] = line.split('=');
    if (!(key in inotifyLimits) || !/^\d+$/.test(prev)) continue;
    const now = Number(readFileSync(sysctlFile(key), 'utf8').trim());
    // Someone changed it since: theirs stays.
    if (now === inotifyLimits[key]) act(dry, `put ${key} back to ${prev}`, () => writeFileSync(sysctlFile(key), prev));
  }
  if (!dry) rmSync(record, { force: true });
}

/** Blackholes the CI CIDRs where no route exists; a route someone else set is left alone, said in one line. */
function addBlackholes(h: HostPaths, dry: boolean): void {
  const record = join(h.stateDir, 'ci-routes');
  const prior = readIfExists(record);
  const ours = prior === undefined ? [] : recordedRoutes(prior).map((r) => `${r.family} ${r.cidr}`);
  for (const { family, cidr } of ciBlackholes()) {
    const step = routeStep(runSync('ip', [family, 'route', 'show', 'to', 'exact', cidr]).stdout);
    if (step.action === 'present') continue;
    if (step.action === 'foreign') {
      log(`${cidr} already has a route another owner set (${step.route}): left as it is, no blackhole for it`);
      continue;
    }
    act(dry, `blackhole ${cidr} on the host`, () => {
      const r = runSync('ip', [family, 'route', 'add', 'blackhole', cidr]);
      if (r.status !== 0) throw new Error(`ip ${family} route add blackhole ${cidr}: ${r.stderr.trim()}`);
    });
    if (!ours.includes(`${family} ${cidr}`)) ours.push(`${family} ${cidr}`);
  }
  if (!dry && ours.length > 0) writeFileSync(record, ours.join('\n') + '\n');
}

/** Deletes the blackholes host:prepare --ci added (and only those, and only while they are still blackholes). */
export function removeCiRoutes(h: HostPaths = hostPaths(), dry = false): void {
  const record = join(h.stateDir, 'ci-routes');
  const text = readIfExists(record);
  if (text === undefined) return;
  for (const { family, cidr } of recordedRoutes(text)) {
    if (routeStep(runSync('ip', [family, 'route', 'show', 'to', 'exact', cidr]).stdout).action !== 'present') continue;
    act(dry, `remove the blackhole ${cidr}`, () => void runSync('ip', [family, 'route', 'del', 'blackhole', cidr]));
  }
  if (!dry) rmSync(record, { force: true });
}

export async function hostPrepare(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ci: { type: 'boolean', default: false },
      'force-runtime': { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
      root: { type: 'string', default: '/' },
    },
  });
  const h = hostPaths(values.root);
  const dry = values['dry-run']!;
  requireRoot(h, 'host:prepare');
  const capMissing = capSysResourceMissing(readFileSync(process.env.DSC_PROC_STATUS ?? '/proc/self/status', 'utf8'));
  const text = readIfExists(h.daemonJson);
  // Decided before anything changes: a refusal leaves the machine as it was.
  const decision = decidePrepare({ file: h.daemonJson, text, wrapper: h.wrapper, capMissing, force: values['force-runtime']! });
  if (decision.action === 'refuse') throw new ConfigurationError(decision.message);
  if (!h.real) log(`--root ${h.root}: files under it only (no packages, dockerd, sysctl or routes)`);
  if (h.real) ensurePackages(dry, values.ci);

  if (capMissing) {
    const source = readFileSync(join(clusterDir, 'host', 'runc-wrapper.sh'), 'utf8');
    if (readIfExists(h.wrapper) !== source) {
      act(dry, `install the runc wrapper as ${h.wrapper}`, () => {
        mkdirSync(h.libDir, { recursive: true });
        writeAtomic(h.wrapper, source);
      });
    }
  }
  if (decision.action === 'write') {
    if (!existsSync(h.backup)) act(dry, `back up ${h.daemonJson} to ${h.backup}`, () => writeAtomic(h.backup, text ?? ''));
    act(dry, `write ${h.daemonJson}`, () => writeAtomic(h.daemonJson, decision.text));
  }
  log(decision.note);
  if (h.real) {
    await ensureDockerd(decision.action === 'write', dry);
    if (capMissing && !dry) await waitDefaultRuntime();
  }
  if (!dry) mkdirSync(h.stateDir, { recursive: true });
  if (h.real) raiseInotify(h, dry);
  if (h.real && values.ci) addBlackholes(h, dry);
  // This host builds and uses the offline node image by default.
  const marker = join(h.stateDir, 'node-image');
  if (readIfExists(marker) !== 'offline\n') act(dry, `leave the marker ${marker}`, () => writeFileSync(marker, 'offline\n'));
  const runtime = h.real && dockerAnswers() ? runSync('docker', ['info', '--format', '{{.DefaultRuntime}}']).stdout.trim() : '(not asked)';
  log(`${dry ? 'dry run done' : 'ready'}: default runtime ${runtime}, offline node image is the default`);
}

/** Containers whose runtime is our wrapper: they would lose it. */
function containersOnOurRuntime(): string[] {
  const ids = runSync('docker', ['ps', '-aq']).stdout.split('\n').filter(Boolean);
  if (ids.length === 0) return [];
  const r = runSync('docker', ['inspect', '--format', '{{.Name}} {{.HostConfig.Runtime}}', ...ids]);
  return r.stdout.split('\n').flatMap((l) => {
    const [name = '', runtime] = l.trim().split(' ');
    return runtime === ourRuntime ? [name.replace(/^\//, '')] : [];
  });
}

export async function hostUnprepare(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { force: { type: 'boolean', default: false }, 'dry-run': { type: 'boolean', default: false }, root: { type: 'string', default: '/' } },
  });
  const h = hostPaths(values.root);
  const dry = values['dry-run']!;
  requireRoot(h, 'host:unprepare');
  if (!h.real) log(`--root ${h.root}: files under it only (no dockerd, sysctl or routes)`);
  if (h.real && !values.force) {
    if (!dockerAnswers()) throw new ConfigurationError(`docker does not answer, so containers on ${ourRuntime} cannot be ruled out: start it, or pass --force`);
    const users = containersOnOurRuntime();
    if (users.length > 0) {
      throw new ConfigurationError(
        `${users.length} container(s) run on ${ourRuntime} and would lose their runtime (${users.slice(0, 5).join(', ')}${users.length > 5 ? ', ...' : ''}): ` +
          'delete them first (`npm run cluster:down -- --name <name>`), or pass --force',
      );
    }
  }
  const text = readIfExists(h.daemonJson);
  const backup = readIfExists(h.backup);
  const decision = decideUnprepare({ file: h.daemonJson, text, backup, wrapper: h.wrapper });
  if (decision.action === 'refuse') throw new ConfigurationError(decision.message);
  if (decision.action === 'restore') act(dry, decision.note, () => renameSync(h.backup, h.daemonJson));
  else if (decision.action === 'remove') {
    act(dry, decision.note, () => {
      rmSync(h.daemonJson);
      rmSync(h.backup, { force: true });
    });
  }
  else if (decision.action === 'write') act(dry, decision.note, () => writeAtomic(h.daemonJson, decision.text));
  else log(decision.note);
  if (decision.action === 'write' && backup !== undefined) log(`left ${h.backup} in place (daemon.json was edited since host:prepare)`);
  if (h.real && decision.action !== 'keep' && dockerAnswers()) reloadDockerd(dry);

  if (existsSync(h.wrapper)) act(dry, `remove ${h.wrapper}`, () => rmSync(h.wrapper));
  if (h.real) {
    removeCiRoutes(h, dry);
    restoreInotify(h, dry);
  }
  const marker = join(h.stateDir, 'node-image');
  if (existsSync(marker)) act(dry, `remove the marker ${marker}`, () => rmSync(marker));
  if (!dry) for (const dir of [h.libDir, h.stateDir]) if (existsSync(dir) && readdirSync(dir).length === 0) rmdirSync(dir);
  if (h.real) log('left in place: the Debian packages host:prepare installed, and dockerd running');
  if (dry) log('dry run: nothing changed');
}
