import { expect } from 'chai';
import { expectOneLine, runOf, type SuiteRun } from './robustness-harness.ts';

const run = (code: number | null, stderr: string, stdout = ''): SuiteRun => ({ code, signal: null, stdout, stderr, seconds: 4.2, pid: 4242, timedOut: false });
const LINE = 'dualstack-conformance: context "no-such-context" not found in kubeconfig /root/.kube/config (contexts: kind-dualstack)';

describe('robustness harness: what a user sees on bad input', function () {
  it('returns the one line (phase markers aside) when the run exits 2 and the line says what it must', function () {
    expect(expectOneLine(run(2, `phase=preflight\n${LINE}\n`), ['no-such-context', 'not found'])).to.equal(LINE);
  });

  it('fails on another exit code, a stack trace, a second line, a line not naming the tool, or a missing substring', function () {
    expect(() => expectOneLine(run(0, `${LINE}\n`), [])).to.throw('expected exit 2, got exit 0 after 4.2 s');
    expect(() => expectOneLine(run(2, `${LINE}\n    at main (bin/dualstack-conformance.ts:1:1)\n`), [])).to.throw('a stack trace was printed');
    expect(() => expectOneLine(run(2, `${LINE}\nsecond\n`), [])).to.throw('expected one line on stderr besides phase markers, got 2');
    expect(() => expectOneLine(run(2, 'context not found\n'), [])).to.throw('the line does not name the tool');
    expect(() => expectOneLine(run(2, `${LINE}\n`), ['ECONNREFUSED', 'not found'])).to.throw(`the line lacks "ECONNREFUSED": ${LINE}`);
  });

  it("reads the run's id and namespaces from the header", function () {
    expect(runOf('dualstack-conformance 0.1.0: run ab12cd34 (namespaces dsc-ab12cd34, dsc-ab12cd34-host)\n')).to.deep.equal({
      runId: 'ab12cd34',
      main: 'dsc-ab12cd34',
      host: 'dsc-ab12cd34-host',
    });
    expect(runOf('no header')).to.equal(undefined);
  });
});
