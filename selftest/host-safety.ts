// Safe to point at a real machine: host:prepare and host:unprepare on a throw-away root (no cluster needed), and two
// concurrent `cluster:up`s of one name on a fresh small cluster (the lock). Each case returns a detail line or throws.
//
// Standalone: npx tsx selftest/host-safety.ts [--only <substring of a case name, e.g. host:prepare or concurrent>] [--node-image <ref>]
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { lockFile } from '../cluster/lib/lock.ts';
import { clusterRecordsDir } from '../cluster/lib/paths.ts';
import { isEntryPoint } from '../lib/paths.ts';
import { runProcess, runSync } from '../lib/process.ts';
import { clusterCommandTail, clusterErrorLines as errorLines, startClusterCommand, type ClusterCommand as Ran } from './cluster-command.ts';
import { CaseRunner, type NamedCase } from '../lib/cases.ts';
import { runMain } from '../lib/log.ts';

/** A cluster command with this process's environment plus env, never rebuilding images. */
const start = (args: readonly string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 300_000) =>
  startClusterCommand(args, { ...process.env, DSC_REBUILD: '', ...env }, timeoutMs);

const tail = (r: Ran) => clusterCommandTail(r, 4);

/** A /proc/self/status stand-in: this VM's capability sets, with or without CAP_SYS_RESOURCE (bit 24). */
function procStatus(dir: string, withCap: boolean): string {
  const file = join(dir, withCap ? 'status-with-cap' : 'status-without-cap');
  const mask = withCap ? '000001ffffffffff' : '000001fffeffffff';
  writeFileSync(file, `Name:\tnode\nCapEff:\t${mask}\nCapBnd:\t${mask}\n`);
  return file;
}

const nvidia = '{\n  "runtimes": { "nvidia": { "path": "/usr/bin/nvidia-container-runtime" } },\n  "default-runtime": "nvidia",\n  "log-driver": "json-file"\n}\n';

/** A fresh root with etc/docker/daemon.json (or none); the case runs in it and removes it. */
async function withRoot(daemonJson: string | undefined, fn: (root: string, file: string, status: (cap: boolean) => string) => Promise<string>): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'dsc-host-root-'));
  const root = join(dir, 'root');
  const file = join(root, 'etc', 'docker', 'daemon.json');
  mkdirSync(join(root, 'etc', 'docker'), { recursive: true });
  if (daemonJson !== undefined) writeFileSync(file, daemonJson);
  try {
    return await fn(root, file, (cap) => procStatus(dir, cap));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const read = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : undefined);

function expectCode(r: Ran, code: number, what: string): void {
  if (r.code !== code) throw new Error(`${what}: expected exit ${code}, got ${tail(r)}`);
}

export function prepareCases(): NamedCase[] {
  return [
    {
      name: 'host:prepare refuses to replace another default runtime (nvidia) in one line, exit 2, daemon.json untouched',
      fn: () =>
        withRoot(nvidia, async (root, file, status) => {
          const r = await start(['host-prepare', '--root', root], { DSC_PROC_STATUS: status(false) }).done;
          const lines = r.stderr.trim().split('\n');
          if (r.code !== 2 || lines.length !== 1 || !lines[0]?.includes('"default-runtime": "nvidia"')) throw new Error(`expected exit 2 and one line naming nvidia, got ${tail(r)}`);
          if (read(file) !== nvidia) throw new Error('daemon.json changed');
          const left = readdirSync(root, { recursive: true }).map(String).sort();
          if (left.join(' ') !== 'etc etc/docker etc/docker/daemon.json') throw new Error(`the refusal left files: ${left.join(' ')}`);
          return `${r.seconds.toFixed(1)} s: ${lines[0]}`;
        }),
    },
    {
      name: 'host:prepare --force-runtime backs daemon.json up, a second prepare changes nothing, host:unprepare restores it byte for byte',
      fn: () =>
        withRoot(nvidia, async (root, file, status) => {
          const env = { DSC_PROC_STATUS: status(false) };
          expectCode(await start(['host-prepare', '--root', root, '--force-runtime'], env).done, 0, 'prepare --force-runtime');
          const written = read(file) ?? '';
          if (read(`${file}.dsc-backup`) !== nvidia) throw new Error('no backup with the original bytes');
          if (!written.includes('"default-runtime": "dsc-runc"') || !written.includes('nvidia-container-runtime')) throw new Error(`unexpected daemon.json: ${written}`);
          const again = await start(['host-prepare', '--root', root], env).done;
          expectCode(again, 0, 'a second prepare (its own runtime is not "another")');
          if (read(file) !== written || !again.stderr.includes('already')) throw new Error(`the second prepare changed daemon.json: ${tail(again)}`);
          expectCode(await start(['host-unprepare', '--root', root]).done, 0, 'unprepare');
          if (read(file) !== nvidia) throw new Error('unprepare did not restore the original bytes');
          const left = ['etc/docker/daemon.json.dsc-backup', 'usr/local/lib/dualstack-conformance', 'etc/dualstack-conformance'].filter((p) => existsSync(join(root, p)));
          if (left.length > 0) throw new Error(`unprepare left ${left.join(', ')}`);
          return 'backup, idempotent second run, byte-for-byte restore';
        }),
    },
    {
      name: 'host:unprepare after an edit removes only our keys; no daemon.json before means none after; CAP_SYS_RESOURCE present means no wrapper',
      fn: async () => {
        const edited = await withRoot(nvidia, async (root, file, status) => {
          expectCode(await start(['host-prepare', '--root', root, '--force-runtime'], { DSC_PROC_STATUS: status(false) }).done, 0, 'prepare');
          const cfg = JSON.parse(read(file) ?? '{}') as Record<string, unknown>;
          writeFileSync(file, JSON.stringify({ ...cfg, 'log-level': 'warn' }, null, 2));
          expectCode(await start(['host-unprepare', '--root', root]).done, 0, 'unprepare');
          const after = JSON.parse(read(file) ?? '{}') as Record<string, unknown>;
          const want = { ...(JSON.parse(nvidia) as object), 'log-level': 'warn' };
          if (JSON.stringify(after) !== JSON.stringify(want)) throw new Error(`expected nvidia back and the edit kept, got ${JSON.stringify(after)}`);
          return 'edit kept, nvidia default again';
        });
        const absent = await withRoot(undefined, async (root, file, status) => {
          expectCode(await start(['host-prepare', '--root', root], { DSC_PROC_STATUS: status(false) }).done, 0, 'prepare');
          if (!read(file)?.includes('dsc-runc')) throw new Error('prepare did not register the wrapper');
          expectCode(await start(['host-unprepare', '--root', root]).done, 0, 'unprepare');
          if (existsSync(file) || existsSync(`${file}.dsc-backup`)) throw new Error('daemon.json or its backup left behind');
          return 'no daemon.json again';
        });
        const capable = await withRoot(nvidia, async (root, file, status) => {
          expectCode(await start(['host-prepare', '--root', root], { DSC_PROC_STATUS: status(true) }).done, 0, 'prepare with the capability');
          if (read(file) !== nvidia || existsSync(join(root, 'usr', 'local', 'lib', 'dualstack-conformance', 'runc-wrapper'))) throw new Error('wrapper installed or daemon.json changed');
          return 'no wrapper with the capability';
        });
        return `${edited}; ${absent}; ${capable}`;
      },
    },
  ];
}

