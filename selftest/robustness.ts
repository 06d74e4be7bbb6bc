// Robustness cases (issue 5), run by selftest against the dual-stack (IPv4 primary) cluster of the matrix: signals at
// several phases, the start-of-run sweep, exit codes, one clear line for every bad input, two runs at once, least
// privilege (deploy/rbac.yaml + deploy/policy.yaml: robustness-policy.ts), Pod Security; plus the Node-version cases of the tool phase. Each case returns a
// detail line or throws with what it observed. The suite is spawned as package.json's `test` script spells it (the
// process `npm test` starts: `node --import tsx bin/dualstack-conformance.ts`) in its own process group, so a signal
// reaches exactly it and the group shows whether the whole tree exited.
//
// Standalone: npx tsx selftest/robustness.ts --kubeconfig <file> --name <cluster> [--only <substring>] [--node-versions]
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync, cpSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { PROJECT_ROOT as projectDir } from '../lib/paths.ts';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, RUN_ID_LABEL } from '../support/namespace.ts';
import { kindNetworkContainers, leaksSince, snapshot } from './leaks.ts';
import { exposureCases } from './robustness-exposure.ts';
import { cleanupCases } from './robustness-cleanup.ts';
import { kubectlBinary } from '../cluster/lib/paths.ts';
import { imageCases } from './robustness-images.ts';
import { mirrorCases } from './robustness-mirror.ts';
import { sweepCases } from './robustness-sweep.ts';
import { policyCases } from './robustness-policy.ts';

export interface RobustnessCase {
  readonly name: string;
  readonly fn: () => Promise<string>;
}

/** The command of package.json's `test` script, as [executable, ...args]: what `npm test` starts under `sh -c`. */
function testCommand(): [string, ...string[]] {
  const scripts = (JSON.parse(readFileSync(join(projectDir, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const [command, ...args] = (scripts.test ?? '').trim().split(/\s+/);
  if (!command) throw new Error('package.json has no test script');
  // Our own Node for `node`; a package binary (e.g. tsx) from node_modules/.bin.
  return [command === 'node' ? process.execPath : join(projectDir, 'node_modules', '.bin', command), ...args];
}
const MANAGED_BY = `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`;
/** After the CLI exits, what it created must be gone within this bound (it waits for deletion before exiting). */
const GONE_WITHIN_MS = 20_000;

// ---------------------------------------------------------------------------------------------------------------
// Processes

export interface SuiteRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  seconds: number;
  pid: number;
}

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
export function runSuite(options: SuiteOptions): Promise<SuiteRun> {
  const started = Date.now();
  const env = options.rawEnv ?? cleanEnv(options.env);
  return new Promise((resolvePromise, reject) => {
    const [command, ...args] = testCommand();
    const child = spawn(command, [...args, ...options.args], { cwd: projectDir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const pid = child.pid;
    if (pid === undefined) {
      reject(new Error(`could not start ${command}`));
      return;
    }
    let stdout = '';
    let stderr = '';
    let pending = '';
    let timedOut = false;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      stderr += text;
      pending += text;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const text of lines) {
        const match = /^phase=(\S+)$/.exec(text);
        if (match?.[1]) options.onPhase?.(match[1], pid, { stdout });
      }
    });
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, options.timeoutMs);
    const finish = (): void => {
      clearTimeout(timer);
      if (timedOut) {
        reject(new Error(`the suite did not finish within ${options.timeoutMs / 1000} s (killed); stderr: ${tail(stderr)}`));
        return;
      }
      resolvePromise({ code: exit?.code ?? null, signal: exit?.signal ?? null, stdout, stderr, seconds: (Date.now() - started) / 1000, pid });
    };
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      // Output still buffered in the pipes arrives before 'close'; a grandchild holding them open must not hang us.
      setTimeout(finish, 3_000).unref();
    });
    child.on('close', finish);
  });
}

