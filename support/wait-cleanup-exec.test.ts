import { expect } from 'chai';
import { CleanupRegistry } from './cleanup.ts';
import { ConfigurationError, TimeoutError } from '../lib/errors.ts';
import { exitCodeFromStatus, summarizeExec } from './exec.ts';
import { settle, waitFor } from '../lib/wait.ts';
import { timeoutEnvName } from './timeouts.ts';

describe('wait: the one waiter', function () {
  it('returns the first observation that is done', async function () {
    let count = 0;
    const value = await waitFor({
      what: 'a counter to reach 3',
      timeoutMs: 5_000,
      observe: async () => ++count,
      isDone: (n) => n >= 3,
      describe: (n) => `count=${n}`,
      firstIntervalMs: 1,
    });
    expect(value).to.equal(3);
  });

  it('times out with the last observed state and the override variable in the message', async function () {
    let error: unknown;
    try {
      await waitFor({
        what: 'backend-b to be Ready',
        timeoutMs: 50,
        raise: timeoutEnvName('podReady'),
        observe: async () => 'Pending (Unschedulable: 0/2 nodes available)',
        isDone: () => false,
        describe: (state) => `backend-b ${state}`,
        firstIntervalMs: 5,
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).to.be.instanceOf(TimeoutError);
    expect((error as Error).message).to.match(
      /^timed out after 50ms \(DSC_TIMEOUT_POD_READY\) waiting for backend-b to be Ready; \d+ observation\(s\), last observed: backend-b Pending \(Unschedulable: 0\/2 nodes available\)$/,
    );
  });

  it('records an observation error as the state and keeps waiting', async function () {
    let count = 0;
    const value = await waitFor({
      what: 'x',
      timeoutMs: 5_000,
      observe: async () => {
        count += 1;
        if (count < 2) throw new Error('connection reset');
        return count;
      },
      isDone: () => true,
      describe: String,
      firstIntervalMs: 1,
    });
    expect(value).to.equal(2);
  });

  it('stops at once on a fatal state', async function () {
    const started = Date.now();
    let error: unknown;
    try {
      await waitFor({
        what: 'pods',
        timeoutMs: 10_000,
        observe: async () => 'ErrImagePull',
        isDone: () => false,
        describe: String,
        fatal: (state) => (state === 'ErrImagePull' ? new ConfigurationError('image x cannot be pulled') : undefined),
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).to.be.instanceOf(ConfigurationError);
    expect(Date.now() - started).to.be.lessThan(1_000);
  });

  it('settle returns the last problems instead of throwing', async function () {
    const result = await settle({
      what: 'slices',
      timeoutMs: 30,
      raise: timeoutEnvName('endpointSlices'),
      observe: async () => ['s1'],
      judge: () => ['missing fd00::5'],
    });
    expect(result.observed).to.deep.equal(['s1']);
    expect(result.problems[0]).to.equal('missing fd00::5');
    expect(result.problems[1]).to.contain('DSC_TIMEOUT_ENDPOINT_SLICES');
  });
});

describe('cleanup: registered actions', function () {
  it('run once, newest first, collecting failures instead of stopping', async function () {
    const registry = new CleanupRegistry();
    const order: string[] = [];
    registry.register('delete namespace a', async () => {
      order.push('a');
    });
    registry.register('delete namespace b', async () => {
      order.push('b');
      throw new Error('HTTP 500');
    });
    const [first, second] = await Promise.all([registry.runAll(), registry.runAll()]);
    expect(order).to.deep.equal(['b', 'a']);
    expect(first).to.deep.equal(['delete namespace b: HTTP 500']);
    expect(second).to.equal(first);
  });
});

describe('exec: exit status from the API server', function () {
  it('reads success, a non-zero exit code, and failures without one', function () {
    expect(exitCodeFromStatus({ status: 'Success' })).to.deep.equal({ exitCode: 0, failure: undefined });
    expect(
      exitCodeFromStatus({
        status: 'Failure',
        reason: 'NonZeroExitCode',
        message: 'command terminated with non-zero exit code: error executing command [wget ...], exit code 1',
        details: { causes: [{ reason: 'ExitCode', message: '1' }] },
      }),
    ).to.deep.equal({ exitCode: 1, failure: undefined });
    const notFound = exitCodeFromStatus({
      status: 'Failure',
      message: 'exec: "curl": executable file not found in $PATH',
    });
    expect(notFound.exitCode).to.equal(undefined);
    expect(notFound.failure).to.contain('executable file not found');
  });

  it('summarises an outcome in one line', function () {
    const base = { stdout: '', stderr: '', durationMs: 5, failure: undefined, timedOut: false };
    expect(summarizeExec({ ...base, exitCode: 1, stderr: "wget: can't connect to remote host (10.96.0.5): Connection refused\n" })).to.equal(
      "exit 1: wget: can't connect to remote host (10.96.0.5): Connection refused",
    );
    expect(summarizeExec({ ...base, exitCode: undefined, timedOut: true, failure: 'no exit within 5000ms' })).to.equal('timed out (no exit within 5000ms)');
  });
});
