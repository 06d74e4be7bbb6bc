// Cases for the clusters and machines users have (issue 10), run by selftest on the dual-stack (IPv4 primary)
// cluster: a machine that never built our images, a cloud-style gate that declares what its cluster lacks, and the
// specs run by plain mocha from a fresh clone.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../lib/paths.ts';
import { runSyncText } from '../lib/process.ts';
import { snapshot } from './leaks.ts';
import { cleanEnv, describeRun, execText, expectCode, nothingLeaked, oneLineLeavingNothing, runSuite, withTempDir, type RobustnessCase } from './robustness-harness.ts';

/** Where our images are parked while a case pretends the machine never built them. */
const HIDDEN_REPOSITORY_PREFIX = 'dsc-hidden/';
const OUR_REPOSITORY_PREFIX = 'dualstack-conformance/';

function docker(args: readonly string[]): string {
  return runSyncText('docker', args, { timeoutMs: 60_000 });
}

/** "repo:tag" of every local image whose repository starts with the prefix (dangling ones have no name to restore). */
function imagesWithPrefix(prefix: string): string[] {
  return docker(['images', '--format', '{{.Repository}}:{{.Tag}}'])
    .split('\n')
    .map((text) => text.trim())
    .filter((ref) => ref.startsWith(prefix) && !ref.endsWith(':<none>'));
}

/** dualstack-conformance/node-base:abc <-> dsc-hidden/dualstack-conformance__node-base:abc (reversible, one repo level). */
function hiddenName(ref: string): string {
  return `${HIDDEN_REPOSITORY_PREFIX}${ref.replace('/', '__')}`;
}

function originalName(hidden: string): string {
  return hidden.slice(HIDDEN_REPOSITORY_PREFIX.length).replace('__', '/');
}

/**
 * Puts back every image a case parked (also after a selftest that was killed mid-case, so a later `cluster:up` does
 * not rebuild the node image). Returns the restored names.
 */
export function restoreHiddenImages(): string[] {
  const restored: string[] = [];
  for (const hidden of imagesWithPrefix(HIDDEN_REPOSITORY_PREFIX)) {
    const original = originalName(hidden);
    docker(['tag', hidden, original]);
    docker(['rmi', hidden]);
    restored.push(original);
  }
  return restored;
}

/** Re-tags every dualstack-conformance/* image away (running node containers keep their image by id). */
function hideOurImages(): string[] {
  const ours = imagesWithPrefix(OUR_REPOSITORY_PREFIX);
  for (const ref of ours) {
    docker(['tag', ref, hiddenName(ref)]);
    docker(['rmi', ref]);
  }
  return ours;
}

interface Summary {
  verdict: string;
  counts: { total: number; passed: number; failed: number; skipped: number; notRun: number };
  checks: { id: string; verdict: string; reason?: string }[];
  declaredAbsent?: string[];
}

function readSummary(reports: string): Summary {
  const file = join(reports, 'summary.json');
  if (!existsSync(file)) throw new Error(`no ${file}`);
  return JSON.parse(readFileSync(file, 'utf8')) as Summary;
}

function everyCheckPassed(summary: Summary): string {
  const counts = summary.counts;
  const other = summary.checks.filter((result) => result.verdict !== 'passed');
  if (other.length > 0 || counts.passed !== counts.total) {
    throw new Error(`not every check passed: ${other.map((result) => `${result.id}=${result.verdict} (${result.reason ?? ''})`).join('; ')}`);
  }
  return `${counts.passed}/${counts.total} passed`;
}

