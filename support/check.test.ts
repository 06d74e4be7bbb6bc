import { expect } from 'chai';
import { checkById } from '../specs/catalog.ts';
import { CheckFailure, decideSkip, registerWith, type MochaRegistrar } from './check.ts';
import { CAPABILITY_DESCRIPTIONS, check, expandCheck, perFamily, type CheckDeclaration, type SpecArea } from './checks.ts';
import { declaredAbsentReason } from './config.ts';
import { detectClusterFamilies, familyAbsence, serviceRangesFromServiceCidr, type ClusterFamilies } from './families.ts';
import type { IpFamily } from '../lib/ip.ts';
import { selectionFromEnvironment, setRun, type Run } from './run.ts';
import { dualNodes, dualServiceCidr, onlyFamily } from '../test/helpers.ts';

// The family absence exactly as an IPv4-only kind cluster (real node and ServiceCIDR objects, one family kept) gives it.
const ipv4Only = detectClusterFamilies(
  dualNodes().map((node) => onlyFamily(node, 'IPv4')),
  serviceRangesFromServiceCidr({ ...dualServiceCidr(), spec: { cidrs: ['10.96.0.0/16'] } }),
);
const noIpv6 = familyAbsence(ipv4Only, 'IPv6');
const lbReachable = checkById('lb.ipv6.reachable');
const reason = 'no LoadBalancer provider: lb-probe-svc got no external IP within 30s';
const base = { check: lbReachable, capability: 'lb-provider' as const, reason, familyAbsences: [], strict: false, declaredAbsent: [] };