/** Two `cluster:up`s of one fresh name at once (over a stale lock of a dead pid): one builds, the other exits 2 naming it. */
export function lockCase(nodeImage?: string): NamedCase {
  return {
    name: 'two concurrent cluster:up of one name: one exits 2 naming the holder pid, down is refused meanwhile, the cluster passes smoke',
    fn: async () => {
      const name = 'dsc-lock';
      const dir = mkdtempSync(join(tmpdir(), 'dsc-lock-'));
      const kubeconfig = join(dir, 'kubeconfig');
      const upArgs = ['up', '--name', name, '--no-lb', '--kubeconfig', kubeconfig, ...(nodeImage ? ['--node-image', nodeImage] : [])];
      let detail: string;
      try {
        await start(['down', '--name', name]).done; // a leftover of a killed run
        // A holder that died without releasing: the lock must be taken over, not trusted.
        const dead = (await runProcess(process.execPath, ['-e', ''], { timeoutMs: 30_000 })).pid;
        mkdirSync(join(lockFile(name), '..'), { recursive: true });
        writeFileSync(lockFile(name), JSON.stringify({ pid: dead, command: 'cluster:up', since: 'earlier' }) + '\n');
        const a = start(upArgs);
        const b = start(upArgs);
        const first = await Promise.race([a.done.then((r) => ({ r, other: b, self: a })), b.done.then((r) => ({ r, other: a, self: b }))]);
        const holder = first.other.pid;
        const line = errorLines(first.r);
        if (first.r.code !== 2 || line.length !== 1 || !line[0]?.includes(`in use by pid ${holder} `)) {
          throw new Error(`the first to finish should exit 2 naming pid ${holder}: ${tail(first.r)}`);
        }
        // down once the holder has recorded the cluster (before that there is nothing of it to delete)
        for (let i = 0; i < 120 && !existsSync(join(clusterRecordsDir, `${name}.json`)); i++) await new Promise((r) => setTimeout(r, 500));
        const down = await start(['down', '--name', name]).done;
        const downRefused = down.code === 2 && errorLines(down)[0]?.includes(`in use by pid ${holder} `);
        const winner = await first.other.done;
        expectCode(winner, 0, 'the other cluster:up');
        if (!downRefused) throw new Error(`cluster:down during the up was not refused: ${tail(down)}`);
        if (existsSync(lockFile(name))) throw new Error(`the lock outlived its holder: ${lockFile(name)}`);
        const smoke = await start(['smoke', '--name', name]).done;
        expectCode(smoke, 0, 'smoke');
        detail = `loser exit 2 after ${first.r.seconds.toFixed(1)} s ("${line[0]}"); down refused meanwhile; up ${winner.seconds.toFixed(1)} s; smoke ${smoke.seconds.toFixed(1)} s`;
      } finally {
        await start(['down', '--name', name], {}, 180_000).done;
        rmSync(dir, { recursive: true, force: true });
      }
      const left = runSync('docker', ['ps', '-aq', '--filter', `label=io.x-k8s.kind.cluster=${name}`]).stdout.trim();
      if (left) throw new Error(`cluster:down left containers of ${name}: ${left}`);
      if (existsSync(lockFile(name))) throw new Error(`lock left behind: ${lockFile(name)}`);
      return detail;
    },
  };
}

async function standalone(): Promise<number> {
  const { values } = parseArgs({ options: { only: { type: 'string', multiple: true }, 'node-image': { type: 'string' } } });
  const runner = new CaseRunner({ label: 'host-safety', only: values.only });
  await runner.runAll([...prepareCases(), lockCase(values['node-image'])]);
  return runner.finish({ table: false });
}

if (isEntryPoint(import.meta.url)) runMain('host-safety', standalone);
