// A user without Go (issue 10): kind of the pinned version on PATH, no `go` anywhere on PATH. Two pre-flight lines
// (the offline image would need building; no kind at all), then a real cluster from the offline image named by
// reference, proven by smoke. Kind's default image and upstream's MetalLB manifest cannot be pulled on this
// registry-less machine; their choice is unit-tested (test/cluster-sources.test.ts).
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { buildResult, buildScripts } from '../cluster/lib/build.ts';
import { cachedBinary, versions } from '../cluster/lib/paths.ts';
import { onPath } from '../cluster/lib/sources.ts';
import { runText } from '../lib/process.ts';
import { clusterCommandTail, clusterErrorLines, startClusterCommand, type ClusterCommand } from './cluster-command.ts';
import type { NamedCase } from '../lib/cases.ts';

/** A cluster command with a chosen environment (PATH without Go). */
const clusterCommand = (args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs: number) => startClusterCommand(args, env, timeoutMs).done;
const tail = (r: ClusterCommand) => clusterCommandTail(r, 5);

function expectOneLine(r: ClusterCommand, text: string): void {
  const lines = clusterErrorLines(r);
  if (r.code !== 2 || lines.length !== 1 || !lines[0]?.includes(text)) throw new Error(`expected exit 2 and one line with "${text}", got ${tail(r)}`);
}

export function noGoCase(): NamedCase {
  return {
    name: 'a user without Go: kind from PATH, --node-image <ref>, no go on PATH; cluster Ready and smoke passes',
    fn: async () => {
      const name = 'dsc-nogo';
      const pinned = versions().KIND_VERSION ?? '';
      const kind = [onPath('kind'), cachedBinary('kind', 'kind')].find((file) => file !== undefined && existsSync(file));
      if (!kind) throw new Error('no kind binary to put on PATH (neither on PATH nor cached)');
      const dir = mkdtempSync(join(tmpdir(), 'dsc-nogo-'));
      const bin = join(dir, 'bin');
      mkdirSync(bin);
      symlinkSync(kind, join(bin, 'kind'));
      // Every PATH directory that holds neither go nor another kind; ours first.
      const rest = (process.env.PATH ?? '').split(delimiter).filter((entry) => entry && !onPath('go', entry) && !onPath('kind', entry));
      const PATH = [bin, ...rest].join(delimiter);
      if (onPath('go', PATH)) throw new Error('go is still on PATH');
      const env: NodeJS.ProcessEnv = { ...process.env, PATH };
      delete env.DSC_REBUILD;
      const kubeconfig = join(dir, 'kubeconfig');
      let detail: string;
      try {
        expectOneLine(
          await clusterCommand(['up', '--name', name, '--node-image', 'offline', '--no-lb', '--kubeconfig', kubeconfig], { ...env, DSC_REBUILD: '1' }, 60_000),
          'building it needs Go on PATH',
        );
        expectOneLine(
          await clusterCommand(['up', '--name', name, '--no-lb', '--kubeconfig', kubeconfig], { ...env, PATH: rest.join(delimiter), DSC_CACHE: join(dir, 'empty-cache') }, 60_000),
          `go install sigs.k8s.io/kind@${pinned}`,
        );
        const ref = await buildResult(buildScripts.nodeImage, ['--ref']);
        await runText('docker', ['image', 'inspect', ref], { timeoutMs: 60_000 });
        const up = await clusterCommand(['up', '--name', name, '--node-image', ref, '--no-lb', '--kubeconfig', kubeconfig], env, 600_000);
        if (up.code !== 0) throw new Error(`cluster:up ${tail(up)}`);
        const used = `kind ${pinned}: ${join(bin, 'kind')} (from PATH)`;
        if (!up.stderr.includes(used)) throw new Error(`cluster:up did not say "${used}": ${tail(up)}`);
        const smoke = await clusterCommand(['smoke', '--name', name], env, 300_000);
        if (smoke.code !== 0) throw new Error(`smoke ${tail(smoke)}`);
        detail = `no go on PATH; ${used}; up ${up.seconds.toFixed(1)} s, smoke ${smoke.seconds.toFixed(1)} s; both pre-flight lines`;
      } finally {
        await clusterCommand(['down', '--name', name], env, 180_000);
        rmSync(dir, { recursive: true, force: true });
      }
      const left = (await runText('docker', ['ps', '-aq', '--filter', `label=io.x-k8s.kind.cluster=${name}`], { timeoutMs: 60_000 })).trim();
      if (left) throw new Error(`cluster:down left containers of ${name}: ${left}`);
      return detail;
    },
  };
}