function tail(text: string, lines = 6): string {
  return text.trimEnd().split('\n').slice(-lines).join(' | ');
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

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function execText(cmd: string, args: readonly string[], options: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = execFile(
      cmd,
      [...args],
      { encoding: 'utf8', timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024, env: options.env ?? process.env, cwd: options.cwd ?? projectDir },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${cmd} ${args.join(' ')} failed: ${stderr.trim() || error.message}`));
        else resolvePromise(stdout);
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Cluster helpers (through kubectl: selftest observes the cluster independently of the suite's own client)

export function kubectl(kubeconfig: string, args: readonly string[], input?: string): Promise<string> {
  return execText(kubectlBinary(), ['--kubeconfig', kubeconfig, ...args], input !== undefined ? { input } : {});
}

export interface NamespaceInfo {
  name: string;
  labels: Record<string, string>;
  terminating: boolean;
}

async function suiteNamespaces(kubeconfig: string): Promise<NamespaceInfo[]> {
  const list = JSON.parse(await kubectl(kubeconfig, ['get', 'namespaces', '-l', MANAGED_BY, '-o', 'json'])) as {
    items: { metadata: { name: string; labels?: Record<string, string>; deletionTimestamp?: string } }[];
  };
  return list.items.map((item) => ({ name: item.metadata.name, labels: item.metadata.labels ?? {}, terminating: item.metadata.deletionTimestamp !== undefined }));
}

export async function namespaceExists(kubeconfig: string, name: string): Promise<NamespaceInfo | undefined> {
  const out = await kubectl(kubeconfig, ['get', 'namespace', name, '--ignore-not-found', '-o', 'json']);
  if (out.trim() === '') return undefined;
  const item = JSON.parse(out) as { metadata: { name: string; labels?: Record<string, string>; deletionTimestamp?: string } };
  return { name: item.metadata.name, labels: item.metadata.labels ?? {}, terminating: item.metadata.deletionTimestamp !== undefined };
}

export async function nothingLeaked(kubeconfig: string, before: Awaited<ReturnType<typeof snapshot>>, withinMs = GONE_WITHIN_MS): Promise<void> {
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

function randomSuffix(): string {
  return Math.random().toString(36).slice(2, 8);
}

/** "run abc (namespaces dsc-abc, dsc-abc-host)" from the header. */
export function runOf(stdout: string): { runId: string; main: string; host: string } | undefined {
  const match = /: run (\S+) \(namespaces (\S+), (\S+)\)/.exec(stdout);
  return match?.[1] && match[2] && match[3] ? { runId: match[1], main: match[2], host: match[3] } : undefined;
}

/** A closed port on 127.0.0.1: bind an ephemeral one, then release it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  await new Promise<void>((r) => server.close(() => r()));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** A TCP listener on 127.0.0.1 that accepts connections and never answers. */
export async function silentServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A run that must stop with exit 2 and one line (what a user sees), and leave nothing behind: the line and its time. */
export function oneLineLeavingNothing(kubeconfig: string, args: readonly string[], env: NodeJS.ProcessEnv, mustContain: readonly string[]): Promise<string> {
  return withTempDir('one-line', async (dir) => {
    const before = await snapshot(kubeconfig);
    const r = await runSuite({ args: [...args, '--reports-dir', join(dir, 'reports')], env, timeoutMs: 180_000 });
    const message = expectOneLine(r, mustContain);
    await nothingLeaked(kubeconfig, before);
    return `${message} (after ${r.seconds.toFixed(1)} s)`;
  });
}

export function withTempDir<T>(prefix: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), `dsc-robust-${prefix}-`));
  return fn(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

// ---------------------------------------------------------------------------------------------------------------
// Cases

export interface RobustnessTarget {
  /** kubeconfig of the dual-stack (IPv4 primary) cluster, with MetalLB. */
  readonly kubeconfig: string;
  readonly clusterName: string;
}

export function robustnessCases(target: RobustnessTarget): RobustnessCase[] {
  const { kubeconfig } = target;
  const env = { KUBECONFIG: kubeconfig };

  const interrupt = (signal: 'SIGINT' | 'SIGTERM', at: string): RobustnessCase => ({
    name: `${signal} at phase=${at}: exit ${signal === 'SIGINT' ? 130 : 143}, namespaces deleted, process tree gone`,
    fn: () =>
      withTempDir('signal', async (reports) => {
        const before = await snapshot(kubeconfig);
        let sentAt = 0;
        let seen: Promise<NamespaceInfo[]> | undefined;
        const r = await runSuite({
          args: ['--reports-dir', reports],
          env,
          timeoutMs: 240_000,
          onPhase: (phase, pid) => {
            if (phase !== at || sentAt !== 0) return;
            sentAt = Date.now();
            process.kill(pid, signal);
            // What the run had created when the signal landed (its deletion takes seconds: still visible).
            seen = suiteNamespaces(kubeconfig).then((all) => all.filter((ns) => !before.namespaces.has(ns.name)));
          },
        });
        if (sentAt === 0) throw new Error(`phase=${at} never appeared; ${describeRun(r)}`);
        const want = signal === 'SIGINT' ? 130 : 143;
        expectCode(r, want);
        const afterSignal = (Date.now() - sentAt) / 1000;
        const created = (await seen) ?? [];
        const runIds = new Set(created.map((ns) => ns.labels[RUN_ID_LABEL]));
        if (created.length !== 2 || runIds.size !== 1) {
          throw new Error(`expected the run's 2 namespaces at the signal, saw ${created.map((ns) => ns.name).join(', ') || 'none'}`);
        }
        await processGroupGone(r.pid, 5_000);
        await nothingLeaked(kubeconfig, before);
        const summaryFile = join(reports, 'summary.json');
        const verdict = existsSync(summaryFile) ? (JSON.parse(readFileSync(summaryFile, 'utf8')) as { verdict: string }).verdict : 'no summary (before checks)';
        return `exit ${r.code} ${afterSignal.toFixed(1)} s after ${signal}; ${created.map((ns) => ns.name).join(' + ')} gone; process group gone; summary: ${verdict}`;
      }),
  });

  const cases: RobustnessCase[] = [
    interrupt('SIGINT', 'discover'),
    interrupt('SIGINT', 'exec'),
    interrupt('SIGTERM', 'create'),
    interrupt('SIGTERM', 'wait'),

    ...sweepCases(target),

    {
      name: 'exit 2: zero checks selected (--grep matching nothing)',
      fn: async () => expectOneLine(await runSuite({ args: ['--grep', 'no-such-check-zzz'], env, timeoutMs: 60_000 }), ['no check selected']),
    },

    // Bad input: one clear line each, exit 2, no stack trace. The detail is the exact line a user sees.
    {
      name: 'bad input: KUBECONFIG names a missing file',
      fn: () =>
        withTempDir('missing', async (dir) => {
          const file = join(dir, 'no-such-kubeconfig');
          return expectOneLine(await runSuite({ args: [], env: { KUBECONFIG: file }, timeoutMs: 60_000 }), [file]);
        }),
    },
    {
      name: 'bad input: malformed kubeconfig',
      fn: () =>
        withTempDir('malformed', async (dir) => {
          const file = join(dir, 'kubeconfig');
          writeFileSync(file, 'apiVersion: v1\nclusters: [ {name: broken\n  users: :\n');
          return expectOneLine(await runSuite({ args: [], env: { KUBECONFIG: file }, timeoutMs: 60_000 }), [file, 'malformed']);
        }),
    },
    {
      name: 'bad input: unknown --context',
      fn: async () => expectOneLine(await runSuite({ args: ['--context', 'no-such-context'], env, timeoutMs: 60_000 }), ['no-such-context', 'not found']),
    },
    {
      name: 'bad input: API server refuses the connection',
      fn: () =>
        withTempDir('refused', async (dir) => {
          const port = await closedPort();
          const file = writeKubeconfig(join(dir, 'kubeconfig'), `https://127.0.0.1:${port}`, 'x', undefined);
          return expectOneLine(await runSuite({ args: [], env: { KUBECONFIG: file }, timeoutMs: 60_000 }), [`127.0.0.1:${port}`, 'ECONNREFUSED']);
        }),
    },
    {
      name: 'bad input: API server accepts and never answers',
      fn: () =>
        withTempDir('silent', async (dir) => {
          const server = await silentServer();
          try {
            const file = writeKubeconfig(join(dir, 'kubeconfig'), `https://127.0.0.1:${server.port}`, 'x', undefined);
            const r = await runSuite({ args: [], env: { KUBECONFIG: file, DSC_TIMEOUT_API_REQUEST: '3s' }, timeoutMs: 60_000 });
            const message = expectOneLine(r, [`127.0.0.1:${server.port}`, 'did not answer within 3s', 'DSC_TIMEOUT_API_REQUEST']);
            if (r.seconds > 20) throw new Error(`took ${r.seconds.toFixed(1)} s with a 3 s bound: ${message}`);
            return message;
          } finally {
            await server.close();
          }
        }),
    },
    {
      name: 'bad input: RBAC forbidden (a ServiceAccount without rights)',
      fn: () =>
        withTempDir('forbidden', async (dir) => {
          const namespace = `dsc-selftest-norbac-${randomSuffix()}`;
          try {
            await kubectl(kubeconfig, ['create', 'namespace', namespace]);
            await kubectl(kubeconfig, ['-n', namespace, 'create', 'serviceaccount', 'nobody']);
            const token = (await kubectl(kubeconfig, ['-n', namespace, 'create', 'token', 'nobody', '--duration', '10m'])).trim();
            const access = await clusterAccess(kubeconfig);
            const file = writeKubeconfig(join(dir, 'kubeconfig'), access.server, token, access.caData, 'nobody');
            return expectOneLine(await runSuite({ args: [], env: { KUBECONFIG: file }, timeoutMs: 60_000 }), ['is forbidden to', 'list nodes', 'create namespaces']);
          } finally {
            await kubectl(kubeconfig, ['delete', 'namespace', namespace, '--ignore-not-found', '--wait=true', '--timeout=60s']).catch(() => '');
          }
        }),
    },
    {
      name: 'bad input: malformed fixture (DSC_FIXTURES_DIR)',
      fn: () =>
        withTempDir('fixture', async (dir) => {
          const fixtures = join(dir, 'fixtures');
          cpSync(join(projectDir, 'fixtures'), fixtures, { recursive: true });
          writeFileSync(join(fixtures, 'client.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: client\n spec: [unclosed\n');
          const before = await snapshot(kubeconfig);
          const r = await runSuite({ args: ['--reports-dir', join(dir, 'reports')], env: { ...env, DSC_FIXTURES_DIR: fixtures }, timeoutMs: 120_000 });
          const message = expectOneLine(r, ['fixture client.yaml is malformed']);
          await nothingLeaked(kubeconfig, before);
          return message;
        }),
    },
    {
      name: 'bad input: Docker absent when the embedded cluster is needed (no cluster is created)',
      fn: () =>
        withTempDir('nodocker', async (dir) => {
          // PATH holds node only; HOME has no .kube; no KUBECONFIG: the CLI would create the embedded cluster.
          const bin = join(dir, 'bin');
          const home = join(dir, 'home');
          mkdirSync(bin);
          mkdirSync(home);
          symlinkSync(process.execPath, join(bin, 'node'));
          const containersBefore = await execText('docker', ['ps', '-a', '--format', '{{.Names}}']);
          const r = await runSuite({ args: [], rawEnv: { ...cleanEnv(), PATH: bin, HOME: home }, timeoutMs: 60_000 });
          const message = expectOneLine(r, ['npm run host:prepare']);
          if (r.stderr.includes('phase=cluster-up')) throw new Error(`the CLI started cluster:up: ${describeRun(r)}`);
          const containersAfter = await execText('docker', ['ps', '-a', '--format', '{{.Names}}']);
          if (containersAfter.split('\n').sort().join(',') !== containersBefore.split('\n').sort().join(',')) {
            throw new Error(`docker containers changed: before ${containersBefore.trim()}; after ${containersAfter.trim()}`);
          }
          const created = readdirSync(home);
          if (created.some((entry) => entry === '.kube')) throw new Error(`the run created ${join(home, '.kube')}`);
          return message;
        }),
    },
    {
      name: 'bad input: an image that cannot be pulled (--busybox-image registry.invalid/none:1)',
      fn: () =>
        oneLineLeavingNothing(kubeconfig, ['--busybox-image', 'registry.invalid/none:1'], { ...env, DSC_TIMEOUT_POD_READY: '90s' }, [
          'registry.invalid/none:1',
          '--busybox-image',
          'DSC_BUSYBOX_IMAGE',
        ]),
    },
    ...imageCases(target),

    {
      name: 'two runs at once against the same cluster both pass, with no shared names',
      fn: () =>
        withTempDir('concurrent', async (dir) => {
          const before = await snapshot(kubeconfig);
          const [a, b] = await Promise.all(
            ['a', 'b'].map((which) => runSuite({ args: ['--strict', '--reports-dir', join(dir, which)], env, timeoutMs: 300_000 })),
          );
          if (!a || !b) throw new Error('two runs expected');
          expectCode(a, 0);
          expectCode(b, 0);
          const runA = runOf(a.stdout);
          const runB = runOf(b.stdout);
          if (!runA || !runB) throw new Error('no run header');
          const namesA = new Set([runA.runId, runA.main, runA.host]);
          const shared = [runB.runId, runB.main, runB.host].filter((name) => namesA.has(name));
          if (shared.length > 0) throw new Error(`shared names: ${shared.join(', ')}`);
          await nothingLeaked(kubeconfig, before);
          return `run ${runA.runId} (${a.seconds.toFixed(1)} s) and run ${runB.runId} (${b.seconds.toFixed(1)} s) both passed (exit 0, --strict); nothing left`;
        }),
    },

    ...policyCases(target),

    {
      name: 'Pod Security: the main namespace enforces restricted and admits every pod; only -host is privileged',
      fn: () =>
        withTempDir('psa', async (dir) => {
          // A full run: its exec phase lasts long enough to read the pods before cleanup starts.
          let enforced: Promise<string> | undefined;
          let observed: Promise<string> | undefined;
          const r = await runSuite({
            args: ['--strict', '--reports-dir', join(dir, 'reports')],
            env,
            timeoutMs: 240_000,
            onPhase: (phase, _pid, soFar) => {
              if (phase === 'create' && !enforced) {
                enforced = enforcementDuringRun(kubeconfig, soFar.stdout);
                enforced.catch(() => undefined);
              }
              if (phase === 'exec' && !observed) {
                observed = podSecurityDuringRun(kubeconfig, soFar.stdout);
                observed.catch(() => undefined);
              }
            },
          });
          if (!enforced || !observed) throw new Error(`phase=create or phase=exec never appeared; ${describeRun(r)}`);
          const details = [await enforced, await observed];
          expectCode(r, 0);
          return `${details.join('; ')}; the run passed (--strict)`;
        }),
    },
    ...exposureCases(target),
    ...mirrorCases(target),
    ...cleanupCases(target),
  ];
  return cases;
}

