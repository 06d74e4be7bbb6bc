import { expect } from 'chai';
import { parseDockerSize, planPrune, type PruneFacts } from './prune.ts';

const now = 1_000_000_000_000;
const facts = (over: Partial<PruneFacts>): PruneFacts => ({
  images: [],
  usedImageIds: new Set(),
  currentRefs: ['dualstack-conformance/node:v1.34.4-new', 'dualstack-conformance/node-base:bookworm-new'],
  bin: [],
  currentBin: ['kind-v0.30.0', 'kubernetes-v1.34.4'],
  rootfs: [],
  currentRootfs: ['bookworm-new.tar'],
  now,
  alive: (pid) => pid === 1,
  ...over,
});

describe('cluster:prune: what goes', function () {
  it('removes project images that are neither current nor used by a container', function () {
    const plan = planPrune(
      facts({
        images: [
          { ref: 'dualstack-conformance/node:v1.34.4-new', id: 'sha256:a', uniqueBytes: 1 },
          { ref: 'dualstack-conformance/node:v1.34.4-old', id: 'sha256:b', uniqueBytes: 2 },
          { ref: 'dualstack-conformance/node:v1.34.4-other', id: 'sha256:c', uniqueBytes: 3 },
          { ref: 'dualstack-conformance/node-base:bookworm-old', id: 'sha256:d', uniqueBytes: 0 },
        ],
        usedImageIds: new Set(['sha256:c']),
      }),
    );
    expect(plan.images.map((i) => i.ref)).to.deep.equal(['dualstack-conformance/node:v1.34.4-old', 'dualstack-conformance/node-base:bookworm-old']);
    expect(plan.keptImages).to.deep.equal([
      { ref: 'dualstack-conformance/node:v1.34.4-new', why: 'current' },
      { ref: 'dualstack-conformance/node:v1.34.4-other', why: 'used by a container' },
    ]);
  });

  it('removes cache entries of versions no longer pinned and leftovers of dead builds, never a running build\'s', function () {
    const entry = (name: string, ageMs = 0) => ({ name, mtimeMs: now - ageMs });
    const plan = planPrune(
      facts({
        bin: [
          entry('kind-v0.30.0'),
          entry('kind-v0.29.0'),
          entry('kubernetes-v1.34.4.tmp.1'), // pid 1 is building
          entry('kubernetes-v1.34.4.tmp.77'),
          entry('kubernetes-v1.34.4.old.78'),
        ],
        rootfs: [entry('bookworm-new.tar'), entry('bookworm-old.tar'), entry('bookworm-new.tar.tmp', 60_000), entry('bookworm-x.tar.tmp', 7_200_000)],
      }),
    );
    expect(plan.bin).to.deep.equal(['kind-v0.29.0', 'kubernetes-v1.34.4.tmp.77', 'kubernetes-v1.34.4.old.78']);
    expect(plan.rootfs).to.deep.equal(['bookworm-old.tar', 'bookworm-x.tar.tmp']);
  });

  it('reads docker\'s sizes (decimal units)', function () {
    const sizes: [text: string, bytes: number][] = [['982.4MB', 982_400_000], ['1.3GB', 1_300_000_000], ['12kB', 12_000], ['0B', 0], ['n/a', 0]];
    for (const [text, bytes] of sizes) expect(parseDockerSize(text), text).to.equal(bytes);
  });
});
