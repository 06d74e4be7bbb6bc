// Where a cluster's parts come from: which kind binary and which node image. A user with a registry and without
// Go gets a stock kind cluster; this registry-less machine gets its offline one. The decisions are plain functions
// of what was found, so they are unit-tested without Docker or Go (test/cluster-sources.test.ts).
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The file a bare command name runs on PATH (like `command -v`), without running anything. */
export function onPath(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      if (statSync(file).isFile()) return file;
    } catch {
      // not here: next directory
    }
  }
  return undefined;
}

/** "kind v0.30.0 go1.24.6 linux/amd64" → "v0.30.0" (pre-releases keep their suffix, so they never match a pin). */
export function parseKindVersion(output: string): string | undefined {
  return /^kind (v\S+)/m.exec(output)?.[1];
}

export interface KindFacts {
  pinned: string;
  /** kind found on PATH, with the version `kind version` reported (undefined when it reported none). */
  path?: { file: string; version: string | undefined };
  /** Our cached build of the pinned version. */
  cached: { file: string; exists: boolean };
  go: boolean;
}

export type KindChoice =
  | { action: 'use'; file: string; from: 'PATH' | 'cache'; note?: string }
  | { action: 'build'; file: string; note?: string }
  | { action: 'missing'; message: string };

/** PATH's kind when it is the pinned version, else our cached build, else build it with Go; else say what to install. */
export function chooseKind(f: KindFacts): KindChoice {
  const p = f.path;
  if (p && p.version === f.pinned) return { action: 'use', file: p.file, from: 'PATH' };
  // Another version on PATH is reported, never silently used: kind's node image contract changes between versions.
  const note = p ? `${p.file} is kind ${p.version ?? '(no version reported)'}, not the pinned ${f.pinned}: not used` : undefined;
  if (f.cached.exists) return { action: 'use', file: f.cached.file, from: 'cache', note };
  if (f.go) return { action: 'build', file: f.cached.file, note };
  return {
    action: 'missing',
    message:
      `kind ${f.pinned} is needed and there is no Go on PATH to build it${note ? ` (${note})` : ''}: ` +
      `install it with \`go install sigs.k8s.io/kind@${f.pinned}\` or put the kind ${f.pinned} release binary ` +
      `(https://github.com/kubernetes-sigs/kind/releases/tag/${f.pinned}) on PATH`,
  };
}

/** Our offline node images are tagged under this repository (build-node-image.sh). */
export const offlineImageRepository = 'dualstack-conformance/node';

export type NodeImageChoice = { source: 'offline' } | { source: 'ref'; ref: string } | { source: 'kind-default' };

/**
 * `--node-image offline` or host:prepare's marker → our offline image; `--node-image <ref>` → as given;
 * neither → kind's own default image (kind pulls it).
 */
export function chooseNodeImage(requested: string | undefined, marker: string | undefined): NodeImageChoice {
  const choice = requested?.trim() || marker?.trim();
  if (!choice) return { source: 'kind-default' };
  return choice === 'offline' ? { source: 'offline' } : { source: 'ref', ref: choice };
}

/** Whether a node image is one of ours (it then carries MetalLB's images and our kubectl's version). */
export const isOfflineImage = (ref: string | undefined): boolean => ref?.startsWith(`${offlineImageRepository}:`) ?? false;

/** What getting the offline image takes: nothing when it is in docker, else a build, which needs Go. */
export function offlineImageStep(present: boolean, rebuild: boolean, go: boolean): 'cached' | 'build' | 'needs-go' {
  if (present && !rebuild) return 'cached';
  return go ? 'build' : 'needs-go';
}
