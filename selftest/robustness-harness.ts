// What the robustness cases (robustness-<concern>.ts) share: the suite run as a user runs it, expectations on such a
// run, the cluster observed through kubectl (independently of the suite's own client) and throw-away directories.
// The suite is spawned as package.json's `test` script spells it (the process `npm test` starts: `node --import tsx
// bin/dualstack-conformance.ts`) in its own process group, so a signal reaches exactly it and the group shows whether
// the whole tree exited.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { kubectlBinary } from '../cluster/lib/paths.ts';
import type { NamedCase } from '../lib/cases.ts';
import { PROJECT_ROOT } from '../lib/paths.ts';
import { exitStatus, runProcess, runText, tail, type Finished } from '../lib/process.ts';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../support/namespace.ts';
import { leaksSince, snapshot, type Snapshot } from './leaks.ts';

export type RobustnessCase = NamedCase;
/** Waits that long (selftest's polls). */
export { sleep };

export interface RobustnessTarget {
  /** kubeconfig of the dual-stack (IPv4 primary) cluster, with MetalLB. */
  readonly kubeconfig: string;
  readonly clusterName: string;
}

export const MANAGED_BY = `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`;
/** After the CLI exits, what it created must be gone within this bound (it waits for deletion before exiting). */
const GONE_WITHIN_MS = 20_000;

// ---------------------------------------------------------------------------------------------------------------
// The suite's process

/** The command of package.json's `test` script, as [executable, ...args]: what `npm test` starts under `sh -c`. */
function testCommand(): [string, ...string[]] {
  const scripts = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const [command, ...args] = (scripts.test ?? '').trim().split(/\s+/);
  if (!command) throw new Error('package.json has no test script');
  // Our own Node for `node`; a package binary (e.g. tsx) from node_modules/.bin.
  return [command === 'node' ? process.execPath : join(PROJECT_ROOT, 'node_modules', '.bin', command), ...args];
}

export type SuiteRun = Finished;

interface SuiteOptions {
  readonly args: readonly string[];
  /** Added to a copy of this process's environment without KUBECONFIG and DSC_* variables. */
  readonly env?: NodeJS.ProcessEnv;
  /** Replaces the environment entirely (after the extras above are merged). */
  readonly rawEnv?: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
  /** Called once per phase marker on stderr, with the process so far. */
  readonly onPhase?: (phase: string, pid: number, soFar: { stdout: string }) => void;
}

export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key === 'KUBECONFIG' || key.startsWith('DSC_')) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

/** Runs the CLI in its own process group; a run exceeding its bound is killed (group, SIGKILL) and reported. */
export async function runSuite(options: SuiteOptions): Promise<SuiteRun> {
  const [command, ...args] = testCommand();
  const r = await runProcess(command, [...args, ...options.args], {
    cwd: PROJECT_ROOT,
    env: options.rawEnv ?? cleanEnv(options.env),
    detached: true,
    timeoutMs: options.timeoutMs,
    onStderrLine: (line, pid, stdout) => {
      const match = /^phase=(\S+)$/.exec(line);
      if (match?.[1]) options.onPhase?.(match[1], pid, { stdout });
    },
  });
  if (r.pid === -1) throw new Error(`could not start ${command}: ${r.stderr}`);
  if (r.timedOut) throw new Error(`the suite did not finish within ${options.timeoutMs / 1000} s (killed); stderr: ${tail(r.stderr)}`);
  return r;
}

export function describeRun(r: SuiteRun): string {
  return `exit ${r.code ?? r.signal ?? '?'} after ${r.seconds.toFixed(1)} s; stderr: ${tail(r.stderr)}; stdout: ${tail(r.stdout, 4)}`;
}

export function expectCode(r: SuiteRun, want: number): void {
  if (r.code !== want) throw new Error(`expected exit ${want}, got ${describeRun(r)}`);
}

const STACK_LINE = /^\s+at /m;

/** Exit 2, no stack trace anywhere, and stderr holds exactly one line besides the phase markers: that line. */
export function expectOneLine(r: SuiteRun, mustContain: readonly string[]): string {
  expectCode(r, 2);
  if (STACK_LINE.test(r.stderr) || STACK_LINE.test(r.stdout)) throw new Error(`a stack trace was printed: ${describeRun(r)}`);
  const lines = r.stderr.split('\n').filter((text) => text.trim() !== '' && !/^phase=\S+$/.test(text));
  if (lines.length !== 1) throw new Error(`expected one line on stderr besides phase markers, got ${lines.length}: ${lines.join(' | ')}`);
  const [message] = lines as [string];
  if (!message.startsWith('dualstack-conformance: ')) throw new Error(`the line does not name the tool: ${message}`);
  const missing = mustContain.filter((text) => !message.includes(text));
  if (missing.length > 0) throw new Error(`the line lacks ${missing.map((text) => `"${text}"`).join(', ')}: ${message}`);
  return message;
}

function processGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function processGroupGone(pgid: number, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (processGroupAlive(pgid)) {
    if (Date.now() > deadline) throw new Error(`process group ${pgid} still has processes ${withinMs / 1000} s after the CLI exited`);
    await sleep(200);
  }
}


