// The shell build scripts: each prints its progress on stderr and its result (an image reference) as the last line
// of stdout, which is what the cluster commands read.
import { join } from 'node:path';
import { commandLine, CommandError, runInherited, runText } from '../../lib/process.ts';
import { clusterDir } from './paths.ts';

export const buildScripts = {
  rootfs: join(clusterDir, 'image', 'build-rootfs.sh'),
  binaries: join(clusterDir, 'image', 'build-binaries.sh'),
  nodeImage: join(clusterDir, 'image', 'build-node-image.sh'),
  suiteImage: join(clusterDir, 'suite', 'build-suite-image.sh'),
} as const;

/** A cold build from source takes about 20 minutes here; the bound only ends a build that hangs. */
const BUILD_TIMEOUT_MS = 90 * 60_000;

/** Runs a build script and resolves with its result line. */
export async function buildResult(script: string, args: readonly string[] = []): Promise<string> {
  const out = await runText(script, args, { output: 'stdout', timeoutMs: BUILD_TIMEOUT_MS });
  const last = out.trim().split('\n').pop() ?? '';
  if (!last) throw new CommandError(`${commandLine(script, args)} printed no result`, 1);
  return last;
}

/** Runs a build script for its side effect (cached binaries), its output on the console. */
export function build(script: string, args: readonly string[]): Promise<void> {
  return runInherited(script, args, { timeoutMs: BUILD_TIMEOUT_MS });
}
