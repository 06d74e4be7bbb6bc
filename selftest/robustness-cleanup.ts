// Robustness cases for cleanup that always ends (issue "Safe to point at a real cluster"): an API server that stops
// answering mid-run (a TCP proxy on 127.0.0.1 in front of the real one, which starts black-holing every connection at
// phase=exec), a second SIGINT abandoning the hung cleanup, the cleanup deadline, and crashes injected through
// DSC_INJECT_CRASH. Whatever a run leaves, the command it printed is run verbatim against the real API server and
// must remove it. Leftovers are checked by the run's own label (namespaces and containers), so runs of other people
// on the same cluster do not read as leaks.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer, isIP, type Socket } from 'node:net';
import { dirname, isAbsolute, join } from 'node:path';
import { kubectlBinary } from '../cluster/lib/paths.ts';
import { RUN_ID_LABEL } from '../support/namespace.ts';
import {
  describeRun,
  execText,
  expectCode,
  processGroupGone,
  runOf,
  runSuite,
  withTempDir,
  type RobustnessCase,
  type RobustnessTarget,
  type SuiteRun,
} from './robustness-harness.ts';

const REMOVE_PREFIX = 'dualstack-conformance: remove it with: ';

// ---------------------------------------------------------------------------------------------------------------
// An API server that stops answering

interface BlackHoleProxy {
  readonly port: number;
  /** From now on: new connections are accepted and never answered, open ones stop forwarding both ways. */
  readonly drop: () => void;
  readonly close: () => Promise<void>;
}

