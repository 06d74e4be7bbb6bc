import { expect } from 'chai';
import { faultCatalog } from './catalog.ts';
import { firstHalf, ipamSubnets, nodeIpIpv4Only, nodeIps, processStates, ruleComesBefore, withoutIpv6Ranges } from './edits.ts';
import { expectedUnderFault, judgeFaultRun, loadFaultTable, parseFaultTable } from './expectations.ts';
import { compareVerdicts, loadTable, overrideCells, parseTable } from '../verdicts.ts';

// What flannel-node writes on a dual-stack (IPv4-primary) kind node.
const CONFLIST = JSON.stringify({
  cniVersion: '1.0.0',
  name: 'flannel',
  plugins: [
    {
      type: 'bridge',
      bridge: 'cni0',
      ipam: { type: 'host-local', ranges: [[{ subnet: '10.244.1.0/24' }], [{ subnet: 'fd00:10:244:1::/64' }]] },
    },
    { type: 'portmap', capabilities: { portMappings: true } },
  ],
});
const FLAGS =
  'KUBELET_KUBEADM_ARGS="--pod-infra-container-image=registry.k8s.io/pause:3.10.1 --node-ip=172.18.0.5,fc00:f853:ccd:e793::5 --node-labels= --provider-id=kind://docker/x/x-worker"\n';

describe('faults: the edits they make to node files', function () {
  it('drops the IPv6 IPAM range of the CNI config and keeps everything else', function () {
    const edited = withoutIpv6Ranges(CONFLIST);
    expect(ipamSubnets(edited)).to.deep.equal(['10.244.1.0/24']);
    expect(JSON.parse(edited).plugins[1]).to.deep.equal(JSON.parse(CONFLIST).plugins[1]);
    expect(() => withoutIpv6Ranges(edited)).to.throw(/no IPv6 IPAM range to remove \(subnets 10\.244\.1\.0\/24\)/);
  });

  it('refuses to leave a CNI plugin without any IPAM range', function () {
    const ipv6Only = CONFLIST.replace('"10.244.1.0/24"', '"fd00:10:244:2::/64"');
    expect(() => withoutIpv6Ranges(ipv6Only)).to.throw(/IPv6 ranges only/);
  });

  it("makes kubelet's --node-ip IPv4-only and touches no other flag", function () {
    const edited = nodeIpIpv4Only(FLAGS);
    expect(nodeIps(FLAGS)).to.deep.equal(['172.18.0.5', 'fc00:f853:ccd:e793::5']);
    expect(nodeIps(edited)).to.deep.equal(['172.18.0.5']);
    expect(edited.replace('--node-ip=172.18.0.5', '')).to.equal(FLAGS.replace('--node-ip=172.18.0.5,fc00:f853:ccd:e793::5', ''));
    expect(() => nodeIpIpv4Only(edited)).to.throw(/no IPv4 and IPv6 pair/);
    expect(() => nodeIpIpv4Only('KUBELET_KUBEADM_ARGS=""')).to.throw(/--node-ip is absent/);
  });

  it('halves an IPv6 pod CIDR into the more specific route that covers its first half', function () {
    expect(firstHalf('fd00:10:244::/64')).to.equal('fd00:10:244::/65');
    expect(firstHalf('fd00:10:244:1::/64')).to.equal('fd00:10:244:1::/65');
    expect(() => firstHalf('10.244.0.0/24')).to.throw(/no IPv6 CIDR/);
  });

  it('sees an inserted RETURN only when it precedes the KUBE-POSTROUTING jump', function () {
    const rule = '-A POSTROUTING -m mark --mark 0x4000/0x4000 -j RETURN';
    const jump = '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING';
    expect(ruleComesBefore(['-P POSTROUTING ACCEPT', rule, jump].join('\n'), rule, 'KUBE-POSTROUTING')).to.equal(true);
    expect(ruleComesBefore(['-P POSTROUTING ACCEPT', jump, rule].join('\n'), rule, 'KUBE-POSTROUTING')).to.equal(false);
    expect(ruleComesBefore(['-P POSTROUTING ACCEPT', jump].join('\n'), rule, 'KUBE-POSTROUTING')).to.equal(false);
  });

  it('reads process states from /proc/<pid>/stat, whatever the command name holds', function () {
    expect(processStates('401 (kube-proxy) T 1 401 401 0\n77 (a (b) c) S 1 2\n')).to.deep.equal(['T', 'S']);
  });
});