interface PodJson {
  metadata: { name: string };
  spec: {
    hostNetwork?: boolean;
    securityContext?: { runAsNonRoot?: boolean; seccompProfile?: { type?: string } };
    containers: ContainerJson[];
    initContainers?: ContainerJson[];
  };
  status: { phase?: string; conditions?: { type: string; status: string }[] };
}

interface ContainerJson {
  name: string;
  securityContext?: {
    runAsNonRoot?: boolean;
    allowPrivilegeEscalation?: boolean;
    privileged?: boolean;
    capabilities?: { drop?: string[] };
    seccompProfile?: { type?: string };
  };
}

/** What `restricted` demands of one pod, as violations (empty: compliant). */
function restrictedViolations(pod: PodJson): string[] {
  const out: string[] = [];
  if (pod.spec.hostNetwork) out.push('hostNetwork');
  for (const container of [...pod.spec.containers, ...(pod.spec.initContainers ?? [])]) {
    const sc = container.securityContext ?? {};
    const where = `${pod.metadata.name}/${container.name}`;
    if ((sc.runAsNonRoot ?? pod.spec.securityContext?.runAsNonRoot) !== true) out.push(`${where}: runAsNonRoot not true`);
    if (sc.allowPrivilegeEscalation !== false) out.push(`${where}: allowPrivilegeEscalation not false`);
    if (sc.privileged) out.push(`${where}: privileged`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) out.push(`${where}: capabilities do not drop ALL`);
    const seccomp = sc.seccompProfile?.type ?? pod.spec.securityContext?.seccompProfile?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') out.push(`${where}: seccomp ${seccomp ?? 'unset'}`);
  }
  return out;
}

