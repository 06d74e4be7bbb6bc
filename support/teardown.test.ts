import { expect } from 'chai';
import { CleanupRegistry } from './cleanup.ts';
import { parseCrashInjection } from './crash-injection.ts';
import { ConfigurationError } from '../lib/errors.ts';
import { kubectlArgsReaching } from './lifecycle.ts';
import { leftoverCommand, leftoverLines, leftoverSummary, shellQuote } from './teardown.ts';

const target = { runId: 'mz0jtla7', kubectlArgs: [] };

describe('teardown: what a run leaves behind and the command removing it', function () {
  it('removes the namespaces by run label; the off-cluster containers only when one is left', function () {
    expect(leftoverCommand(target, new Set(['cluster']))).to.equal('kubectl delete namespace -l dualstack-conformance/run-id=mz0jtla7');
    expect(leftoverCommand(target, new Set(['docker']))).to.equal(
      'docker ps -aq --filter label=dualstack-conformance/run-id=mz0jtla7 | xargs -r docker rm -f -v',
    );
    expect(leftoverCommand(target, new Set(['cluster', 'docker']))).to.equal(
      'kubectl delete namespace -l dualstack-conformance/run-id=mz0jtla7; ' +
        'docker ps -aq --filter label=dualstack-conformance/run-id=mz0jtla7 | xargs -r docker rm -f -v',
    );
  });

  it('reaches the run’s cluster: the kubeconfig of the embedded cluster, a context given with --context, quoted', function () {
    const command = leftoverCommand({ runId: 'ab', kubectlArgs: ['--kubeconfig', '/home/me/.cache/dualstack-conformance/kubeconfig-dualstack', '--context', "o'brien lab"] }, new Set(['cluster']));
    expect(command).to.equal(
      `kubectl --kubeconfig /home/me/.cache/dualstack-conformance/kubeconfig-dualstack --context 'o'\\''brien lab' delete namespace -l dualstack-conformance/run-id=ab`,
    );
    expect(shellQuote('kind-dualstack')).to.equal('kind-dualstack');
    expect(shellQuote('a b')).to.equal("'a b'");
    expect(shellQuote('$(rm -rf /)')).to.equal("'$(rm -rf /)'");
  });

  it('adds --kubeconfig only when the run did not use the environment’s kubeconfig, --context only when given', function () {
    const env = { KUBECONFIG: '/tmp/a:/tmp/b' };
    expect(kubectlArgsReaching(['/tmp/a', '/tmp/b'], undefined, env)).to.deep.equal([]);
    expect(kubectlArgsReaching(['/tmp/a', '/tmp/b'], 'kind-dualstack', env)).to.deep.equal(['--context', 'kind-dualstack']);
    expect(kubectlArgsReaching(['/cache/kubeconfig-dualstack'], undefined, env)).to.deep.equal(['--kubeconfig', '/cache/kubeconfig-dualstack']);
  });

  it('prints what is left with its state, then the command; nothing when nothing is left', function () {
    expect(leftoverLines([], target)).to.deep.equal([]);
    const left = [
      { description: 'delete namespaces dsc-mz0jtla7 and dsc-mz0jtla7-host', place: 'cluster', state: 'running' },
      { description: 'off-cluster client container dsc-offcluster-mz0jtla7', place: 'docker', state: 'not started' },
    ] as const;
    // Reports carry the same without the tool's prefix; with no run id yet, there is no command.
    expect(leftoverSummary(left, undefined)).to.deep.equal([
      'left behind: delete namespaces dsc-mz0jtla7 and dsc-mz0jtla7-host (running); off-cluster client container dsc-offcluster-mz0jtla7 (not started)',
    ]);
    const lines = leftoverLines(left, target);
    expect(lines).to.deep.equal([
      'dualstack-conformance: left behind: delete namespaces dsc-mz0jtla7 and dsc-mz0jtla7-host (running); off-cluster client container dsc-offcluster-mz0jtla7 (not started)',
      'dualstack-conformance: remove it with: kubectl delete namespace -l dualstack-conformance/run-id=mz0jtla7; ' +
        'docker ps -aq --filter label=dualstack-conformance/run-id=mz0jtla7 | xargs -r docker rm -f -v',
    ]);
  });
});

describe('cleanup registry: what is still pending, and a deadline', function () {
  it('says which actions failed, which one runs, which have not started', async function () {
    const registry = new CleanupRegistry();
    let release: () => void = () => undefined;
    registry.register('delete namespaces a and a-host', () => new Promise<void>((resolve) => (release = resolve)));
    registry.register('label pods', async () => {
      throw new Error('HTTP 500: etcdserver: request timed out');
    });
    registry.register('off-cluster client container dsc-offcluster-a', async () => undefined, 'docker');
    expect(registry.leftovers().map((left) => `${left.description}: ${left.state}`)).to.deep.equal([
      'off-cluster client container dsc-offcluster-a: not started',
      'label pods: not started',
      'delete namespaces a and a-host: not started',
    ]);
    const result = await registry.runWithin(50);
    expect(result).to.deep.equal({ failures: ['label pods: HTTP 500: etcdserver: request timed out'], finished: false });
    expect(registry.leftovers()).to.deep.equal([
      { description: 'label pods', place: 'cluster', state: 'failed' },
      { description: 'delete namespaces a and a-host', place: 'cluster', state: 'running' },
    ]);
    release();
    expect(await registry.runWithin(1_000)).to.deep.equal({ failures: ['label pods: HTTP 500: etcdserver: request timed out'], finished: true });
    expect(registry.leftovers().map((left) => left.state)).to.deep.equal(['failed']);
  });

  it('a cleanup within its deadline leaves nothing and stops its timer', async function () {
    const registry = new CleanupRegistry();
    registry.register('delete namespaces b and b-host', async () => undefined);
    const started = Date.now();
    expect(await registry.runWithin(60_000)).to.deep.equal({ failures: [], finished: true });
    expect(Date.now() - started).to.be.lessThan(1_000);
    expect(registry.leftovers()).to.deep.equal([]);
  });
});

describe('crash: the test hook', function () {
  it('reads DSC_INJECT_CRASH=<phase>[:exception|:rejection] and refuses anything else', function () {
    expect(parseCrashInjection(undefined)).to.equal(undefined);
    expect(parseCrashInjection('')).to.equal(undefined);
    expect(parseCrashInjection('exec')).to.deep.equal({ phase: 'exec', kind: 'exception' });
    expect(parseCrashInjection('wait:rejection')).to.deep.equal({ phase: 'wait', kind: 'rejection' });
    expect(() => parseCrashInjection('exce')).to.throw(ConfigurationError, 'DSC_INJECT_CRASH=exce is not <phase>');
    expect(() => parseCrashInjection('exec:segfault')).to.throw(ConfigurationError, /phases: preflight, cluster-up/);
    expect(() => parseCrashInjection('done')).to.throw(ConfigurationError);
  });
});
