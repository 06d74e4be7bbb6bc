// Child processes, one way for the suite, the cluster tooling and selftest: every command has a time bound, a
// failure names the command line and what it printed, and a process that cannot start reads as exit 127 (what a
// shell says for a missing command) rather than an exception from somewhere inside Node.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { constants } from 'node:os';

/** A command that failed; exitCode is what a CLI wrapping it should exit with. */
export class CommandError extends Error {
  override readonly name = 'CommandError';
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/**
 * Where the child's output goes: collected, the console's, stdout collected while stderr shows progress, or all of it
 * on our stderr (a child whose output is progress while our stdout is a report).
 */
export type OutputMode = 'capture' | 'inherit' | 'stdout' | 'stderr';

export interface ProcessOptions {
  /** The child's whole environment (default: this process's). */
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Written to stdin, which is then closed; without it stdin is closed at once (inherited in 'inherit' mode). */
  readonly input?: string;
  /** Signalled (timeoutSignal, its whole group when detached) after this long; undefined: no bound. */
  readonly timeoutMs?: number;
  /** SIGKILL unless the child should get the chance to clean up after itself (SIGTERM). */
  readonly timeoutSignal?: NodeJS.Signals;
  readonly output?: OutputMode;
  /** Its own process group: a signal or the timeout reaches exactly it and its children. */
  readonly detached?: boolean;
  /** Called for each complete stderr line as it arrives (capture mode), with stdout so far. */
  readonly onStderrLine?: (line: string, pid: number, stdoutSoFar: string) => void;
  /** Called at once with the child's pid (-1 when it could not start), before runProcess returns. */
  readonly onSpawn?: (pid: number) => void;
}

export interface Finished {
  /** null when a signal ended it. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly seconds: number;
  readonly pid: number;
  readonly timedOut: boolean;
}

/** The exit status a shell would report: the code, or 128 + the signal's number. */
export function exitStatus(finished: Pick<Finished, 'code' | 'signal'>): number {
  if (finished.code !== null) return finished.code;
  const number = finished.signal ? constants.signals[finished.signal] : undefined;
  return number === undefined ? 1 : 128 + number;
}

/** "git clone a b", quoted only where needed, for messages. */
export function commandLine(cmd: string, args: readonly string[]): string {
  return [cmd, ...args].map((part) => (/^[\w@%+=:,./-]+$/.test(part) ? part : `'${part.replaceAll("'", `'\\''`)}'`)).join(' ');
}

/** The last lines of some output, joined for a one-line message. */
export function tail(text: string, lines = 6): string {
  return text.trimEnd().split('\n').slice(-lines).join(' | ');
}

/** Runs a command to its end and says how it ended; never rejects (a command that cannot start is exit 127). */
export function runProcess(cmd: string, args: readonly string[], options: ProcessOptions = {}): Promise<Finished> {
  const started = Date.now();
  const mode = options.output ?? 'capture';
  const stdin = options.input !== undefined ? 'pipe' : mode === 'inherit' ? 'inherit' : 'ignore';
  const stdio =
    mode === 'inherit' ? [stdin, 'inherit', 'inherit'] : mode === 'stdout' ? [stdin, 'pipe', 'inherit'] : mode === 'stderr' ? [stdin, process.stderr, process.stderr] : [stdin, 'pipe', 'pipe'];
  return new Promise((resolve) => {
    const child = spawn(cmd, [...args], { env: options.env ?? process.env, cwd: options.cwd, detached: options.detached ?? false, stdio: stdio as ['pipe', 'pipe', 'pipe'] });
    const pid = child.pid ?? -1;
    options.onSpawn?.(pid);
    let stdout = '';
    let stderr = '';
    let pending = '';
    let timedOut = false;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let settled = false;
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      stderr += text;
      if (!options.onStderrLine) return;
      pending += text;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) options.onStderrLine(line, pid, stdout);
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            try {
              const signal = options.timeoutSignal ?? 'SIGKILL';
              if (pid <= 0) return;
              if (options.detached) process.kill(-pid, signal);
              else child.kill(signal);
            } catch {
              // already gone
            }
          }, options.timeoutMs);
    const finish = (extra = ''): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      resolve({ code: exit?.code ?? null, signal: exit?.signal ?? null, stdout, stderr: stderr + extra, seconds: (Date.now() - started) / 1000, pid, timedOut });
    };
    child.on('error', (error) => {
      exit ??= { code: 127, signal: null };
      finish(`${cmd}: ${error.message}`);
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      // Output still buffered in the pipes arrives before 'close'; a grandchild holding them open must not hang us.
      setTimeout(() => finish(), 3_000).unref();
    });
    child.on('close', () => finish());
  });
}

/** Why a finished command counts as failed, for messages: "exit 3: <stderr tail>", "timed out after 60 s". */
export function failureOf(cmd: string, args: readonly string[], finished: Finished, timeoutMs?: number): string | undefined {
  if (finished.timedOut) return `${commandLine(cmd, args)}: timed out after ${(timeoutMs ?? 0) / 1000} s`;
  if (finished.code === 0) return undefined;
  const how = finished.code === null ? `signal ${finished.signal}` : `exit ${finished.code}`;
  const said = tail(finished.stderr) || tail(finished.stdout);
  return `${commandLine(cmd, args)} failed (${how})${said ? `: ${said}` : ''}`;
}

/** Runs a command and resolves with its stdout; rejects with a CommandError naming the command when it fails. */
export async function runText(cmd: string, args: readonly string[], options: Omit<ProcessOptions, 'output'> & { readonly output?: 'capture' | 'stdout' } = {}): Promise<string> {
  const finished = await runProcess(cmd, args, { ...options, output: options.output ?? 'capture' });
  const failure = failureOf(cmd, args, finished, options.timeoutMs);
  if (failure) throw new CommandError(failure, finished.timedOut ? 124 : exitStatus(finished));
  return finished.stdout;
}

/** Runs a command with the console as its output (long phases); rejects with a CommandError when it fails. */
export async function runInherited(cmd: string, args: readonly string[], options: Omit<ProcessOptions, 'output' | 'onStderrLine'> = {}): Promise<void> {
  const finished = await runProcess(cmd, args, { ...options, output: 'inherit' });
  const failure = failureOf(cmd, args, finished, options.timeoutMs);
  if (failure) throw new CommandError(failure, finished.timedOut ? 124 : exitStatus(finished));
}

export interface Captured {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Synchronous capture, for short queries where a promise would only add noise (docker inspect, git rev-parse). */
export function runSync(cmd: string, args: readonly string[], options: { readonly input?: string; readonly env?: NodeJS.ProcessEnv; readonly cwd?: string; readonly timeoutMs?: number } = {}): Captured {
  const r = spawnSync(cmd, [...args], { encoding: 'utf8', input: options.input, env: options.env ?? process.env, cwd: options.cwd, timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) return { status: (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT' ? 124 : 127, stdout: r.stdout ?? '', stderr: r.error.message };
  return { status: r.status ?? 128 + (r.signal ? (constants.signals[r.signal] ?? 0) : 1), stdout: r.stdout, stderr: r.stderr };
}

/** runSync for a query whose failure ends the caller: its stdout, or a CommandError naming the command. */
export function runSyncText(cmd: string, args: readonly string[], options: Parameters<typeof runSync>[2] = {}): string {
  const r = runSync(cmd, args, options);
  if (r.status === 0) return r.stdout;
  const said = tail(r.stderr) || tail(r.stdout);
  throw new CommandError(`${commandLine(cmd, args)} failed (exit ${r.status})${said ? `: ${said}` : ''}`, r.status);
}

/** Starts a daemon (dockerd) in its own process group, its output appended to a log file, and leaves it running. */
export function startDaemon(cmd: string, args: readonly string[], logFile: string): void {
  const out = openSync(logFile, 'a');
  try {
    spawn(cmd, [...args], { detached: true, stdio: ['ignore', out, out] }).unref();
  } finally {
    closeSync(out);
  }
}
