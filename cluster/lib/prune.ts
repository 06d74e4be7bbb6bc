// What cluster:prune removes, as a plain function of what it found (unit-tested in test/cluster-prune.test.ts):
// project images that are neither current nor used by a container, cache entries of versions no longer pinned,
// older rootfs tarballs, and what interrupted builds left behind. cluster/prune.ts finds the facts and acts.

export interface ImageFact {
  ref: string;
  id: string;
  /** Bytes only this image holds (docker system df -v): what removing it alone frees. */
  uniqueBytes: number;
}

export interface EntryFact {
  name: string;
  mtimeMs: number;
}

export interface PruneFacts {
  /** Images of our repositories (dualstack-conformance/node, dualstack-conformance/node-base). */
  images: readonly ImageFact[];
  /** Image ids any container (running or stopped) was created from. */
  usedImageIds: ReadonlySet<string>;
  /** The references this checkout builds now (build-node-image.sh --ref, build-rootfs.sh --ref). */
  currentRefs: readonly string[];
  /** Entries of <cache>/bin and the ones the pinned versions name. */
  bin: readonly EntryFact[];
  currentBin: readonly string[];
  /** Entries of <cache>/rootfs and the current tarball's name. */
  rootfs: readonly EntryFact[];
  currentRootfs: readonly string[];
  now: number;
  alive: (pid: number) => boolean;
}

export interface PrunePlan {
  images: ImageFact[];
  keptImages: { ref: string; why: string }[];
  bin: string[];
  rootfs: string[];
}

/** A build's leftover that is no longer being written: <entry>.tmp|old|stale.<pid> of a dead pid, or an hour-old <entry>.tmp. */
const LEGACY_TMP_AGE_MS = 3_600_000;
function leftover(e: EntryFact, now: number, alive: (pid: number) => boolean): boolean | undefined {
  const m = /\.(?:tmp|old|stale)\.(\d+)$/.exec(e.name);
  if (m) return !alive(Number(m[1]));
  // Older scripts wrote <tarball>.tmp without a pid: old enough means no build is still writing it.
  if (e.name.endsWith('.tmp')) return now - e.mtimeMs > LEGACY_TMP_AGE_MS;
  return undefined;
}

function entries(found: readonly EntryFact[], current: readonly string[], f: PruneFacts): string[] {
  return found.filter((e) => leftover(e, f.now, f.alive) ?? !current.includes(e.name)).map((e) => e.name);
}

export function planPrune(f: PruneFacts): PrunePlan {
  const images: ImageFact[] = [];
  const keptImages: { ref: string; why: string }[] = [];
  for (const image of f.images) {
    if (f.currentRefs.includes(image.ref)) keptImages.push({ ref: image.ref, why: 'current' });
    else if (f.usedImageIds.has(image.id)) keptImages.push({ ref: image.ref, why: 'used by a container' });
    else images.push(image);
  }
  return { images, keptImages, bin: entries(f.bin, f.currentBin, f), rootfs: entries(f.rootfs, f.currentRootfs, f) };
}

/** docker's human sizes ("982.4MB", "0B", "1.3GB", "12kB"; decimal units, as docker prints them) in bytes. */
export function parseDockerSize(text: string): number {
  const m = /^([\d.]+)\s*([kKMGTP]?B)$/.exec(text.trim());
  if (!m) return 0;
  const power: Record<string, number> = { B: 0, kB: 1, KB: 1, MB: 2, GB: 3, TB: 4, PB: 5 };
  return Math.round(Number(m[1]) * 1000 ** (power[m[2] ?? 'B'] ?? 0));
}

export const megabytes = (bytes: number): string => `${(bytes / 1e6).toFixed(0)} MB`;
