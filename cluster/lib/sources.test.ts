import { expect } from 'chai';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { metallbSource, upstreamCrdFiles } from './metallb.ts';
import { chooseKind, chooseNodeImage, isOfflineImage, offlineImageStep, onPath, parseKindVersion, type KindFacts } from './sources.ts';

const pinned = 'v0.30.0';
const cached = { file: '/cache/bin/kind-v0.30.0/kind', exists: false };
const facts = (over: Partial<KindFacts>): KindFacts => ({ pinned, cached, go: false, ...over });
const offlineRef = 'dualstack-conformance/node:v1.34.4-0123456789ab';

describe('cluster sources: which kind', function () {
  it('reads the version kind reports, pre-release suffix included', function () {
    expect(parseKindVersion('kind v0.30.0 go1.24.6 linux/amd64\n')).to.equal('v0.30.0');
    expect(parseKindVersion('kind v0.31.0-alpha.1+abc go1.25 linux/amd64')).to.equal('v0.31.0-alpha.1+abc');
    expect(parseKindVersion('')).to.equal(undefined);
  });

  it('uses kind from PATH when it is the pinned version, even with Go and a cached build at hand', function () {
    const choice = chooseKind(facts({ path: { file: '/usr/local/bin/kind', version: pinned }, cached: { ...cached, exists: true }, go: true }));
    expect(choice).to.deep.equal({ action: 'use', file: '/usr/local/bin/kind', from: 'PATH' });
  });

  it('reports another version on PATH and falls back to the cached build, then to a Go build', function () {
    const path = { file: '/usr/bin/kind', version: 'v0.29.0' };
    const fromCache = chooseKind(facts({ path, cached: { ...cached, exists: true } }));
    expect(fromCache).to.deep.include({ action: 'use', file: cached.file, from: 'cache' });
    expect(fromCache.action === 'use' && fromCache.note).to.equal('/usr/bin/kind is kind v0.29.0, not the pinned v0.30.0: not used');
    expect(chooseKind(facts({ path, go: true }))).to.deep.include({ action: 'build', file: cached.file });
    expect(chooseKind(facts({ go: true }))).to.deep.equal({ action: 'build', file: cached.file, note: undefined });
  });

  it('without Go and without a usable kind, says in one line what to install', function () {
    const none = chooseKind(facts({}));
    expect(none.action).to.equal('missing');
    const message = none.action === 'missing' ? none.message : '';
    expect(message).to.contain('`go install sigs.k8s.io/kind@v0.30.0`');
    expect(message).to.contain('https://github.com/kubernetes-sigs/kind/releases/tag/v0.30.0');
    expect(message).not.to.contain('\n');
    const other = chooseKind(facts({ path: { file: '/usr/bin/kind', version: undefined } }));
    expect(other.action === 'missing' && other.message).to.contain('/usr/bin/kind is kind (no version reported), not the pinned v0.30.0');
  });

  it('finds executables on PATH like `command -v`, skipping plain files and directories', function () {
    const dir = mkdtempSync(join(tmpdir(), 'dsc-onpath-'));
    try {
      mkdirSync(join(dir, 'a', 'kind'), { recursive: true });
      mkdirSync(join(dir, 'b'));
      writeFileSync(join(dir, 'b', 'kind'), '');
      mkdirSync(join(dir, 'c'));
      writeFileSync(join(dir, 'c', 'kind'), '#!/bin/sh\n');
      chmodSync(join(dir, 'c', 'kind'), 0o755);
      const path = ['', join(dir, 'a'), join(dir, 'b'), join(dir, 'c')].join(':');
      expect(onPath('kind', path)).to.equal(join(dir, 'c', 'kind'));
      expect(onPath('go', path)).to.equal(undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('cluster sources: which node image', function () {
  it("uses kind's own default image with no marker and no --node-image", function () {
    expect(chooseNodeImage(undefined, undefined)).to.deep.equal({ source: 'kind-default' });
    expect(chooseNodeImage('', '  \n')).to.deep.equal({ source: 'kind-default' });
  });

  it('uses the offline image on a prepared host (marker) or with --node-image offline; a reference as given, over the marker', function () {
    expect(chooseNodeImage(undefined, 'offline\n')).to.deep.equal({ source: 'offline' });
    expect(chooseNodeImage('offline', undefined)).to.deep.equal({ source: 'offline' });
    expect(chooseNodeImage('kindest/node:v1.34.0', 'offline\n')).to.deep.equal({ source: 'ref', ref: 'kindest/node:v1.34.0' });
  });

  it('needs Go only when the offline image must be built', function () {
    expect(offlineImageStep(true, false, false)).to.equal('cached');
    expect(offlineImageStep(false, false, false)).to.equal('needs-go');
    expect(offlineImageStep(true, true, false)).to.equal('needs-go');
    expect(offlineImageStep(false, false, true)).to.equal('build');
  });

  it('recognises our offline images by repository', function () {
    expect(isOfflineImage(offlineRef)).to.equal(true);
    expect(isOfflineImage('dualstack-conformance/node-base:bookworm-1')).to.equal(false);
    expect(isOfflineImage('kindest/node:v1.34.0')).to.equal(false);
    expect(isOfflineImage(undefined)).to.equal(false);
  });
});

describe('cluster sources: which MetalLB', function () {
  it("installs upstream's published manifest of the pinned version on kind's default image or a user's image", function () {
    const upstream = { from: 'upstream', manifest: 'https://raw.githubusercontent.com/metallb/metallb/v0.15.2/config/manifests/metallb-native.yaml' };
    expect(metallbSource(true, undefined, 'v0.15.2')).to.deep.equal(upstream);
    expect(metallbSource(true, 'registry.example/kind-node:v1.34.0', 'v0.15.2')).to.deep.equal(upstream);
  });

  it('installs our build on the offline image, and nothing with --no-lb', function () {
    expect(metallbSource(true, offlineRef, 'v0.15.2')).to.deep.equal({ from: 'offline' });
    expect(metallbSource(false, undefined, 'v0.15.2')).to.deep.equal({ from: 'none' });
    expect(metallbSource(false, offlineRef, 'v0.15.2')).to.deep.equal({ from: 'none' });
  });

  it("reads the offline build's CRDs from the Go module cache without Go, and names --no-lb when they are absent", function () {
    const saved = { PATH: process.env.PATH, GOMODCACHE: process.env.GOMODCACHE };
    const cache = mkdtempSync(join(tmpdir(), 'dsc-gomodcache-'));
    try {
      process.env.PATH = '';
      process.env.GOMODCACHE = cache;
      expect(() => upstreamCrdFiles('v9.9.9')).to.throw(/no Go on PATH: install Go, or use --no-lb/);
      const bases = join(cache, 'go.universe.tf', 'metallb@v9.9.9', 'config', 'crd', 'bases');
      mkdirSync(bases, { recursive: true });
      for (const f of ['metallb.io_l2advertisements.yaml', 'metallb.io_ipaddresspools.yaml', 'kustomization.txt']) writeFileSync(join(bases, f), '');
      expect(upstreamCrdFiles('v9.9.9')).to.deep.equal([join(bases, 'metallb.io_ipaddresspools.yaml'), join(bases, 'metallb.io_l2advertisements.yaml')]);
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
      rmSync(cache, { recursive: true, force: true });
    }
  });
});