/** Read while the run is in phase=exec: the pods the two namespaces admitted. */
async function podSecurityDuringRun(kubeconfig: string, stdout: string): Promise<string> {
  const run = runOf(stdout);
  if (!run) throw new Error('no run header before phase=exec');
  const pods = async (namespace: string): Promise<PodJson[]> =>
    (JSON.parse(await kubectl(kubeconfig, ['-n', namespace, 'get', 'pods', '-o', 'json'])) as { items: PodJson[] }).items;
  const [mainPods, hostPods] = await Promise.all([pods(run.main), pods(run.host)]);
  if (mainPods.length === 0) throw new Error(`no pods in ${run.main}`);
  const notReady = mainPods.filter((pod) => !pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  if (notReady.length > 0) throw new Error(`pods not Ready in ${run.main}: ${notReady.map((pod) => pod.metadata.name).join(', ')}`);
  const violations = mainPods.flatMap(restrictedViolations);
  if (violations.length > 0) throw new Error(`pods in ${run.main} violate restricted: ${violations.join('; ')}`);
  const notHostNetwork = hostPods.filter((pod) => !pod.spec.hostNetwork);
  if (notHostNetwork.length > 0) throw new Error(`${run.host} holds pods without hostNetwork: ${notHostNetwork.map((pod) => pod.metadata.name).join(', ')}`);
  return (
    `${run.main} admitted ${mainPods.length} pods (${mainPods.map((pod) => pod.metadata.name).join(', ')}), all Ready and restricted-compliant; ` +
    `${run.host} holds only hostNetwork pods (${hostPods.map((pod) => pod.metadata.name).join(', ')})`
  );
}

/** Read when the run starts creating fixtures: the labels, and the main namespace really refusing a privileged pod. */
async function enforcementDuringRun(kubeconfig: string, stdout: string): Promise<string> {
  const run = runOf(stdout);
  if (!run) throw new Error('no run header before phase=create');
  const [main, host] = await Promise.all([namespaceExists(kubeconfig, run.main), namespaceExists(kubeconfig, run.host)]);
  if (!main || !host) throw new Error(`namespaces ${run.main}/${run.host} not found during the run`);
  const enforce = (ns: NamespaceInfo): string | undefined => ns.labels['pod-security.kubernetes.io/enforce'];
  if (enforce(main) !== 'restricted') throw new Error(`${run.main} enforces ${enforce(main) ?? 'nothing'}, expected restricted`);
  if (enforce(host) !== 'privileged') throw new Error(`${run.host} enforces ${enforce(host) ?? 'nothing'}, expected privileged`);
  // A hostNetwork root pod must be refused by the main namespace: the label is enforced, not just present.
  const probe = JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'psa-probe', namespace: run.main },
    spec: { hostNetwork: true, containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10' }] },
  });
  const refused = await kubectl(kubeconfig, ['create', '--dry-run=server', '-f', '-'], probe).then(
    () => undefined,
    (error: unknown) => (error as Error).message,
  );
  if (!refused?.includes('violates PodSecurity "restricted')) throw new Error(`${run.main} admitted a hostNetwork root pod (dry run): ${refused ?? 'accepted'}`);
  return `${run.main} enforce=restricted (refuses a hostNetwork root pod, server dry run), ${run.host} enforce=privileged`;
}

