// --image-registry against a stand-in mirror: the cluster's nodes and this host's docker get upstream's e2e images also
// under a mirror's name (tags in each node's containerd and in docker, removed after); the upstream names are hidden
// from nothing; before the tags exist a run must stop on the mirror's names, after it must pass on them (pods and the
// off-cluster client alike).
import { join } from 'node:path';
import { IMAGE_SETTINGS } from '../support/config.ts';
import { mirroredImage } from '../support/image-ref.ts';
import { describeRun, execText, expectCode, runSuite, withTempDir, type RobustnessCase, type RobustnessTarget } from './robustness-harness.ts';

/** A registry name that resolves nowhere: an image on it can only come from the tags this case makes. */
const MIRROR = 'mirror.invalid:5000/e2e';

function docker(args: readonly string[]): Promise<string> {
  return execText('docker', args, { timeoutMs: 60_000 });
}

async function nodeContainers(clusterName: string): Promise<string[]> {
  const out = await docker(['ps', '--filter', `label=io.x-k8s.kind.cluster=${clusterName}`, '--format', '{{.Names}}']);
  return out.split('\n').map((name) => name.trim()).filter(Boolean);
}

/** Runs `ctr` in a node's containerd namespace of Kubernetes images. */
function ctr(node: string, args: readonly string[]): Promise<string> {
  return docker(['exec', node, 'ctr', '--namespace', 'k8s.io', ...args]);
}

export function mirrorCases(target: RobustnessTarget): RobustnessCase[] {
  return [
    {
      name: '--image-registry: pods and the off-cluster client run from the mirror\u2019s names and the run passes',
      fn: () =>
        withTempDir('mirror', async (dir) => {
          const upstream = [IMAGE_SETTINGS.agnhost.default, IMAGE_SETTINGS.busybox.default];
          const mirrored = upstream.map((image) => mirroredImage(image, MIRROR));
          const nodes = await nodeContainers(target.clusterName);
          if (nodes.length === 0) throw new Error(`no node containers of kind cluster ${target.clusterName}`);
          // Without the tags the mirror's names cannot be pulled: the run must stop saying so, which proves the pods
          // ask for the mirror's names (the upstream ones are present and would pass).
          const refused = await runSuite({
            args: ['--image-registry', MIRROR, '--grep', 'pod.podips.families', '--reports-dir', join(dir, 'refused')],
            env: { KUBECONFIG: target.kubeconfig },
            timeoutMs: 180_000,
          });
          expectCode(refused, 2);
          if (!refused.stderr.includes(`image ${MIRROR}/`)) throw new Error(`the refusal does not name a mirror image; ${describeRun(refused)}`);
          try {
            for (const node of nodes) for (const [index, image] of upstream.entries()) await ctr(node, ['images', 'tag', '--force', image, mirrored[index] as string]);
            await docker(['tag', IMAGE_SETTINGS.agnhost.default, mirroredImage(IMAGE_SETTINGS.agnhost.default, MIRROR)]);
            const r = await runSuite({
              args: ['--strict', '--image-registry', MIRROR, '--reports-dir', join(dir, 'reports')],
              env: { KUBECONFIG: target.kubeconfig },
              timeoutMs: 240_000,
            });
            expectCode(r, 0);
            const header = r.stdout.split('\n').find((text) => text.includes(MIRROR)) ?? '';
            if (!header) throw new Error(`the run never named the mirror; ${describeRun(r)}`);
            const verdict = r.stdout.split('\n').find((text) => /^(PARTIAL )?PASSED/.test(text)) ?? '';
            const pullLine = refused.stderr.split('\n').find((text) => text.includes('cannot be pulled')) ?? '';
            return `untagged: exit 2 (${pullLine.replace(/^dualstack-conformance: /, '').slice(0, 90)}...); tagged ${mirrored.join(', ')} on ${nodes.length} nodes: ${verdict}`;
          } finally {
            for (const node of nodes) await ctr(node, ['images', 'rm', ...mirrored]).catch(() => '');
            await docker(['rmi', mirroredImage(IMAGE_SETTINGS.agnhost.default, MIRROR)]).catch(() => '');
          }
        }),
    },
  ];
}

