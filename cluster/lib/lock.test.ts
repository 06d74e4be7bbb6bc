import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockIsStale, parseLock, processState, tryLock, type LockInfo } from './lock.ts';

const info = (over: Partial<LockInfo> = {}): LockInfo => ({ pid: 4242, startTime: '100', command: 'cluster:up', since: 'then', ...over });

/** A pid that has certainly exited: a child that ran and was reaped. */
const deadPid = (): number => Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);

describe('cluster lock: staleness', function () {
  it('a live holder with the same start time holds the lock', function () {
    expect(lockIsStale(info(), () => ({ alive: true, startTime: '100' }))).to.equal(false);
  });

  it('a dead holder, a reused pid or an unreadable lock is stale', function () {
    expect(lockIsStale(info(), () => ({ alive: false }))).to.equal(true);
    expect(lockIsStale(info(), () => ({ alive: true, startTime: '999' }))).to.equal(true);
    expect(lockIsStale(undefined, () => ({ alive: true }))).to.equal(true);
    expect(parseLock('{"pid": 12')).to.equal(undefined);
    expect(parseLock('{"pid": 12, "command": "cluster:up", "since": "x"}')).to.include({ pid: 12 });
  });

  it('probes processes: this one lives, an exited one does not', function () {
    expect(processState(process.pid).alive).to.equal(true);
    expect(processState(deadPid()).alive).to.equal(false);
  });
});

describe('cluster lock: taking it', function () {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'dsc-lock-test-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('the first taker gets it; a second is told who holds it', function () {
    const file = join(dir, 'c.lock');
    const me = info({ pid: process.pid, startTime: processState(process.pid).startTime });
    expect(tryLock(file, me)).to.equal(undefined);
    const holder = tryLock(file, info({ pid: process.pid + 1 }));
    expect(holder?.pid).to.equal(process.pid);
    expect(readdirSync(dir)).to.deep.equal(['c.lock']);
  });

  it('takes over a lock whose holder is gone', function () {
    const file = join(dir, 'c.lock');
    writeFileSync(file, JSON.stringify(info({ pid: deadPid() })));
    expect(tryLock(file, info({ pid: process.pid }))).to.equal(undefined);
    expect(parseLock(readFileSync(file, 'utf8'))?.pid).to.equal(process.pid);
    expect(existsSync(`${file}.${process.pid}.stale`)).to.equal(false);
  });
});