// ---------------------------------------------------------------------------------------------------------------
// Node versions (tool phase): type-check and unit tests on Node 22 and 24, from the npm package `node` (npx caches it
// in npm's cache, outside the checkout).

export function nodeVersionCases(): RobustnessCase[] {
  return ([22, 24] as const).map((major) => ({
    name: `type-check and unit tests on Node ${major}`,
    fn: async () => {
      const script = [
        'node -p process.version',
        'node node_modules/typescript/bin/tsc --noEmit -p tsconfig.json',
        'node node_modules/mocha/bin/mocha.js --config .mocharc.unit.json --reporter dot',
      ].join(' && ');
      let out: string;
      try {
        out = await execText('npx', ['--yes', '-p', `node@${major}`, '--', 'sh', '-c', script], { timeoutMs: 600_000 });
      } catch (error) {
        throw new Error(tail((error as Error).message, 12));
      }
      const version = out.split('\n')[0]?.trim() ?? '';
      if (!version.startsWith(`v${major}.`)) throw new Error(`expected Node ${major}, ran ${version}`);
      const passing = /(\d+) passing/.exec(out)?.[0] ?? '';
      return `${version}: tsc clean, ${passing}`;
    },
  }));
}

// ---------------------------------------------------------------------------------------------------------------
// Standalone entry

