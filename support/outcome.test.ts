import { expect } from 'chai';
import { ConfigurationError } from '../lib/errors.ts';
import { decideOutcome, EXIT, exitCodeOfSignal, failureBeforeRun } from './outcome.ts';
import type { Counts } from './results.ts';

const counts = (partial: Partial<Counts>): Counts => ({ total: 42, passed: 42, failed: 0, skipped: 0, notRun: 0, ...partial });

describe('outcome: exit code, verdict and reason of a run', function () {
  it('passes when every check passed or was skipped for an allowed reason', function () {
    expect(decideOutcome({ counts: counts({ passed: 40, skipped: 2 }), cleanupFailures: [] })).to.deep.equal({
      exitCode: EXIT.passed,
      verdict: 'passed',
      reason: '40 passed, 2 skipped for allowed reasons',
    });
  });

  it('fails (1) on a failed check, and on checks a failed hook kept from running', function () {
    expect(decideOutcome({ counts: counts({ passed: 41, failed: 1 }), cleanupFailures: [] })).to.deep.equal({
      exitCode: 1,
      verdict: 'failed',
      reason: '1 check(s) failed',
    });
    expect(decideOutcome({ counts: counts({ passed: 0, notRun: 42 }), cleanupFailures: [] })).to.deep.equal({
      exitCode: 1,
      verdict: 'failed',
      reason: '0 check(s) failed, 42 did not run',
    });
  });

  it('fails (1) when only the cleanup failed, naming what', function () {
    const outcome = decideOutcome({ counts: counts({}), cleanupFailures: ['delete namespaces a and b: HTTP 500'] });
    expect(outcome).to.deep.equal({ exitCode: 1, verdict: 'failed', reason: 'cleanup failed: delete namespaces a and b: HTTP 500' });
  });

  it('a configuration error met during the run (image pull, fixture) is exit 2 whatever the checks did', function () {
    const message = 'image registry.invalid/none:1 cannot be pulled';
    const outcome = decideOutcome({ counts: counts({ passed: 0, notRun: 42 }), configurationFailure: message, cleanupFailures: ['x'] });
    expect(outcome).to.deep.equal({ exitCode: EXIT.configuration, verdict: 'error', reason: message });
  });

  it('an interrupt outranks everything: 130 for SIGINT, 143 for SIGTERM', function () {
    const inputs = { counts: counts({ failed: 3 }), configurationFailure: 'x', cleanupFailures: ['y'] };
    expect(decideOutcome({ ...inputs, interruptedBy: 'SIGINT' })).to.deep.equal({ exitCode: 130, verdict: 'interrupted', reason: 'interrupted by SIGINT' });
    expect(decideOutcome({ ...inputs, interruptedBy: 'SIGTERM' })).to.deep.equal({ exitCode: 143, verdict: 'interrupted', reason: 'interrupted by SIGTERM' });
  });

  it('a crash is exit 2 (verdict error), outranked only by an interrupt', function () {
    const inputs = { counts: counts({ passed: 10, failed: 2, notRun: 30 }), cleanupFailures: ['x'], configurationFailure: 'y', crash: 'TypeError: boom' };
    expect(decideOutcome(inputs)).to.deep.equal({ exitCode: EXIT.crash, verdict: 'error', reason: 'internal error: TypeError: boom' });
    expect(EXIT.crash).to.equal(2);
    expect(decideOutcome({ ...inputs, interruptedBy: 'SIGTERM' }).exitCode).to.equal(143);
  });

  it('the exit code of an ending signal is the one its report gives', function () {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      expect(decideOutcome({ counts: counts({}), cleanupFailures: [], interruptedBy: signal }).exitCode).to.equal(exitCodeOfSignal(signal));
    }
    expect([exitCodeOfSignal('SIGINT'), exitCodeOfSignal('SIGTERM')]).to.deep.equal([130, 143]);
  });
});

describe('outcome: an error before the checks start', function () {
  it('is exit 2 with the message alone for what the user can fix', function () {
    const failure = failureBeforeRun(new ConfigurationError('--family ipv7: expected ipv4, ipv6 or dual'), true);
    expect(failure).to.deep.equal({ exitCode: EXIT.configuration, message: '--family ipv7: expected ipv4, ipv6 or dual' });
  });

  it('is exit 2 with one line for a bug of ours, the stack trace only on request (DSC_DEBUG=1)', function () {
    const error = new TypeError('boom');
    expect(failureBeforeRun(error, false)).to.deep.equal({ exitCode: 2, message: 'unexpected error: boom' });
    const debug = failureBeforeRun(error, true);
    expect(debug.exitCode).to.equal(2);
    expect(debug.message.split('\n')[0]).to.equal('unexpected error: boom');
    expect(debug.message).to.contain('TypeError: boom\n    at ');
    expect(failureBeforeRun('a string', true)).to.deep.equal({ exitCode: 2, message: 'unexpected error: a string' });
  });
});
