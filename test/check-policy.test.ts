import { expect } from 'chai';
import { decideSkip } from '../support/check.ts';
import { checkById, CAPABILITY_DESCRIPTIONS } from '../support/checks.ts';
import { declaredAbsentReason } from '../support/config.ts';
import { detectClusterFamilies, familyAbsence, serviceRangesFromServiceCidr } from '../support/families.ts';
import { dualNodes, dualServiceCidr, onlyFamily } from './helpers.ts';

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