async function standalone(): Promise<number> {
  const { values } = parseArgs({
    options: {
      kubeconfig: { type: 'string' },
      name: { type: 'string' },
      only: { type: 'string', multiple: true },
      'node-versions': { type: 'boolean', default: false },
    },
  });
  const cases: RobustnessCase[] = [];
  if (values['node-versions']) cases.push(...nodeVersionCases());
  if (values.kubeconfig) cases.push(...robustnessCases({ kubeconfig: resolve(values.kubeconfig), clusterName: values.name ?? 'cluster' }));
  const only = values.only;
  const selected = only ? cases.filter((c) => only.some((text) => c.name.includes(text))) : cases;
  if (selected.length === 0) {
    process.stderr.write('robustness: no case selected (give --kubeconfig and/or --node-versions; --only filters by name)\n');
    return 2;
  }
  const say = (msg: string): boolean => process.stdout.write(`[robustness] ${msg}\n`);
  const started = Date.now();
  let failed = 0;
  const rows: string[] = [];
  for (const c of selected) {
    say(`--- ${c.name}`);
    const start = Date.now();
    let ok = true;
    let detail: string;
    try {
      detail = await c.fn();
    } catch (error) {
      ok = false;
      detail = (error as Error).message;
    }
    const seconds = (Date.now() - start) / 1000;
    if (!ok) failed += 1;
    say(`${ok ? 'PASS' : 'FAIL'} ${c.name} (${seconds.toFixed(1)} s): ${detail}`);
    rows.push(`  ${ok ? 'PASS' : 'FAIL'}  ${c.name.padEnd(100)} ${seconds.toFixed(1).padStart(6)} s`);
  }
  say('summary:');
  for (const row of rows) say(row);
  say(`total ${((Date.now() - started) / 1000).toFixed(0)} s; kind network containers now: ${[...kindNetworkContainers()].join(' ')}`);
  process.stdout.write(`robustness: ${selected.length - failed} passed, ${failed} failed\n`);
  return failed === 0 ? 0 : 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  standalone().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`robustness: ${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
