// cluster:prune [--dry-run]: frees what older builds left (see lib/prune.ts for what goes) and says how much.
// Never the images this checkout builds now, never an image a container uses, never a build still running.
import { lstatSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { processState } from './lib/lock.ts';
import { logger } from '../lib/log.ts';
import { runSync } from '../lib/process.ts';
import { buildResult, buildScripts } from './lib/build.ts';
import { binaryDirs, cacheDir } from './lib/paths.ts';
import { megabytes, parseDockerSize, planPrune, type EntryFact, type ImageFact } from './lib/prune.ts';
import { offlineImageRepository } from './lib/sources.ts';

const log = logger('prune');
const repositories = [offlineImageRepository, `${offlineImageRepository}-base`];

/** Disk use of a file or directory tree (allocated blocks), without following links. */
function diskBytes(path: string): number {
  try {
    const st = lstatSync(path);
    let total = st.blocks * 512;
    if (st.isDirectory()) for (const name of readdirSync(path)) total += diskBytes(join(path, name));
    return total;
  } catch {
    return 0;
  }
}

function listEntries(dir: string): EntryFact[] {
  try {
    return readdirSync(dir).map((name) => ({ name, mtimeMs: lstatSync(join(dir, name)).mtimeMs }));
  } catch {
    return [];
  }
}

/** docker system df's deduplicated size of all images: before and after, the difference is what was freed. */
function imagesTotalBytes(): number {
  const rows = runSync('docker', ['system', 'df', '--format', '{{json .}}']).stdout.split('\n').filter(Boolean);
  const images = rows.map((r) => JSON.parse(r) as { Type: string; Size: string }).find((r) => r.Type === 'Images');
  return images ? parseDockerSize(images.Size) : 0;
}

function projectImages(): ImageFact[] {
  const unique = new Map<string, number>();
  const df = runSync('docker', ['system', 'df', '-v', '--format', '{{json .Images}}']);
  for (const row of (JSON.parse(df.stdout || '[]') as { ID: string; UniqueSize: string }[]) ?? []) unique.set(row.ID, parseDockerSize(row.UniqueSize));
  return repositories.flatMap((repo) =>
    runSync('docker', ['images', '--no-trunc', repo, '--format', '{{.Repository}}:{{.Tag}} {{.ID}}'])
      .stdout.split('\n')
      .filter((l) => l.trim() && !l.includes('<none>'))
      .map((l) => {
        const [ref = '', id = ''] = l.trim().split(' ');
        return { ref, id, uniqueBytes: unique.get(id) ?? 0 };
      }),
  );
}

function usedImageIds(): Set<string> {
  const ids = runSync('docker', ['ps', '-aq']).stdout.split('\n').filter(Boolean);
  if (ids.length === 0) return new Set();
  return new Set(runSync('docker', ['inspect', '--format', '{{.Image}}', ...ids]).stdout.split('\n').map((s) => s.trim()).filter(Boolean));
}

export async function prune(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { 'dry-run': { type: 'boolean', default: false } } });
  const dry = values['dry-run']!;
  const docker = runSync('docker', ['info', '--format', '{{.ServerVersion}}']).status === 0;
  if (!docker) log('docker does not answer: images left alone, caches only');
  const nodeRef = await buildResult(buildScripts.nodeImage, ['--ref']);
  const baseRef = await buildResult(buildScripts.rootfs, ['--ref']);
  const binDir = join(cacheDir, 'bin');
  const rootfsDir = join(cacheDir, 'rootfs');
  const plan = planPrune({
    images: docker ? projectImages() : [],
    usedImageIds: docker ? usedImageIds() : new Set(),
    currentRefs: [nodeRef, baseRef],
    bin: listEntries(binDir),
    currentBin: Object.values(binaryDirs()),
    rootfs: listEntries(rootfsDir),
    currentRootfs: [`${baseRef.split(':').pop()}.tar`],
    now: Date.now(),
    alive: (pid) => processState(pid).alive,
  });
  for (const k of plan.keptImages) log(`kept ${k.ref} (${k.why})`);

  const verb = dry ? 'would remove' : 'removed';
  const imagesBefore = docker && !dry ? imagesTotalBytes() : 0;
  let imageEstimate = 0;
  for (const image of plan.images) {
    if (!dry) {
      const r = runSync('docker', ['rmi', image.ref]);
      if (r.status !== 0) {
        log(`could not remove ${image.ref}: ${r.stderr.trim()}`);
        continue;
      }
    }
    imageEstimate += image.uniqueBytes;
    log(`${verb} image ${image.ref} (${megabytes(image.uniqueBytes)} its own)`);
  }
  let files = 0;
  for (const [dir, names] of [[binDir, plan.bin], [rootfsDir, plan.rootfs]] as const) {
    for (const name of names) {
      const path = join(dir, name);
      const bytes = diskBytes(path);
      if (!dry) rmSync(path, { recursive: true, force: true });
      files += bytes;
      log(`${verb} ${path} (${megabytes(bytes)})`);
    }
  }
  // Images share layers: the freed size is measured (docker's total before and after), the dry run's is the sum of
  // each image's own layers, a lower bound.
  const imageBytes = docker && !dry ? Math.max(0, imagesBefore - imagesTotalBytes()) : imageEstimate;
  const count = plan.images.length + plan.bin.length + plan.rootfs.length;
  if (count === 0) log('nothing to remove');
  log(
    `${dry ? 'would free at least' : 'freed'} ${megabytes(imageBytes + files)} ` +
      `(images ${megabytes(imageBytes)}, caches ${megabytes(files)}; ${count} item(s))`,
  );
}
