import { expect } from 'chai';
import { parseCli, partialReason } from '../support/config.ts';
import { ConfigurationError } from '../support/errors.ts';
import { DEFAULT_TIMEOUTS, formatDuration, loadTimeouts, parseDuration, timeoutEnvName } from '../support/timeouts.ts';

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
    expect(config.images.agnhost).to.equal('registry.k8s.io/e2e-test-images/agnhost:2.56');
    expect(config.images.busybox).to.equal('docker.io/library/busybox:1.35.0');
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
    expect(printed).to.deep.equal({ action: 'print-images', images: { agnhost: 'registry.k8s.io/e2e-test-images/agnhost:2.56', busybox: 'b:1' } });
  });

  it('declares the LB provider absent or named', function () {
    expect(run(['--lb-provider=none']).lbProvider).to.deep.equal({ kind: 'none' });
    expect(run(['--lb-provider', 'metallb']).lbProvider).to.deep.equal({ kind: 'named', name: 'metallb' });
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
