import { expect } from 'chai';
import { describeDeclaredAbsent, imagesToPrint, parseCli, partialReason } from './config.ts';
import { ConfigurationError } from '../lib/errors.ts';
import { DEFAULT_TIMEOUTS, loadTimeouts, parseDuration, timeoutEnvName } from './timeouts.ts';
import { formatDuration } from '../lib/log.ts';

const run = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
  const request = parseCli(argv, env);
  if (request.action !== 'run') throw new Error(`expected a run, got ${request.action}`);
  return request.config;
};

describe('config: command line and environment', function () {
  it('defaults to a full, non-strict run detecting the LB provider, with upstream image names', function () {
    const config = run([]);
    expect(partialReason(config)).to.equal(undefined);
    expect(config.strict).to.equal(false);
    expect(config.lbProvider).to.deep.equal({ kind: 'detect' });
    expect(config.absent).to.deep.equal([]);
    expect(config.offclusterImage).to.equal('registry.k8s.io/e2e-test-images/agnhost:2.56');
    expect(config.images.agnhost).to.equal('registry.k8s.io/e2e-test-images/agnhost:2.56');
    expect(config.images.busybox).to.equal('registry.k8s.io/e2e-test-images/busybox:1.37.0-1');
    expect(config.reportsDir).to.match(/reports$/);
  });

  it('marks --grep and --family runs PARTIAL', function () {
    expect(partialReason(run(['--grep', 'pod.']))).to.equal('selection --grep pod.');
    expect(partialReason(run(['--family', 'IPv6']))).to.equal('selection --family ipv6');
  });

  it('takes image overrides from flags before the environment', function () {
    expect(run([], { DSC_AGNHOST_IMAGE: 'mirror/agnhost:2.56' }).images.agnhost).to.equal('mirror/agnhost:2.56');
    expect(run(['--agnhost-image', 'flag/agnhost:1'], { DSC_AGNHOST_IMAGE: 'env/agnhost:1' }).images.agnhost).to.equal('flag/agnhost:1');
    const printed = parseCli(['--print-images', '--busybox-image', 'b:1'], {});
    expect(printed).to.deep.equal({
      action: 'print-images',
      images: { agnhost: 'registry.k8s.io/e2e-test-images/agnhost:2.56', busybox: 'b:1' },
      list: ['registry.k8s.io/e2e-test-images/agnhost:2.56', 'b:1'],
    });
  });

  it('prints the off-cluster client image too, each image once', function () {
    const images = { agnhost: 'registry.k8s.io/e2e-test-images/agnhost:2.56', busybox: 'docker.io/library/busybox:1.35.0' };
    // The default client image is agnhost itself: printed once.
    expect(imagesToPrint(images, images.agnhost)).to.deep.equal([images.agnhost, images.busybox]);
    expect(imagesToPrint(images, 'mirror.example/client:1')).to.deep.equal([images.agnhost, images.busybox, 'mirror.example/client:1']);
    const request = parseCli(['--print-images', '--offcluster-image', 'mirror.example/client:1'], { DSC_AGNHOST_IMAGE: 'mirror.example/agnhost:2.56' });
    expect(request).to.have.property('list').that.deep.equals(['mirror.example/agnhost:2.56', 'registry.k8s.io/e2e-test-images/busybox:1.37.0-1', 'mirror.example/client:1']);
  });

  it('--image-registry pulls every upstream e2e image from the mirror, nothing else', function () {
    const printed = (argv: string[], env: NodeJS.ProcessEnv = {}): readonly string[] => {
      const request = parseCli(['--print-images', ...argv], env);
      if (request.action !== 'print-images') throw new Error(`expected print-images, got ${request.action}`);
      return request.list;
    };
    expect(printed(['--image-registry', 'mirror.example:5000/e2e'])).to.deep.equal(['mirror.example:5000/e2e/agnhost:2.56', 'mirror.example:5000/e2e/busybox:1.37.0-1']);
    // The flag wins over the variable; an explicit image outside upstream's e2e registry stays as given.
    expect(printed(['--image-registry', 'm.example/e2e', '--offcluster-image', 'docker.io/library/alpine:3'], { DSC_IMAGE_REGISTRY: 'other.example' })).to.deep.equal([
      'm.example/e2e/agnhost:2.56',
      'm.example/e2e/busybox:1.37.0-1',
      'docker.io/library/alpine:3',
    ]);
    expect(printed([], { DSC_IMAGE_REGISTRY: '[fd00::1]:5000' })).to.deep.equal(['[fd00::1]:5000/agnhost:2.56', '[fd00::1]:5000/busybox:1.37.0-1']);
    expect(() => parseCli(['--image-registry', 'mirror.example/e2e:1.0'])).to.throw(ConfigurationError, /is not a registry prefix \(host\[:port\]\[\/path\]\)/);
    expect(() => parseCli(['--image-registry', 'mirror.example/e2e/'])).to.throw(ConfigurationError, /ends with "\/"/);
    expect(() => parseCli(['--image-registry', 'mirror example'])).to.throw(ConfigurationError, /contains a space/);
  });

  it('declares the LB provider absent or named', function () {
    expect(run(['--lb-provider=none']).lbProvider).to.deep.equal({ kind: 'none' });
    expect(run(['--lb-provider', 'metallb']).lbProvider).to.deep.equal({ kind: 'named', name: 'metallb' });
  });

  it('declares capabilities absent with --absent, comma-separated or repeated, in catalog order', function () {
    const config = run(['--strict', '--absent', 'offcluster-network,lb-provider']);
    expect(config.absent).to.deep.equal(['lb-provider', 'offcluster-network']);
    // lb-provider declared absent is what --lb-provider=none always meant: no detection.
    expect(config.lbProvider).to.deep.equal({ kind: 'none' });
    expect(run(['--absent', 'node-ipam', '--absent', ' Multiple-Nodes ']).absent).to.deep.equal(['node-ipam', 'multiple-nodes']);
    expect(run(['--absent', 'lb-provider,lb-provider']).absent).to.deep.equal(['lb-provider']);
    expect(run(['--absent', 'offcluster-network']).lbProvider).to.deep.equal({ kind: 'detect' });
  });

  it('takes DSC_ABSENT when --absent is not given (plain mocha, CI)', function () {
    expect(run([], { DSC_ABSENT: 'offcluster-network,lb-provider' }).absent).to.deep.equal(['lb-provider', 'offcluster-network']);
    expect(run(['--absent', 'node-ipam'], { DSC_ABSENT: 'lb-provider' }).absent).to.deep.equal(['node-ipam']);
    expect(() => parseCli([], { DSC_ABSENT: 'lb' })).to.throw(ConfigurationError, /^DSC_ABSENT lb: unknown capability/);
  });

  it('keeps --lb-provider=none as an alias of --absent lb-provider', function () {
    expect(run(['--lb-provider=none']).absent).to.deep.equal(['lb-provider']);
    expect(run(['--lb-provider=none', '--absent', 'lb-provider']).absent).to.deep.equal(['lb-provider']);
    expect(run(['--lb-provider', 'metallb']).absent).to.deep.equal([]);
  });

  it('refuses unknown capabilities, listing the valid ones, and contradictions', function () {
    const valid = 'capabilities: node-ipam, multiple-nodes, lb-provider, api-served, offcluster-network';
    expect(() => parseCli(['--absent', 'lb-provider,loadbalancer'], {})).to.throw(ConfigurationError, `--absent loadbalancer: unknown capability (${valid})`);
    expect(() => parseCli(['--absent', ''], {})).to.throw(ConfigurationError, `--absent needs capability names, comma-separated (${valid})`);
    expect(() => parseCli(['--absent', 'lb-provider,'], {})).to.throw(ConfigurationError, /--absent needs capability names/);
    expect(() => parseCli(['--lb-provider', 'metallb', '--absent', 'lb-provider'], {})).to.throw(
      ConfigurationError,
      '--lb-provider metallb contradicts --absent lb-provider',
    );
  });

  it('describes the declared-absent capabilities for the header', function () {
    expect(describeDeclaredAbsent(run([]))).to.equal('Declared absent: none');
    expect(describeDeclaredAbsent(run(['--absent', 'offcluster-network,lb-provider']))).to.equal(
      'Declared absent: lb-provider, offcluster-network (their checks are skipped without detection, also under --strict)',
    );
  });

  it('turns every bad input into a one-line ConfigurationError', function () {
    expect(() => parseCli(['--family', 'ipv5'], {})).to.throw(ConfigurationError, '--family ipv5: expected ipv4 or ipv6');
    expect(() => parseCli(['--no-such-flag'], {})).to.throw(ConfigurationError, /Unknown option '--no-such-flag'/);
    expect(() => parseCli(['--lb-provider', ' '], {})).to.throw(ConfigurationError, /needs a name/);
    expect(() => parseCli([], { DSC_TIMEOUT_POD_READY: 'soon' })).to.throw(ConfigurationError, 'DSC_TIMEOUT_POD_READY=soon is not a duration');
    expect(() => parseCli([], { DSC_TIMEOUT_POD_REDY: '5s' })).to.throw(ConfigurationError, /DSC_TIMEOUT_POD_REDY is not a known timeout/);
  });
});

