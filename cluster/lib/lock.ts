// One cluster:up or cluster:down per cluster name at a time: two `up`s of one name would otherwise delete each
// other's half-made nodes. The lock is a file per name holding its holder's pid and that pid's start time (so a
// reused pid is not taken for the holder); a lock whose holder is gone is taken over.
import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigurationError } from '../../lib/errors.ts';
import { cacheDir } from './paths.ts';

export interface LockInfo {
  pid: number;
  /** Field 22 of /proc/<pid>/stat: distinguishes the holder from a later process given the same pid. */
  startTime?: string;
  command: string;
  since: string;
}

export interface ProcessState {
  alive: boolean;
  startTime?: string;
}

export const locksDir = () => join(cacheDir, 'locks');
export const lockFile = (name: string) => join(locksDir(), `${name}.lock`);

export function parseLock(text: string | undefined): LockInfo | undefined {
  if (text === undefined) return undefined;
  try {
    const v = JSON.parse(text) as Partial<LockInfo>;
    return typeof v.pid === 'number' && v.pid > 0 ? { pid: v.pid, startTime: v.startTime, command: String(v.command ?? '?'), since: String(v.since ?? '?') } : undefined;
  } catch {
    return undefined;
  }
}

/** Stale: unreadable, its holder gone, or its pid now another process. */
export function lockIsStale(info: LockInfo | undefined, probe: (pid: number) => ProcessState): boolean {
  if (!info) return true;
  const p = probe(info.pid);
  if (!p.alive) return true;
  return info.startTime !== undefined && p.startTime !== undefined && p.startTime !== info.startTime;
}

function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

export function processState(pid: number): ProcessState {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return { alive: false };
  }
  return { alive: true, startTime: startTimeOf(pid) };
}

const readText = (file: string): string | undefined => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
};

export function describeHolder(h: LockInfo): string {
  return `pid ${h.pid} (${h.command} since ${h.since})`;
}

/**
 * One attempt: the lock is ours (undefined) or its live holder is returned. The file appears complete or not at all
 * (hard link of a written file); a stale one is moved aside and dropped only if it is still the one judged stale.
 */
export function tryLock(file: string, me: LockInfo): LockInfo | undefined {
  const tmp = `${file}.${me.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(me) + '\n');
  try {
    for (let attempt = 0; attempt < 10; attempt++) {
      try {
        linkSync(tmp, file);
        return undefined;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const seen = readText(file);
      if (seen === undefined) continue; // released meanwhile
      const holder = parseLock(seen);
      if (holder && !lockIsStale(holder, processState)) return holder;
      const aside = `${file}.${me.pid}.stale`;
      try {
        renameSync(file, aside);
      } catch {
        continue; // another process took it over first
      }
      if (readText(aside) !== seen) {
        // Not the stale one any more: someone took it over meanwhile; put theirs back.
        try {
          linkSync(aside, file);
        } catch {
          // a third process holds it now
        }
      }
      rmSync(aside, { force: true });
    }
    throw new ConfigurationError(`could not take the lock ${file} (it keeps changing hands)`);
  } finally {
    rmSync(tmp, { force: true });
  }
}

export interface HeldLock {
  release(): void;
}

const held = new Set<string>();
let handlersInstalled = false;

function releaseFile(file: string, me: LockInfo): void {
  if (parseLock(readText(file))?.pid === me.pid) rmSync(file, { force: true });
  held.delete(file);
}

/** Locks go with the process however it ends, short of SIGKILL (whose lock the next taker finds stale). */
function installHandlers(me: LockInfo): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', () => [...held].forEach((f) => releaseFile(f, me)));
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    process.on(signal, () => process.exit(code));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Takes the lock of a cluster name, waiting up to `waitSeconds` for its holder; then exits 2 naming the holder. */
export async function lockCluster(name: string, command: string, waitSeconds: number, log: (msg: string) => void): Promise<HeldLock> {
  mkdirSync(locksDir(), { recursive: true });
  const me: LockInfo = { pid: process.pid, startTime: startTimeOf(process.pid), command, since: new Date().toISOString() };
  const file = lockFile(name);
  const deadline = Date.now() + waitSeconds * 1000;
  let told = false;
  for (;;) {
    const holder = tryLock(file, me);
    if (!holder) {
      held.add(file);
      installHandlers(me);
      return { release: () => releaseFile(file, me) };
    }
    if (Date.now() >= deadline) {
      throw new ConfigurationError(
        `cluster "${name}" is in use by ${describeHolder(holder)}: wait for it to finish${waitSeconds > 0 ? '' : ', or pass --wait-lock <seconds>'}`,
      );
    }
    if (!told) log(`cluster "${name}" is in use by ${describeHolder(holder)}: waiting up to ${waitSeconds} s`);
    told = true;
    await sleep(1000);
  }
}
