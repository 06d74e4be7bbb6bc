import { expect } from 'chai';
import {
  detectClusterFamilies,
  familyAbsence,
  nodeAddressing,
  serviceRangesFromProbeService,
  serviceRangesFromServiceCidr,
} from './families.ts';
import { dualNodes, dualServiceCidr, onlyFamily, service } from '../test/helpers.ts';

describe('families: detection from real-shaped Node and ServiceCIDR objects', function () {
  it('finds a dual-stack kind cluster, IPv4 primary, from nodes and the kubernetes ServiceCIDR', function () {
    const cluster = detectClusterFamilies(dualNodes(), serviceRangesFromServiceCidr(dualServiceCidr()));
    expect(cluster.dualStack).to.equal(true);
    expect(cluster.primary).to.equal('IPv4');
    expect(cluster.families).to.deep.equal(['IPv4', 'IPv6']);
    expect(cluster.podCidrFamilies).to.deep.equal(['IPv4', 'IPv6']);
    expect(cluster.services.cidrs).to.deep.equal(['10.96.0.0/16', 'fd00:10:96::/112']);
    expect(familyAbsence(cluster, 'IPv6')).to.equal('');
  });

  it('takes the primary family from the order of the service ranges', function () {
    const cidr = dualServiceCidr();
    const ipv6First = { ...cidr, spec: { cidrs: [...(cidr.spec?.cidrs ?? [])].reverse() } };
    expect(detectClusterFamilies(dualNodes(), serviceRangesFromServiceCidr(ipv6First)).primary).to.equal('IPv6');
  });

  it('names every place a family is missing on an IPv4-only cluster', function () {
    const nodes = dualNodes().map((node) => onlyFamily(node, 'IPv4'));
    const ranges = serviceRangesFromServiceCidr({ ...dualServiceCidr(), spec: { cidrs: ['10.96.0.0/16'] } });
    const cluster = detectClusterFamilies(nodes, ranges);
    expect(cluster.dualStack).to.equal(false);
    expect(cluster.families).to.deep.equal(['IPv4']);
    const absence = familyAbsence(cluster, 'IPv6');
    expect(absence).to.match(/^cluster has no IPv6: /);
    expect(absence).to.contain('10.96.0.0/16');
    expect(absence).to.contain('node InternalIPs IPv4 only');
    expect(absence).to.contain('node pod CIDRs IPv4 only');
  });

  it('counts a family only when every node has it', function () {
    const [first, second] = dualNodes();
    if (!first || !second) throw new Error('test data needs two nodes');
    const cluster = detectClusterFamilies([first, onlyFamily(second, 'IPv4')], serviceRangesFromServiceCidr(dualServiceCidr()));
    expect(cluster.nodeInternalIpFamilies).to.deep.equal(['IPv4']);
    expect(cluster.dualStack).to.equal(false);
  });

  it('names the node lacking a family, not the cluster, when the service ranges and another node have it', function () {
    const [first, second] = dualNodes();
    if (!first || !second) throw new Error('test data needs two nodes');
    const ipv4Only = onlyFamily(second, 'IPv4');
    const cluster = detectClusterFamilies([first, ipv4Only], serviceRangesFromServiceCidr(dualServiceCidr()));
    const absence = familyAbsence(cluster, 'IPv6');
    expect(absence).to.not.contain('cluster has no IPv6');
    expect(absence).to.match(/^IPv6 missing on part of the cluster/);
    const name = ipv4Only.metadata?.name ?? '';
    const internalIPs = (ipv4Only.status?.addresses ?? []).filter((a) => a.type === 'InternalIP').map((a) => a.address);
    expect(absence).to.contain(`node ${name} has no IPv6 InternalIP [${internalIPs.join(', ')}]`);
    expect(absence).to.contain(`node ${name} has no IPv6 pod CIDR [${(ipv4Only.spec?.podCIDRs ?? []).join(', ')}]`);
    expect(absence).to.not.contain(first.metadata?.name ?? '(none)');
    expect(familyAbsence(cluster, 'IPv4')).to.equal('');
  });

  it('still says the cluster has no family when its service ranges lack it, naming a node that lacks it too', function () {
    const [first, second] = dualNodes();
    if (!first || !second) throw new Error('test data needs two nodes');
    const ranges = serviceRangesFromServiceCidr({ ...dualServiceCidr(), spec: { cidrs: ['10.96.0.0/16'] } });
    const absence = familyAbsence(detectClusterFamilies([first, onlyFamily(second, 'IPv4')], ranges), 'IPv6');
    expect(absence).to.match(/^cluster has no IPv6: service ranges/);
    expect(absence).to.contain(`node ${second.metadata?.name ?? ''} has no IPv6 InternalIP`);
  });

  it('reports no node IPAM when no node has podCIDRs', function () {
    const nodes = dualNodes().map((node) => ({ ...node, spec: { ...node.spec, podCIDR: undefined, podCIDRs: undefined } }));
    const cluster = detectClusterFamilies(nodes, serviceRangesFromServiceCidr(dualServiceCidr()));
    expect(cluster.podCidrFamilies).to.equal(undefined);
    expect(cluster.dualStack).to.equal(true);
  });

  it('reads families (not ranges) from a PreferDualStack probe Service when no ServiceCIDR is served', function () {
    const probe = service('family-probe-svc', {
      ipFamilyPolicy: 'PreferDualStack',
      ipFamilies: ['IPv6', 'IPv4'],
      clusterIPs: ['fd00:10:96::8c2e', '10.96.140.7'],
    });
    const ranges = serviceRangesFromProbeService(probe);
    expect(ranges.families).to.deep.equal(['IPv6', 'IPv4']);
    expect(ranges.cidrs).to.deep.equal([]);
    expect(ranges.source).to.contain('fd00:10:96::8c2e');
  });

  it('lists IPv4-mapped and malformed node entries as invalid, counting them as neither family', function () {
    const [node] = dualNodes();
    if (!node) throw new Error('test data needs a node');
    const odd = {
      ...node,
      spec: { ...node.spec, podCIDRs: ['10.244.0.0/24', 'not-a-cidr'] },
      status: { ...node.status, addresses: [{ type: 'InternalIP', address: '172.18.0.2' }, { type: 'InternalIP', address: '::ffff:172.18.0.2' }] },
    };
    const addressing = nodeAddressing(odd);
    expect(addressing.internalIpsByFamily.IPv6).to.deep.equal([]);
    expect(addressing.podCidrsByFamily.IPv6).to.deep.equal([]);
    expect(addressing.invalid).to.have.length(2);
    expect(addressing.invalid.join(' ')).to.contain('IPv4-mapped');
  });
});