export function userClusterCases(target: { readonly kubeconfig: string }): RobustnessCase[] {
  const { kubeconfig } = target;
  const env = { KUBECONFIG: kubeconfig };
  return [
    {
      name: 'a machine without our images: no dualstack-conformance/* image in docker, every check passes (--strict)',
      fn: () =>
        withTempDir('no-images', async (reports) => {
          const before = await snapshot(kubeconfig);
          const hidden = hideOurImages();
          if (hidden.length === 0) throw new Error('no dualstack-conformance/* image to hide: the case would prove nothing');
          try {
            const left = imagesWithPrefix(OUR_REPOSITORY_PREFIX);
            if (left.length > 0) throw new Error(`still present after hiding: ${left.join(', ')}`);
            const r = await runSuite({ args: ['--strict', '--reports-dir', reports], env, timeoutMs: 300_000 });
            expectCode(r, 0);
            const passed = everyCheckPassed(readSummary(reports));
            const client = r.stdout.split('\n').find((text) => text.startsWith('Off-cluster client')) ?? '';
            return `${hidden.length} image(s) hidden (${hidden.join(', ')}); ${passed}; ${client}`;
          } finally {
            restoreHiddenImages();
            await nothingLeaked(kubeconfig, before);
          }
        }),
    },
    {
      name: 'a cloud gate: --strict --absent offcluster-network,lb-provider passes and summary.json declares both',
      fn: () =>
        withTempDir('absent', async (reports) => {
          const before = await snapshot(kubeconfig);
          const r = await runSuite({ args: ['--strict', '--absent', 'offcluster-network,lb-provider', '--reports-dir', reports], env, timeoutMs: 300_000 });
          expectCode(r, 0);
          await nothingLeaked(kubeconfig, before);
          const summary = readSummary(reports);
          const declared = [...(summary.declaredAbsent ?? [])].sort();
          if (declared.join(',') !== 'lb-provider,offcluster-network') {
            throw new Error(`summary.json declaredAbsent=${JSON.stringify(summary.declaredAbsent)}; expected lb-provider and offcluster-network`);
          }
          const skipped = summary.checks.filter((result) => result.verdict === 'skipped');
          const wrong = skipped.filter((result) => !result.id.startsWith('offcluster.') && !result.id.startsWith('lb.'));
          if (wrong.length > 0) throw new Error(`skipped beyond the declared capabilities: ${wrong.map((result) => result.id).join(', ')}`);
          if (!skipped.some((result) => result.id.startsWith('offcluster.')) || !skipped.some((result) => result.id.startsWith('lb.'))) {
            throw new Error(`the declared capabilities skipped nothing: ${describeRun(r)}`);
          }
          const header = r.stdout.split('\n').find((text) => /declared absent/i.test(text));
          if (!header) throw new Error(`the header does not show what was declared absent; ${describeRun(r)}`);
          return `${summary.counts.passed} passed, ${skipped.length} skipped as declared (${skipped.map((result) => result.id).join(', ')}); header: ${header.trim()}`;
        }),
    },
    {
      name: 'bad input: an off-cluster client image that cannot be had (--offcluster-image registry.invalid/none:1)',
      fn: () =>
        oneLineLeavingNothing(kubeconfig, ['--offcluster-image', 'registry.invalid/none:1'], env, [
          'registry.invalid/none:1',
          '--offcluster-image',
          '--absent offcluster-network',
        ]),
    },
    {
      name: 'plain mocha from a fresh clone: npx mocha --grep node. runs the node checks against KUBECONFIG',
      fn: () =>
        withTempDir('mocha', async (dir) => {
          const before = await snapshot(kubeconfig);
          const clone = join(dir, 'clone');
          await execText('git', ['clone', '--quiet', PROJECT_ROOT, clone], { timeoutMs: 120_000 });
          // The npm cache is warm on this machine: a fresh install from the lockfile, without the network if possible.
          const started = Date.now();
          await execText('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: clone, timeoutMs: 300_000 });
          const installSeconds = (Date.now() - started) / 1000;
          const childEnv = cleanEnv({ KUBECONFIG: kubeconfig });
          // mocha's --grep is a regular expression: `node.` also selects titles that mention a node; every one must pass.
          const out = await execText('npx', ['mocha', '--grep', 'node.', '--reporter', 'spec'], { cwd: clone, env: childEnv, timeoutMs: 300_000 });
          const passing = /(\d+) passing/.exec(out)?.[1];
          const failing = /(\d+) failing/.exec(out)?.[1];
          const titles = ['[node.podcidrs.families]', '[node.podcidr.first]', '[node.internalip.families]'];
          const missing = titles.filter((title) => !out.includes(title));
          if (missing.length > 0 || failing !== undefined || passing === undefined) {
            throw new Error(`expected the node checks passing; missing ${missing.join(', ') || 'none'}, ${failing ?? 0} failing: ${out.trim().split('\n').slice(-8).join(' | ')}`);
          }
          await nothingLeaked(kubeconfig, before);
          return `npm ci ${installSeconds.toFixed(0)} s; ${passing} passing (${titles.join(', ')}); nothing left`;
        }),
    },
  ];
}
