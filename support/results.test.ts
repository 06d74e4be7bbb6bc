import { EventEmitter } from 'node:events';
import { expect } from 'chai';
import { checkById, checkTitle } from '../specs/catalog.ts';
import { countResults, ResultCollector, toJUnitXml, type RunSummary } from './results.ts';

function summaryOf(collector: ResultCollector): RunSummary {
  const checks = collector.results('the run stopped before it');
  return {
    suite: { name: 'dualstack-conformance', version: '0.1.0' },
    runId: 'abc',
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:30.000Z',
    wallSeconds: 30,
    partial: false,
    partialReason: null,
    strict: false,
    declaredAbsent: [],
    verdict: 'failed',
    exitCode: 1,
    reason: 'x',
    cluster: undefined,
    counts: countResults(checks),
    checks,
    hookFailures: collector.hookFailures,
    cleanupFailures: [],
    phases: [],
  };
}

describe('results: verdicts per check id', function () {
  const selected = ['pod.podips.families', 'lb.ipv6.external-ip', 'conn.clusterip.ipv6', 'dns.service.ipv4'].map(checkById);

  it('records pass, fail and skip (with its reason) from runner events, and marks unreported checks not-run', function () {
    const runner = new EventEmitter();
    const skipReasons = new Map([['lb.ipv6.external-ip', 'no LoadBalancer provider: declared absent']]);
    const collector = new ResultCollector(selected, skipReasons);
    collector.attach(runner);
    runner.emit('pass', { title: checkTitle(checkById('pod.podips.families')), duration: 12 });
    runner.emit('pending', { title: `${checkTitle(checkById('lb.ipv6.external-ip'))} (skipped: no provider)` });
    runner.emit('fail', { title: checkTitle(checkById('conn.clusterip.ipv6')), duration: 30 }, new Error('client (fd00::5) -> svc x ([fd00::3]:80): TIMEOUT\ncluster has no IPv6: ...'));
    runner.emit('fail', { title: '"after all" hook in "DNS"', type: 'hook' }, new Error('boom'));
    const results = collector.results('stopped');
    expect(results.map((result) => result.verdict)).to.deep.equal(['passed', 'skipped', 'failed', 'not-run']);
    expect(results[1]?.reason).to.equal('no LoadBalancer provider: declared absent');
    expect(results[3]?.reason).to.equal('not run: "after all" hook in "DNS": boom');
    expect(countResults(results)).to.deep.equal({ total: 4, passed: 1, failed: 1, skipped: 1, notRun: 1 });
  });

  it('writes JUnit XML with skips as <skipped message=...>, failures with their message, not-run as errors', function () {
    const runner = new EventEmitter();
    const collector = new ResultCollector(selected, new Map([['lb.ipv6.external-ip', 'no provider: "probe" got <nothing> & gave up']]));
    collector.attach(runner);
    runner.emit('pending', { title: checkTitle(checkById('lb.ipv6.external-ip')) });
    runner.emit('fail', { title: checkTitle(checkById('conn.clusterip.ipv6')), duration: 1500 }, new Error('line one\nline two ]]> end'));
    const xml = toJUnitXml(summaryOf(collector));
    expect(xml).to.contain('<skipped message="no provider: &quot;probe&quot; got &lt;nothing&gt; &amp; gave up"/>');
    expect(xml).to.contain('<failure message="line one" type="CheckFailure"><![CDATA[line one\nline two ]]]]><![CDATA[> end]]></failure>');
    expect(xml).to.contain(`name="[conn.clusterip.ipv6] a client pod reaches every Service's IPv6 clusterIP on port 80"`);
    expect(xml).to.contain('type="NotRun"');
    expect(xml).to.match(/<testsuites name="dualstack-conformance" tests="4" failures="1" errors="2" skipped="1"/);
  });
});