describe("check(): the skip policy behind every verdict that is not a pass", function () {
  it('skips with the reason when a run is not --strict', function () {
    expect(decideSkip(base)).to.deep.equal({ kind: 'skip', reason });
  });

  it('--strict turns the skip into a failure naming what the cluster needs', function () {
    expect(decideSkip({ ...base, strict: true })).to.deep.equal({
      kind: 'fail',
      message: `--strict: would skip (${reason}); needs ${CAPABILITY_DESCRIPTIONS['lb-provider']}`,
    });
  });

  it('a capability declared absent stays a skip under --strict', function () {
    const declared = declaredAbsentReason('lb-provider');
    expect(decideSkip({ ...base, reason: declared, strict: true, declaredAbsent: ['lb-provider'] })).to.deep.equal({ kind: 'skip', reason: declared });
    // Declaring another capability absent changes nothing for this one.
    expect(decideSkip({ ...base, strict: true, declaredAbsent: ['offcluster-network'] }).kind).to.equal('fail');
  });

  it('the family rule outranks every skip: a missing family fails, naming it, even when declared absent', function () {
    expect(noIpv6).to.match(/^cluster has no IPv6: /);
    for (const options of [{}, { strict: true }, { strict: true, declaredAbsent: ['lb-provider' as const] }]) {
      expect(decideSkip({ ...base, ...options, familyAbsences: [noIpv6] })).to.deep.equal({ kind: 'fail', message: `${noIpv6}\n(besides: ${reason})` });
    }
  });

  it('a check may skip only for a capability its catalog entry names', function () {
    const podIps = checkById('pod.podips.families');
    expect(podIps.skipsWithout).to.not.include('lb-provider');
    expect(decideSkip({ ...base, check: podIps })).to.deep.equal({
      kind: 'fail',
      message: `internal: pod.podips.families may not skip for lb-provider (${reason})`,
    });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// check(): registration with mocha and the verdicts of bodies, on a stand-in for mocha and a stand-in run

const dual = detectClusterFamilies(dualNodes(), serviceRangesFromServiceCidr(dualServiceCidr()));
const entry = { pageStep: null, upstream: null, verifies: 'what is judged, in a sentence or more', causes: ['a cause'] };

function runOn(families: ClusterFamilies, options: { strict?: boolean; absent?: Run['config']['absent'] } = {}): Run {
  const { config } = selectionFromEnvironment({});
  const run = {
    config: { ...config, strict: options.strict ?? false, absent: options.absent ?? [] },
    cluster: { families },
    fixtures: { pods: {}, nodeClients: [], nodeHostnets: [], services: new Map() },
    skipReasons: new Map(),
    checkDurations: new Map(),
    selectedIds: new Set(),
  } as unknown as Run;
  setRun(run);
  return run;
}

interface FakeTest {
  readonly title: string;
  readonly fn: (this: Mocha.Context) => Promise<void>;
}

/** Registers `declarations` as one spec file would, on a stand-in for mocha's describe/it/before. */
function register(declarations: readonly CheckDeclaration[], family?: IpFamily): { describes: string[]; tests: FakeTest[] } {
  const describes: string[] = [];
  const tests: FakeTest[] = [];
  const mocha: MochaRegistrar = {
    describe: (title, fn) => {
      describes.push(title);
      fn();
    },
    it: (title, fn) => tests.push({ title, fn }),
    before: () => undefined,
  };
  const area: SpecArea = {
    title: 'Area: what it proves',
    checks: declarations.map(({ spec, body }) => ({ spec: { ...spec, area: 'pods' }, instances: expandCheck({ ...spec, area: 'pods' }), body })),
  };
  registerWith(mocha, area, family);
  return { describes, tests };
}

const SKIPPED = new Error('mocha skip');

/** Runs a registered test as mocha would: its outcome, its (possibly amended) title and the report context. */
async function runTest(test: FakeTest | undefined): Promise<{ outcome: 'passed' | 'skipped' | Error; title: string; context: unknown }> {
  if (!test) throw new Error('no such test registered');
  const mochaTest = { title: test.title, context: undefined as unknown };
  const context = { test: mochaTest, skip: () => { throw SKIPPED; } } as unknown as Mocha.Context;
  try {
    await test.fn.call(context);
    return { outcome: 'passed', title: mochaTest.title, context: mochaTest.context };
  } catch (error) {
    return { outcome: error === SKIPPED ? 'skipped' : (error as Error), title: mochaTest.title, context: mochaTest.context };
  }
}

describe('check(): registration and verdicts through a mocha test', function () {
  it('registers one describe per spec file and one `[id] sentence` test per check and family, in order', function () {
    const { describes, tests } = register([
      check('x.first', { ...entry, title: 'the first check', requires: 'none' }, () => undefined),
      perFamily('x.second', { ...entry, title: 'the {family} check' }, () => undefined),
    ]);
    expect(describes).to.deep.equal(['Area: what it proves']);
    expect(tests.map((test) => test.title)).to.deep.equal(['[x.first] the first check', '[x.second.ipv4] the IPv4 check', '[x.second.ipv6] the IPv6 check']);
  });

  it('--family registers that family and family-independent checks only', function () {
    const { tests } = register(
      [check('x.both', { ...entry, title: 'both', requires: 'both' }, () => undefined), perFamily('x.each', { ...entry, title: '{family}' }, () => undefined)],
      'IPv6',
    );
    expect(tests.map((test) => test.title)).to.deep.equal(['[x.each.ipv6] IPv6']);
  });

  it("hands the body the run, the fixtures and its family; a body's problems become the failure message, one per line", async function () {
    const run = runOn(dual);
    const seen: unknown[] = [];
    const { tests } = register([
      perFamily('x.fails', { ...entry, title: 'fails in {family}' }, (t) => {
        seen.push([t.run === run, t.fixtures === run.fixtures, t.family]);
        t.observe('observed', { value: 1 });
        t.verdict(['first problem', 'second problem']);
      }),
    ]);
    const result = await runTest(tests[1]);
    expect(seen).to.deep.equal([[true, true, 'IPv6']]);
    expect(result.outcome).to.be.instanceOf(CheckFailure);
    expect((result.outcome as Error).message).to.equal('first problem\nsecond problem');
    expect((result.outcome as Error).stack).to.equal('CheckFailure: first problem\nsecond problem');
    expect(result.context).to.deep.equal({ title: 'observed', value: { value: 1 } });
    expect((await runTest(register([check('x.passes', { ...entry, title: 'passes', requires: 'none' }, (t) => t.verdict([]))]).tests[0])).outcome).to.equal('passed');
  });

  it('a skip becomes a mocha skip with its reason in the title, the report and the run', async function () {
    const run = runOn(dual);
    const { tests } = register([
      check('x.skips', { ...entry, title: 'skips', requires: 'none', skipsWithout: ['multiple-nodes'] }, (t) => t.skip('multiple-nodes', 'one node')),
    ]);
    const result = await runTest(tests[0]);
    expect(result).to.deep.equal({ outcome: 'skipped', title: '[x.skips] skips (skipped: one node)', context: { title: 'skipped', value: 'one node' } });
    expect(run.skipReasons.get('x.skips')).to.equal('one node');
  });

  it('the family rule: on a cluster without the family, a failure or a skip fails and names it', async function () {
    runOn(ipv4Only);
    const { tests } = register([
      perFamily('x.probe', { ...entry, title: '{family}', skipsWithout: ['multiple-nodes'] }, (t) => t.verdict([`no ${t.family} answer`])),
      perFamily('x.skip', { ...entry, title: '{family}', skipsWithout: ['multiple-nodes'] }, (t) => t.skip('multiple-nodes', 'one node')),
    ]);
    expect(((await runTest(tests[0])).outcome as Error).message).to.equal('no IPv4 answer');
    expect((await runTest(tests[2])).outcome).to.equal('skipped');
    expect(((await runTest(tests[1])).outcome as Error).message).to.equal(`no IPv6 answer\n${noIpv6}`);
    expect(((await runTest(tests[3])).outcome as Error).message).to.equal(`${noIpv6}\n(besides: one node)`);
  });

  it('--strict fails a skip; a declared absence skips before the body runs, even under --strict', async function () {
    const declaration = check('x.lb', { ...entry, title: 'lb', requires: 'none', skipsWithout: ['lb-provider'] }, (t) => t.skip('lb-provider', reason));
    runOn(dual, { strict: true });
    expect(((await runTest(register([declaration]).tests[0])).outcome as Error).message).to.equal(
      `--strict: would skip (${reason}); needs ${CAPABILITY_DESCRIPTIONS['lb-provider']}`,
    );
    let ran = false;
    runOn(dual, { strict: true, absent: ['lb-provider'] });
    const { tests } = register([check('x.absent', { ...entry, title: 'absent', requires: 'none', skipsWithout: ['lb-provider'] }, () => void (ran = true))]);
    expect((await runTest(tests[0])).outcome).to.equal('skipped');
    expect(ran).to.equal(false);
  });

  it('a check that skips for a capability its entry does not name fails', async function () {
    runOn(dual);
    const { tests } = register([check('x.undeclared', { ...entry, title: 'undeclared', requires: 'none' }, (t) => t.skip('lb-provider', reason))]);
    expect(((await runTest(tests[0])).outcome as Error).message).to.equal(`internal: x.undeclared may not skip for lb-provider (${reason})`);
  });
});
