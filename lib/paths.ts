// Where things are: the project's root (from source or from the compiled package in dist/) and the cache outside the
// checkout, so that a fresh clone reuses what an earlier one built.
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Running from dist/ (the installed package) rather than from the TypeScript sources. */
export const COMPILED = import.meta.url.endsWith('.js');

/** The project's (or the installed package's) root: lib/.. from source, dist/lib/../.. when compiled. */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), COMPILED ? '../..' : '..');

/** The cache directory: $DSC_CACHE, else ~/.cache/dualstack-conformance (cluster/image/lib.sh says the same). */
export function cacheDirOf(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.DSC_CACHE ?? path.join(homedir(), '.cache', 'dualstack-conformance'));
}

/** True when this file is the process's entry point (a module run as a script rather than imported). */
export function isEntryPoint(moduleUrl: string): boolean {
  return process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(moduleUrl);
}
