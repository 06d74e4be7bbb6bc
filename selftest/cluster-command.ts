// cluster/cluster.ts as `npm run cluster:*` starts it (node + tsx in one process, so its pid is the one a lock
// names), for the cases that judge the cluster commands by their exit code and one-line errors.
import { join } from 'node:path';
import { clusterDir } from '../cluster/lib/paths.ts';
import { PROJECT_ROOT } from '../lib/paths.ts';
import { runProcess } from '../lib/process.ts';

export interface ClusterCommand {
  /** The exit code; 1 when a signal (the time bound) ended it. */
  readonly code: number;
  readonly seconds: number;
  readonly stderr: string;
}

/** Starts a cluster command with this whole environment; its pid is known at once, its end when done settles. */
export function startClusterCommand(args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs: number): { pid: number; done: Promise<ClusterCommand> } {
  let pid = -1;
  const done = runProcess(process.execPath, ['--import', 'tsx', join(clusterDir, 'cluster.ts'), ...args], {
    cwd: PROJECT_ROOT,
    env,
    timeoutMs,
    onSpawn: (spawned) => (pid = spawned),
  }).then((finished) => ({ code: finished.code ?? 1, seconds: finished.seconds, stderr: finished.stderr }));
  return { pid, done };
}

/** "exit 2: <the last lines of stderr>", for failure messages. */
export function clusterCommandTail(r: ClusterCommand, lines: number): string {
  return `exit ${r.code}: ${r.stderr.trim().split('\n').slice(-lines).join(' | ')}`;
}

/** The one-line errors a cluster command printed ("cluster: ..."). */
export const clusterErrorLines = (r: ClusterCommand): string[] => r.stderr.split('\n').filter((line) => line.startsWith('cluster: '));
