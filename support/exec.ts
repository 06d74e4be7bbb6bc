// Runs a command in a pod's container through the API server (client-node Exec over a WebSocket), like
// `kubectl exec`. Probes of pod and Service addresses are always sent from inside the cluster this way.
import { Writable } from 'node:stream';
import { Exec, type KubeConfig, type V1Status } from '@kubernetes/client-node';
import { describeError } from '../lib/errors.ts';
import { phase } from './phase.ts';

export interface ExecRequest {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  readonly command: readonly string[];
  /** The exec is abandoned (WebSocket closed) after this long; the result then says timedOut. */
  readonly timeoutMs: number;
}

export interface ExecResult {
  readonly stdout: string;
  readonly stderr: string;
  /** Exit code of the command; undefined when it did not run to an exit (timeout, exec failure). */
  readonly exitCode: number | undefined;
  readonly timedOut: boolean;
  /** Why the exec failed without an exit code (container not found, executable missing, connect error). */
  readonly failure: string | undefined;
  readonly durationMs: number;
}

class Collector extends Writable {
  private readonly chunks: Buffer[] = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.chunks.push(Buffer.from(chunk));
    callback();
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** Exit code from the Status the API server sends at the end of an exec. */
export function exitCodeFromStatus(status: V1Status): { exitCode: number | undefined; failure: string | undefined } {
  if (status.status === 'Success') return { exitCode: 0, failure: undefined };
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
  const code = cause?.message !== undefined ? Number(cause.message) : NaN;
  if (status.reason === 'NonZeroExitCode' && Number.isInteger(code)) return { exitCode: code, failure: undefined };
  return { exitCode: undefined, failure: status.message ?? status.reason ?? 'exec failed' };
}

/**
 * Execs in flight at once. Every check starts together after setup; unbounded, dozens of execs (each a process
 * started by the node's runtime) would queue on a small node's CPU until single attempts time out.
 */
export const MAX_CONCURRENT_EXECS = 12;
let inFlight = 0;
const waiting: (() => void)[] = [];

async function slot(): Promise<() => void> {
  if (inFlight >= MAX_CONCURRENT_EXECS) await new Promise<void>((resolve) => waiting.push(resolve));
  inFlight += 1;
  return () => {
    inFlight -= 1;
    waiting.shift()?.();
  };
}

export async function execInPod(kubeConfig: KubeConfig, request: ExecRequest): Promise<ExecResult> {
  const release = await slot();
  try {
    return await execNow(kubeConfig, request);
  } finally {
    release();
  }
}

async function execNow(kubeConfig: KubeConfig, request: ExecRequest): Promise<ExecResult> {
  phase('exec');
  const started = Date.now();
  const stdout = new Collector();
  const stderr = new Collector();
  let status: V1Status | undefined;
  const exec = new Exec(kubeConfig);
  let socket: Awaited<ReturnType<Exec['exec']>>;
  try {
    socket = await exec.exec(
      request.namespace,
      request.pod,
      request.container,
      [...request.command],
      stdout,
      stderr,
      null,
      false,
      (received) => {
        status = received;
      },
    );
  } catch (error) {
    return {
      stdout: '',
      stderr: '',
      exitCode: undefined,
      timedOut: false,
      failure: `exec into ${request.namespace}/${request.pod} failed: ${describeError(error)}`,
      durationMs: Date.now() - started,
    };
  }
  const timedOut = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => {
      socket.close();
      resolve(true);
    }, request.timeoutMs);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(false);
    });
    socket.on('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
  const fromStatus = status
    ? exitCodeFromStatus(status)
    : { exitCode: undefined, failure: timedOut ? undefined : 'exec ended without a status' };
  return {
    stdout: stdout.text(),
    stderr: stderr.text(),
    exitCode: timedOut ? undefined : fromStatus.exitCode,
    timedOut,
    failure: timedOut ? `no exit within ${request.timeoutMs}ms` : fromStatus.failure,
    durationMs: Date.now() - started,
  };
}

/** One line for messages: `exit 1: wget: can't connect ...` or `timed out after 5000ms`. */
export function summarizeExec(result: ExecResult): string {
  const output = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(0, 3).join(' | ');
  if (result.timedOut) return `timed out (${result.failure ?? ''})${output ? `: ${output}` : ''}`;
  if (result.exitCode === undefined) return `${result.failure ?? 'failed'}${output ? `: ${output}` : ''}`;
  return `exit ${result.exitCode}${output ? `: ${output}` : ''}`;
}

/** Runs a command that must succeed and returns its stdout; otherwise throws an Error naming pod, command and outcome. */
export async function execText(
  kubeConfig: KubeConfig,
  target: { namespace: string; pod: string; container: string },
  command: readonly string[],
  timeoutMs: number,
): Promise<string> {
  const result = await execInPod(kubeConfig, { ...target, command, timeoutMs });
  if (result.exitCode !== 0) {
    throw new Error(`exec \`${command.join(' ')}\` in pod ${target.namespace}/${target.pod}: ${summarizeExec(result)}`);
  }
  return result.stdout;
}
