// Child processes for the cluster commands: inherit output for long phases, capture it for queries.
import { spawn, spawnSync } from 'node:child_process';

export class CommandError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** Runs a command with inherited stdio; resolves on exit 0, rejects with the command line otherwise. */
export function runInherit(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: 'inherit', env });
    child.on('error', (err) => reject(new CommandError(`${cmd}: ${err.message}`, 1)));
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new CommandError(`${cmd} ${args.join(' ')} failed (${signal ?? `exit ${code}`})`, code ?? 1));
    });
  });
}

export interface Captured {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion and captures its output (for short queries). */
export function capture(cmd: string, args: string[], input?: string): Captured {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) return { status: 127, stdout: '', stderr: r.error.message };
  return { status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

/** Runs a build script whose last stdout line is its result (an image reference); progress goes to stderr. */
export function runForResult(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', (err) => reject(new CommandError(`${cmd}: ${err.message}`, 1)));
    child.on('exit', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code === 0 && last) resolve(last);
      else reject(new CommandError(`${cmd} failed (exit ${code})`, code ?? 1));
    });
  });
}