describe('timeouts: one table, overridable by environment', function () {
  it('names each override variable after its entry', function () {
    expect(timeoutEnvName('podReady')).to.equal('DSC_TIMEOUT_POD_READY');
    expect(timeoutEnvName('namespaceDeletion')).to.equal('DSC_TIMEOUT_NAMESPACE_DELETION');
  });

  it('parses durations with units, bare seconds, and refuses nonsense', function () {
    expect(parseDuration('60s')).to.equal(60_000);
    expect(parseDuration('2m')).to.equal(120_000);
    expect(parseDuration('1500ms')).to.equal(1_500);
    expect(parseDuration('1.5s')).to.equal(1_500);
    expect(parseDuration('45')).to.equal(45_000);
    for (const bad of ['', 's', '-1s', '0', '5 minutes', '1e3']) expect(parseDuration(bad), bad).to.equal(undefined);
  });

  it('applies overrides and keeps the defaults otherwise', function () {
    const timeouts = loadTimeouts({ DSC_TIMEOUT_POD_READY: '60s' });
    expect(timeouts.podReady).to.equal(60_000);
    expect(timeouts.dns).to.equal(DEFAULT_TIMEOUTS.dns);
  });

  it('formats durations for messages', function () {
    expect(formatDuration(500)).to.equal('500ms');
    expect(formatDuration(30_000)).to.equal('30s');
    expect(formatDuration(90_000)).to.equal('1m30s');
  });
});