/** A TCP proxy on 127.0.0.1 forwarding to host:port (TLS passes through untouched) until told to drop. */
async function blackHoleProxy(host: string, port: number): Promise<BlackHoleProxy> {
  let dropping = false;
  const sockets = new Set<Socket>();
  const pairs = new Set<readonly [Socket, Socket]>();
  const track = (socket: Socket): Socket => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    return socket;
  };
  const server = createServer((client) => {
    track(client);
    if (dropping) return;
    const upstream = track(connect(port, host));
    client.pipe(upstream);
    upstream.pipe(client);
    pairs.add([client, upstream]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the proxy has no port');
  return {
    port: address.port,
    drop: () => {
      dropping = true;
      for (const [client, upstream] of pairs) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A copy of the kubeconfig's current context reaching the server through the proxy, with TLS still verified. */
async function proxiedKubeconfig(kubeconfig: string, file: string): Promise<{ file: string; proxy: BlackHoleProxy; server: URL }> {
  const view = JSON.parse(await execText(kubectlBinary(), ['--kubeconfig', kubeconfig, 'config', 'view', '--raw', '--minify', '--flatten', '-o', 'json'])) as {
    clusters: { cluster: Record<string, unknown> & { server: string } }[];
  };
  const cluster = view.clusters[0]?.cluster;
  if (!cluster) throw new Error(`no cluster in ${kubeconfig}`);
  const server = new URL(cluster.server);
  const host = server.hostname.replace(/^\[(.*)\]$/, '$1');
  const proxy = await blackHoleProxy(host, Number(server.port || 443));
  cluster.server = `https://127.0.0.1:${proxy.port}`;
  // kind's API certificate covers 127.0.0.1; a server reached by name keeps that name for the certificate check.
  if (isIP(host) === 0 && host !== 'localhost') cluster['tls-server-name'] = host;
  writeFileSync(file, `${JSON.stringify(view, null, 2)}\n`, { mode: 0o600 });
  return { file, proxy, server };
}

// ---------------------------------------------------------------------------------------------------------------
// What a run left, by its label

async function leftOfRun(kubeconfig: string, runId: string): Promise<string[]> {
  const selector = `${RUN_ID_LABEL}=${runId}`;
  const namespaces = await execText(kubectlBinary(), ['--kubeconfig', kubeconfig, 'get', 'namespaces', '-l', selector, '-o', 'name']);
  const containers = await execText('docker', ['ps', '-a', '--filter', `label=${selector}`, '--format', 'container/{{.Names}}']);
  return [...namespaces.split('\n'), ...containers.split('\n')].map((line) => line.trim()).filter((line) => line !== '');
}

async function nothingOfRunLeft(kubeconfig: string, runId: string, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const left = await leftOfRun(kubeconfig, runId);
    if (left.length === 0) return;
    if (Date.now() > deadline) throw new Error(`run ${runId} left ${left.join(', ')} ${withinMs / 1000} s later`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

/** Runs the command the suite printed, verbatim, with the real kubeconfig; returns it and how long it took. */
async function runPrintedCommand(r: SuiteRun, kubeconfig: string): Promise<{ command: string; seconds: number }> {
  const line = r.stderr.split('\n').find((text) => text.startsWith(REMOVE_PREFIX));
  if (!line) throw new Error(`no "${REMOVE_PREFIX.trim()}" line; ${describeRun(r)}`);
  const command = line.slice(REMOVE_PREFIX.length);
  const kubectl = kubectlBinary();
  const path = isAbsolute(kubectl) ? `${dirname(kubectl)}:${process.env.PATH ?? ''}` : (process.env.PATH ?? '');
  const started = Date.now();
  await execText('sh', ['-c', command], { env: { ...process.env, KUBECONFIG: kubeconfig, PATH: path }, timeoutMs: 180_000 });
  return { command, seconds: (Date.now() - started) / 1000 };
}

function runIdOf(r: SuiteRun): string {
  const run = runOf(r.stdout);
  if (!run) throw new Error(`no run header; ${describeRun(r)}`);
  return run.runId;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

// ---------------------------------------------------------------------------------------------------------------
// Cases

export function cleanupCases(target: RobustnessTarget): RobustnessCase[] {
  const { kubeconfig } = target;

  /** The API server stops answering at phase=exec, `signal` 1 s later; `second` (if any) 3 s into the hung cleanup. */
  const apiStopsAnswering = async (
    dir: string,
    signal: 'SIGINT' | 'SIGTERM',
    second: 'SIGINT' | undefined,
    cleanupDeadline: string,
  ): Promise<{ r: SuiteRun; firstAt: number; secondAt: number; exitAt: number }> => {
    const { file, proxy } = await proxiedKubeconfig(kubeconfig, join(dir, 'kubeconfig'));
    let firstAt = 0;
    let secondAt = 0;
    const signalLater = (pid: number, which: NodeJS.Signals, ms: number, record: (at: number) => void): void => {
      setTimeout(() => {
        record(Date.now());
        try {
          process.kill(pid, which);
        } catch {
          // Already exited: the assertions below say so.
        }
      }, ms);
    };
    try {
      const started = Date.now();
      const r = await runSuite({
        args: ['--reports-dir', join(dir, 'reports')],
        env: { KUBECONFIG: file, DSC_TIMEOUT_CLEANUP: cleanupDeadline },
        timeoutMs: 180_000,
        onPhase: (phase, pid) => {
          if (phase === 'exec' && firstAt === 0) {
            proxy.drop();
            firstAt = -1;
            signalLater(pid, signal, 1_000, (at) => (firstAt = at));
          }
          if (phase === 'cleanup' && second && firstAt > 0 && secondAt === 0) {
            secondAt = -1;
            signalLater(pid, second, 3_000, (at) => (secondAt = at));
          }
        },
      });
      if (firstAt <= 0) throw new Error(`phase=exec never appeared, or the run ended before the ${signal}; ${describeRun(r)}`);
      if (second && secondAt <= 0) throw new Error(`phase=cleanup never appeared after the ${signal}, or the run ended first; ${describeRun(r)}`);
      return { r, firstAt, secondAt, exitAt: started + r.seconds * 1000 };
    } finally {
      await proxy.close();
    }
  };

  const crash = (at: string, kind: 'exception' | 'rejection'): RobustnessCase => {
    const origin = kind === 'exception' ? 'uncaught exception' : 'unhandled rejection';
    return {
      name: `crash (${origin} injected at phase=${at}): cleanup runs, the error is printed, exit 2, nothing of the run left`,
      fn: () =>
        withTempDir('crash', async (dir) => {
          let seen: Promise<string[]> | undefined;
          const r = await runSuite({
            args: ['--reports-dir', join(dir, 'reports')],
            env: { KUBECONFIG: kubeconfig, DSC_INJECT_CRASH: kind === 'exception' ? at : `${at}:${kind}` },
            timeoutMs: 180_000,
            onPhase: (phase, _pid, soFar) => {
              const run = runOf(soFar.stdout);
              // What the run had created when it crashed (the deletion takes seconds: still visible).
              if (phase === at && run && !seen) seen = leftOfRun(kubeconfig, run.runId);
            },
          });
          expectCode(r, 2);
          const runId = runIdOf(r);
          const created = (await seen) ?? [];
          if (!created.some((name) => name === `namespace/dsc-${runId}`)) throw new Error(`the run's namespaces were not there at phase=${at}: ${created.join(', ')}`);
          const wanted = [`internal error (${origin})`, `injected crash at phase=${at} (DSC_INJECT_CRASH)`];
          const missing = wanted.filter((text) => !r.stderr.includes(text));
          if (missing.length > 0) throw new Error(`stderr lacks ${missing.join(', ')}; ${describeRun(r)}`);
          const phases = r.stderr.split('\n').filter((text) => text.startsWith('phase='));
          if (phases.indexOf('phase=cleanup') < phases.indexOf(`phase=${at}`)) throw new Error(`no cleanup after the crash: ${phases.join(' ')}`);
          const summaryFile = join(dir, 'reports', 'summary.json');
          const summary = existsSync(summaryFile) ? (JSON.parse(readFileSync(summaryFile, 'utf8')) as { verdict: string; exitCode: number; reason: string }) : undefined;
          if (summary && (summary.verdict !== 'error' || summary.exitCode !== 2)) throw new Error(`summary.json says ${summary.verdict}/${summary.exitCode}: ${summary.reason}`);
          await processGroupGone(r.pid, 5_000);
          await nothingOfRunLeft(kubeconfig, runId, 20_000);
          return `exit 2 after ${r.seconds.toFixed(1)} s; ${created.join(' + ')} there at the crash, gone; summary: ${summary ? `${summary.verdict}, ${summary.reason}` : 'none (before checks)'}`;
        }),
    };
  };

  return [
    {
      name: 'double SIGINT while the API server stopped answering: exit 130 at once, the printed command removes what is left',
      fn: () =>
        withTempDir('double-sigint', async (dir) => {
          const { r, firstAt, secondAt, exitAt } = await apiStopsAnswering(dir, 'SIGINT', 'SIGINT', '60s');
          expectCode(r, 130);
          if (!r.stderr.includes('SIGINT received again')) throw new Error(`the second SIGINT was not taken as one; ${describeRun(r)}`);
          if (exitAt - secondAt > 5_000) throw new Error(`exited ${seconds(exitAt - secondAt)} after the second SIGINT; ${describeRun(r)}`);
          if (exitAt - firstAt > 60_000) throw new Error(`exited ${seconds(exitAt - firstAt)} after the first SIGINT, past the 60 s deadline`);
          const runId = runIdOf(r);
          const leftLine = r.stderr.split('\n').find((text) => text.startsWith('dualstack-conformance: left behind: ')) ?? '';
          if (!leftLine.includes(`delete namespaces dsc-${runId} and dsc-${runId}-host (running)`)) {
            throw new Error(`the namespaces' deletion is not reported as hung: ${leftLine || describeRun(r)}`);
          }
          const left = await leftOfRun(kubeconfig, runId);
          if (!left.includes(`namespace/dsc-${runId}`)) throw new Error(`expected the run's namespaces left behind, found ${left.join(', ') || 'nothing'}`);
          const removal = await runPrintedCommand(r, kubeconfig);
          await processGroupGone(r.pid, 5_000);
          await nothingOfRunLeft(kubeconfig, runId, 30_000);
          return (
            `API black-holed at phase=exec; 2nd SIGINT ${seconds(secondAt - firstAt)} after the 1st, exit 130 ${seconds(exitAt - secondAt)} later; ` +
            `left ${left.join(' + ')}; \`${removal.command}\` (real API) removed it in ${removal.seconds.toFixed(1)} s`
          );
        }),
    },
    {
      name: 'cleanup deadline: the API server stops answering, one SIGTERM; exit 143 at DSC_TIMEOUT_CLEANUP=8s, the printed command removes what is left',
      fn: () =>
        withTempDir('deadline', async (dir) => {
          const { r, firstAt, exitAt } = await apiStopsAnswering(dir, 'SIGTERM', undefined, '8s');
          expectCode(r, 143);
          const afterSignal = exitAt - firstAt;
          if (afterSignal < 8_000 || afterSignal > 14_000) throw new Error(`exited ${seconds(afterSignal)} after SIGTERM, expected the 8 s deadline; ${describeRun(r)}`);
          if (!r.stderr.includes('cleanup did not finish within 8s (DSC_TIMEOUT_CLEANUP)')) throw new Error(`the deadline is not named; ${describeRun(r)}`);
          const runId = runIdOf(r);
          const left = await leftOfRun(kubeconfig, runId);
          if (!left.includes(`namespace/dsc-${runId}`)) throw new Error(`expected the run's namespaces left behind, found ${left.join(', ') || 'nothing'}`);
          const removal = await runPrintedCommand(r, kubeconfig);
          await processGroupGone(r.pid, 5_000);
          await nothingOfRunLeft(kubeconfig, runId, 30_000);
          return `exit 143 ${seconds(afterSignal)} after SIGTERM (deadline 8 s); left ${left.join(' + ')}; \`${removal.command}\` removed it in ${removal.seconds.toFixed(1)} s`;
        }),
    },
    crash('exec', 'exception'),
    crash('wait', 'rejection'),
  ];
}