const small = parseTable(`
clusters:
  dual-ipv4: {ipFamily: dual, primary: ipv4, exitCode: 0, suiteArgs: [--strict]}
  ipv4: {ipFamily: ipv4, primary: ipv4, exitCode: 1}
checks:
  conn.a.ipv6: {dual-ipv4: pass, ipv4: "fail: cluster has no IPv6"}
  conn.b.ipv6: {dual-ipv4: pass, ipv4: "fail: cluster has no IPv6"}
`);

describe('faults: expected verdicts under a fault', function () {
  it('overrides one cluster column only, and rejects an unknown check id', function () {
    const table = overrideCells(small, 'dual-ipv4', new Map([['conn.a.ipv6', { verdict: 'failed', contains: 'never answered' } as const]]));
    expect(table.checks.get('conn.a.ipv6')!.get('dual-ipv4')).to.deep.equal({ verdict: 'failed', contains: 'never answered' });
    expect(table.checks.get('conn.a.ipv6')!.get('ipv4')).to.deep.equal({ verdict: 'failed', contains: 'cluster has no IPv6' });
    expect(table.checks.get('conn.b.ipv6')!.get('dual-ipv4')).to.deep.equal({ verdict: 'passed' });
    expect(small.checks.get('conn.a.ipv6')!.get('dual-ipv4')).to.deep.equal({ verdict: 'passed' });
    expect(() => overrideCells(small, 'dual-ipv4', new Map([['conn.c', { verdict: 'passed' } as const]]))).to.throw(/no such check id.*conn\.c/);
  });

  it('counts an unexpected failure and a missed one as mismatches, and sets the exit code from the table', function () {
    const faults = parseFaultTable(
      `cluster: dual-ipv4\nfaults:\n  f1: {fail: {conn.a.ipv6: "fail: never answered"}}\n  f2: {awaitingChecks: [conn.later]}\n`,
      small,
      ['f1', 'f2'],
    );
    const f1 = expectedUnderFault(small, faults, 'f1');
    expect(f1.exitCode).to.equal(1);
    expect(expectedUnderFault(small, faults, 'f2').exitCode).to.equal(0);
    const caught = [
      { id: 'conn.a.ipv6', verdict: 'failed', reason: 'client -> svc: answered by backend-b; never answered: backend-a' },
      { id: 'conn.b.ipv6', verdict: 'passed' },
    ];
    expect(compareVerdicts(f1.table, 'dual-ipv4', caught)).to.deep.equal([]);
    const wrong = [
      { id: 'conn.a.ipv6', verdict: 'passed' },
      { id: 'conn.b.ipv6', verdict: 'failed', reason: 'TIMEOUT' },
    ];
    expect(compareVerdicts(f1.table, 'dual-ipv4', wrong).map((m) => m.id)).to.deep.equal(['conn.a.ipv6', 'conn.b.ipv6']);
  });

  it('accepts either verdict of a check whose outcome under the fault is chance, and nothing else', function () {
    const faults = parseFaultTable(
      `cluster: dual-ipv4\nfaults:\n  f1:\n    fail: {conn.a.ipv6: "fail: never answered"}\n    undetermined: {conn.b.ipv6: "affinity picks a backend at random"}\n`,
      small,
      ['f1'],
    );
    const held = { stuck: true, evidence: 'x' } as const;
    const run = (b: { id: string; verdict: string; reason?: string } | undefined) => ({
      stuckAfter: held,
      exitCode: 1,
      observed: [{ id: 'conn.a.ipv6', verdict: 'failed', reason: 'never answered: backend-a' }, ...(b ? [b] : [])],
    });
    expect(judgeFaultRun(small, faults, 'f1', run({ id: 'conn.b.ipv6', verdict: 'passed' }))).to.deep.equal([]);
    expect(judgeFaultRun(small, faults, 'f1', run({ id: 'conn.b.ipv6', verdict: 'failed', reason: 'x' }))).to.deep.equal([]);
    expect(judgeFaultRun(small, faults, 'f1', run(undefined))[0]).to.contain('conn.b.ipv6: expected passed; observed absent from the results');
    expect(() => parseFaultTable(`cluster: dual-ipv4\nfaults:\n  f1:\n    fail: {conn.a.ipv6: "fail: x"}\n    undetermined: {conn.a.ipv6: "a reason long enough"}\n`, small, ['f1'])).to.throw(
      /both expected to fail and undetermined/,
    );
  });

  it('fails a run whose fault was repaired meanwhile, even when every verdict matched', function () {
    const faults = parseFaultTable(`cluster: dual-ipv4\nfaults:\n  f1: {fail: {conn.a.ipv6: "fail: never answered"}}\n`, small, ['f1']);
    const observed = [
      { id: 'conn.a.ipv6', verdict: 'failed', reason: 'never answered: backend-a' },
      { id: 'conn.b.ipv6', verdict: 'passed' },
    ];
    const held = { stuck: true, evidence: 'x' } as const;
    expect(judgeFaultRun(small, faults, 'f1', { stuckAfter: held, exitCode: 1, observed })).to.deep.equal([]);
    // As the bridge CNI plugin does to forwarding=0 whenever it sets up a pod.
    const repaired = { stuck: false, reason: 'net.ipv6.conf.all.forwarding is 1' } as const;
    expect(judgeFaultRun(small, faults, 'f1', { stuckAfter: repaired, exitCode: 1, observed })).to.deep.equal([
      'did not stick: repaired during the run: net.ipv6.conf.all.forwarding is 1',
    ]);
    const passedAnyway = judgeFaultRun(small, faults, 'f1', { stuckAfter: held, exitCode: 0, observed: [{ id: 'conn.a.ipv6', verdict: 'passed' }, observed[1]!] });
    expect(passedAnyway).to.have.length(2);
    expect(passedAnyway[0]).to.contain('conn.a.ipv6: expected failed containing "never answered"; observed passed');
    expect(passedAnyway[1]).to.equal('the suite exited 0, expected 1');
  });

  it('rejects a fault nothing catches, unknown ids and faults, non-failure cells, and an awaited check that exists', function () {
    const parse = (yaml: string) => () => parseFaultTable(yaml, small, ['f1', 'f2']);
    expect(parse('cluster: dual-ipv4\nfaults:\n  f1: {fail: {conn.a.ipv6: "fail: x"}}\n  f2: {}\n')).to.throw(/fault f2: no check is expected to fail and none is awaited/);
    expect(parse('cluster: dual-ipv4\nfaults:\n  f1: {fail: {conn.zz: "fail: x"}}\n  f2: {awaitingChecks: [y]}\n')).to.throw(/conn\.zz: no such check id/);
    expect(parse('cluster: dual-ipv4\nfaults:\n  f1: {fail: {conn.a.ipv6: pass}}\n  f2: {awaitingChecks: [y]}\n')).to.throw(/list only checks expected to fail/);
    expect(parse('cluster: dual-ipv4\nfaults:\n  f1: {fail: {conn.a.ipv6: "fail: x"}}\n')).to.throw(/fault f2 has no entry/);
    expect(parse('cluster: dual-ipv4\nfaults:\n  f1: {fail: {conn.a.ipv6: "fail: x"}}\n  f2: {awaitingChecks: [y]}\n  f3: {awaitingChecks: [y]}\n')).to.throw(
      /fault f3 is not in the fault catalog/,
    );
    expect(parse('cluster: dual-ipv4\nfaults:\n  f1: {fail: {conn.a.ipv6: "fail: x"}}\n  f2: {awaitingChecks: [conn.b.ipv6]}\n')).to.throw(
      /awaits conn\.b\.ipv6, which exists now/,
    );
    expect(parse('cluster: nowhere\nfaults:\n  f1: {fail: {conn.a.ipv6: "fail: x"}}\n  f2: {awaitingChecks: [y]}\n')).to.throw(/cluster "nowhere"/);
  });

  it('selftest/expected-fault-verdicts.yaml is valid for the fault catalog and the verdict table', function () {
    const catalog = faultCatalog();
    const faults = loadFaultTable(loadTable(), catalog.map((fault) => fault.name));
    expect([...faults.faults.keys()]).to.deep.equal(catalog.map((fault) => fault.name));
    expect(faults.cluster).to.equal('dual-ipv4');
  });

  it('every fault says what it breaks, under a unique name', function () {
    const catalog = faultCatalog({ hostnetPorts: '9999' });
    expect(new Set(catalog.map((fault) => fault.name)).size).to.equal(catalog.length);
    for (const fault of catalog) expect(fault.breaks, fault.name).to.have.length.greaterThan(20);
    expect(catalog.map((fault) => fault.breaks).join(' ')).to.contain('ports 9999');
  });
});
