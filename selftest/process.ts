// Child processes for selftest: output goes straight to the console (CI reads it), the exit code comes back.
import { spawn } from 'node:child_process';

export interface RunResult {
  code: number;
}

export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: 'inherit', cwd: opts.cwd, env: { ...process.env, ...opts.env } });
    child.on('error', () => resolve({ code: 127 }));
    child.on('exit', (code, signal) => resolve({ code: code ?? (signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : 1) }));
  });
}
