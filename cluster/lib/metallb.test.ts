import { loadYaml } from '@kubernetes/client-node';
import { expect } from 'chai';
import { metallbManifest, poolManifest, poolRanges, rangeText } from './metallb.ts';

const kindSubnets = ['172.18.0.0/16', 'fc00:f853:ccd:e793::/64'];

describe('cluster MetalLB: pool ranges from the top of the kind network', function () {
  it('takes 51 addresses below the top of each subnet, in the order of the families asked for', function () {
    expect(poolRanges(kindSubnets, ['IPv4', 'IPv6']).map(rangeText)).to.deep.equal([
      '172.18.255.200-172.18.255.250',
      'fc00:f853:ccd:e793:ffff:ffff:ffff:ffc8-fc00:f853:ccd:e793:ffff:ffff:ffff:fffa',
    ]);
    expect(poolRanges(kindSubnets, ['IPv6']).map((p) => p.family)).to.deep.equal(['IPv6']);
  });

  it('moves 64 addresses down per slot, so clusters on one network never share addresses', function () {
    expect(poolRanges(kindSubnets, ['IPv4', 'IPv6'], 1).map(rangeText)).to.deep.equal([
      '172.18.255.136-172.18.255.186',
      'fc00:f853:ccd:e793:ffff:ffff:ffff:ff88-fc00:f853:ccd:e793:ffff:ffff:ffff:ffba',
    ]);
  });

  it('refuses a missing family and a subnet smaller than 256 addresses', function () {
    expect(() => poolRanges(['172.18.0.0/16'], ['IPv6'])).to.throw(/no IPv6 subnet/);
    expect(() => poolRanges(['172.18.0.0/25'], ['IPv4'])).to.throw(/too small/);
  });

  it('writes one pool with every range and an L2Advertisement for it; pins the images', function () {
    const [pool, l2] = poolManifest(poolRanges(kindSubnets, ['IPv4', 'IPv6'])).split('---\n').map((d) => loadYaml<{ kind: string; spec: Record<string, unknown> }>(d));
    expect(pool?.kind).to.equal('IPAddressPool');
    expect(pool?.spec.addresses).to.have.length(2);
    expect(l2?.kind).to.equal('L2Advertisement');
    expect(metallbManifest('v9.9.9').match(/image: \S+/g)).to.deep.equal(['image: quay.io/metallb/controller:v9.9.9', 'image: quay.io/metallb/speaker:v9.9.9']);
  });
});
