// Binaries selftest shells out to: the cluster's own kubectl when it has been built.
import { existsSync } from 'node:fs';
import { cachedBinary } from '../cluster/lib/paths.ts';

export function kubectlBinaryPath(): string {
  const ours = cachedBinary('kubernetes', 'kubectl');
  return existsSync(ours) ? ours : 'kubectl';
}