/** A command's stdout; run from the project's root and bounded to a minute unless said otherwise. */
export function execText(cmd: string, args: readonly string[], options: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<string> {
  return runText(cmd, args, { cwd: PROJECT_ROOT, timeoutMs: 60_000, ...options });
}

/** What selftest's long steps may take at the most (a cold node image build is about 19 min here). */
const LONG_STEP_MS = 60 * 60_000;

/** A command with the console as its output (CI reads it); its exit status as a shell reports it (124: timed out). */
export async function runShown(cmd: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<{ code: number }> {
  const r = await runProcess(cmd, args, { output: 'inherit', cwd: options.cwd, env: { ...process.env, ...options.env }, timeoutMs: options.timeoutMs ?? LONG_STEP_MS });
  return { code: r.timedOut ? 124 : exitStatus(r) };
}

/** `npm run --silent <script> -- <args>`, shown on the console: its exit status. */
export function npmScript(script: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number }> {
  return runShown('npm', ['run', '--silent', script, ...(args.length ? ['--', ...args] : [])], { env });
}

// ---------------------------------------------------------------------------------------------------------------
// The cluster, through kubectl

export function kubectl(kubeconfig: string, args: readonly string[], input?: string): Promise<string> {
  return execText(kubectlBinary(), ['--kubeconfig', kubeconfig, ...args], input !== undefined ? { input } : {});
}

export interface NamespaceInfo {
  name: string;
  labels: Record<string, string>;
  terminating: boolean;
}

interface NamespaceJson {
  metadata: { name: string; labels?: Record<string, string>; deletionTimestamp?: string };
}

const namespaceInfo = (item: NamespaceJson): NamespaceInfo => ({
  name: item.metadata.name,
  labels: item.metadata.labels ?? {},
  terminating: item.metadata.deletionTimestamp !== undefined,
});

/** Every namespace labelled as the suite's. */
export async function suiteNamespaces(kubeconfig: string): Promise<NamespaceInfo[]> {
  const list = JSON.parse(await kubectl(kubeconfig, ['get', 'namespaces', '-l', MANAGED_BY, '-o', 'json'])) as { items: NamespaceJson[] };
  return list.items.map(namespaceInfo);
}

export async function namespaceExists(kubeconfig: string, name: string): Promise<NamespaceInfo | undefined> {
  const out = await kubectl(kubeconfig, ['get', 'namespace', name, '--ignore-not-found', '-o', 'json']);
  return out.trim() === '' ? undefined : namespaceInfo(JSON.parse(out) as NamespaceJson);
}

export async function nothingLeaked(kubeconfig: string, before: Snapshot, withinMs = GONE_WITHIN_MS): Promise<void> {
  const leaks = await leaksSince(before, kubeconfig, withinMs);
  if (leaks.length > 0) throw new Error(leaks.join('; '));
}

export interface ClusterAccess {
  server: string;
  caData: string | undefined;
}

export async function clusterAccess(kubeconfig: string): Promise<ClusterAccess> {
  const view = JSON.parse(await kubectl(kubeconfig, ['config', 'view', '--raw', '--minify', '-o', 'json'])) as {
    clusters: { cluster: { server: string; 'certificate-authority-data'?: string } }[];
  };
  const cluster = view.clusters[0]?.cluster;
  if (!cluster) throw new Error(`no cluster in ${kubeconfig}`);
  return { server: cluster.server, caData: cluster['certificate-authority-data'] };
}

/** A kubeconfig (JSON is YAML) for a server and a bearer token. */
export function writeKubeconfig(file: string, server: string, token: string, caData: string | undefined, contextName = 'selftest'): string {
  const cluster: Record<string, unknown> = { server };
  if (caData) cluster['certificate-authority-data'] = caData;
  else cluster['insecure-skip-tls-verify'] = true;
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: contextName, cluster }],
    users: [{ name: contextName, user: { token } }],
    contexts: [{ name: contextName, context: { cluster: contextName, user: contextName } }],
    'current-context': contextName,
  };
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  return file;
}

/** "run abc (namespaces dsc-abc, dsc-abc-host)" from the header. */
export function runOf(stdout: string): { runId: string; main: string; host: string } | undefined {
  const match = /: run (\S+) \(namespaces (\S+), (\S+)\)/.exec(stdout);
  return match?.[1] && match[2] && match[3] ? { runId: match[1], main: match[2], host: match[3] } : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Throw-away directories, and runs that must leave nothing

export function withTempDir<T>(prefix: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), `dsc-robust-${prefix}-`));
  return fn(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

/** `fn` in a throw-away directory; whatever it leaves in the cluster or on the kind network (namespaces, containers) fails. */
export function leavingNothing(kubeconfig: string, prefix: string, fn: (dir: string) => Promise<string>): Promise<string> {
  return withTempDir(prefix, async (dir) => {
    const before = await snapshot(kubeconfig);
    const detail = await fn(dir);
    await nothingLeaked(kubeconfig, before);
    return detail;
  });
}

/** A run that must stop with exit 2 and one line (what a user sees), and leave nothing behind: the line and its time. */
export function oneLineLeavingNothing(kubeconfig: string, args: readonly string[], env: NodeJS.ProcessEnv, mustContain: readonly string[]): Promise<string> {
  return leavingNothing(kubeconfig, 'one-line', async (dir) => {
    const r = await runSuite({ args: [...args, '--reports-dir', join(dir, 'reports')], env, timeoutMs: 180_000 });
    return `${expectOneLine(r, mustContain)} (after ${r.seconds.toFixed(1)} s)`;
  });
}
