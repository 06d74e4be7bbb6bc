import { expect } from 'chai';
import { CHECKS } from '../specs/catalog.ts';
import type { IpFamily } from '../lib/ip.ts';
import { compareVerdicts, loadTable, parseCell, parseTable } from './verdicts.ts';

const table = loadTable();
const familiesOf = (cluster: string): IpFamily[] => {
  const c = table.clusters.find((x) => x.name === cluster)!;
  return c.ipFamily === 'dual' ? ['IPv4', 'IPv6'] : c.ipFamily === 'ipv4' ? ['IPv4'] : ['IPv6'];
};

describe('expected-verdict table: the rule and the catalog', function () {
  it('has a row for every check of the catalog and no other', function () {
    expect([...table.checks.keys()].sort()).to.deep.equal(CHECKS.map((c) => c.id).sort());
  });

  it('states the rule in its header', async function () {
    const { readFileSync } = await import('node:fs');
    const { tablePath } = await import('./verdicts.ts');
    expect(readFileSync(tablePath, 'utf8')).to.include('a family-dependent check fails on a single-stack cluster, naming the missing family');
  });

  it('makes every family-dependent check fail on a single-stack cluster, naming the missing family', function () {
    for (const check of CHECKS) {
      for (const cluster of table.clusters.filter((c) => c.ipFamily !== 'dual')) {
        const missing = check.requiresFamilies.filter((f) => !familiesOf(cluster.name).includes(f));
        const cell = table.checks.get(check.id)!.get(cluster.name)!;
        if (missing.length > 0) {
          expect(cell.verdict, `${check.id} on ${cluster.name}`).to.equal('failed');
          expect(cell.verdict === 'failed' && cell.contains, `${check.id} on ${cluster.name}`).to.be.a('string').that.includes(missing[0]!);
        } else {
          expect(cell.verdict, `${check.id} on ${cluster.name} (family-independent there)`).to.equal('passed');
        }
      }
    }
  });

  it('expects dual-stack clusters to pass every check, skipping only optional capabilities', function () {
    for (const check of CHECKS) {
      for (const cluster of table.clusters.filter((c) => c.ipFamily === 'dual')) {
        const cell = table.checks.get(check.id)!.get(cluster.name)!;
        if (cell.verdict !== 'passed') {
          expect(cell.verdict, `${check.id} on ${cluster.name}`).to.equal('skipped');
          expect(check.skipsWithout.length, `${check.id} may only skip for an optional capability`).to.be.greaterThan(0);
        }
      }
      expect(table.clusters.filter((c) => c.ipFamily === 'dual').every((c) => c.suiteArgs.includes('--strict'))).to.equal(true);
    }
  });

  it('expects single-stack runs to exit 1 and dual-stack runs to exit 0', function () {
    for (const c of table.clusters) expect(c.exitCode, c.name).to.equal(c.ipFamily === 'dual' ? 0 : 1);
  });
});

describe('expected-verdict table: comparing a run', function () {
  const small = parseTable(`
clusters:
  a: {ipFamily: ipv4, primary: ipv4, exitCode: 1}
checks:
  x.one: {a: pass}
  x.two: {a: "fail: cluster has no IPv6"}
`);

  it('accepts a run that matches, reason substring included', function () {
    expect(compareVerdicts(small, 'a', [
      { id: 'x.one', verdict: 'passed' },
      { id: 'x.two', verdict: 'failed', reason: 'pod p: podIPs=[10.244.1.2]: cluster has no IPv6: node pod CIDRs IPv4 only' },
    ])).to.deep.equal([]);
  });

  it('reports a failure for the wrong reason, a missing check and an unknown one', function () {
    const m = compareVerdicts(small, 'a', [
      { id: 'x.two', verdict: 'failed', reason: 'timed out waiting for pod' },
      { id: 'x.three', verdict: 'passed' },
    ]);
    expect(m.map((x) => x.id)).to.deep.equal(['x.one', 'x.two', 'x.three']);
    expect(m[0]!.observed).to.equal('absent from the results');
    expect(m[1]!.expected).to.equal('failed containing "cluster has no IPv6"');
  });

  it('rejects malformed cells', function () {
    expect(() => parseCell('fail', 'here')).to.throw(/cell must be/);
    expect(() => parseCell('maybe: x', 'here')).to.throw(/cell must be/);
    expect(parseCell('skip: no LoadBalancer provider', 'here')).to.deep.equal({ verdict: 'skipped', contains: 'no LoadBalancer provider' });
  });
});
