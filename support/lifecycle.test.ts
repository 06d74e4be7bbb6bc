import { expect } from 'chai';
import { dualStackLabel, mochaGrep, testBackstopMs } from './lifecycle.ts';
import { selectionFromEnvironment } from './run.ts';

describe('plain mocha: configuration from the environment and mocha\'s own grep', function () {
  it('reads the DSC_* variables the CLI honours', function () {
    const selection = selectionFromEnvironment({ DSC_AGNHOST_IMAGE: 'mirror.example/agnhost:2.56', DSC_TIMEOUT_POD_READY: '3m' });
    expect(selection.error).to.equal(undefined);
    expect(selection.config.images.agnhost).to.equal('mirror.example/agnhost:2.56');
    expect(selection.config.timeouts.podReady).to.equal(180_000);
  });

  it('keeps a configuration error for the root hook and registers with defaults meanwhile', function () {
    const selection = selectionFromEnvironment({ DSC_TIMEOUT_POD_READY: 'soon' });
    expect(selection.error?.name).to.equal('ConfigurationError');
    expect(selection.error?.message).to.contain('DSC_TIMEOUT_POD_READY=soon');
    expect(selection.config.family).to.equal(undefined);
  });

  it("takes --grep as mocha does (a regular expression), --fgrep as text, and --invert", function () {
    const title = 'Nodes: every node is addressed in both families [node.podcidr.first] spec.podCIDR is first';
    expect(mochaGrep(['--grep', 'node.'])?.text).to.equal('node.');
    expect(mochaGrep(['--grep', 'node.'])?.matches(title)).to.equal(true);
    expect(mochaGrep(['--grep', '/^NODES/i'])?.matches(title)).to.equal(true);
    expect(mochaGrep(['--fgrep', 'node.'])?.matches('nodes')).to.equal(false);
    expect(mochaGrep(['--grep', 'node.', '--invert'])?.matches(title)).to.equal(false);
    expect(mochaGrep(['--reporter', 'dot'])).to.equal(undefined);
  });

  it('raises the per-check backstop with the timeouts table', function () {
    const { config } = selectionFromEnvironment({});
    const raised = selectionFromEnvironment({ DSC_TIMEOUT_POD_READY: '10m' }).config;
    expect(testBackstopMs(config)).to.equal(300_000);
    expect(testBackstopMs(raised)).to.equal(1_260_000);
  });
});

describe('lifecycle: the header names a broken dual-stack cluster as such', function () {
  it('says dual-stack, broken on some nodes, when a family is missing only on some nodes', function () {
    expect(dualStackLabel(true, [])).to.equal(' (dual-stack)');
    expect(
      dualStackLabel(false, ['IPv6 missing on part of the cluster (its service ranges and other nodes have it): node w has no IPv6 InternalIP [172.18.0.5]']),
    ).to.equal(' (dual-stack, broken on some nodes: see below)');
    expect(dualStackLabel(false, ['cluster has no IPv6: service ranges from ServiceCIDR kubernetes: IPv4 only'])).to.equal(' (NOT dual-stack)');
  });
});
