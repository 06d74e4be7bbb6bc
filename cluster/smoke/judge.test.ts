import { expect } from 'chai';
import type { V1Pod } from '@kubernetes/client-node';
import {
  inAddressRange,
  judgeClusterIps,
  judgeLoadBalancerFamilies,
  judgeLoadBalancerPool,
  judgeNodeInternalIps,
  judgeNodePodCidrs,
  judgePodIps,
} from './judge.ts';
import { dualNodes, onlyFamily, pod01 } from '../../test/helpers.ts';

// The pool cluster:up recorded for the dual kind cluster these objects come from.
const POOL = ['172.18.255.200-172.18.255.250', 'fc00:f853:ccd:e793:ffff:ffff:ffff:ffc8-fc00:f853:ccd:e793:ffff:ffff:ffff:fffa'];
const worker = () => dualNodes()[1]!;
const withPodIPs = (pod: V1Pod, ips: string[]): V1Pod => ({ ...pod, status: { ...pod.status, podIPs: ips.map((ip) => ({ ip })) } });

describe('smoke: judging a cluster by its variant with the suite family model', function () {
  it('a dual IPv4-primary node passes as such, and fails as IPv6-primary or single-stack, showing what it has', function () {
    expect(judgeNodePodCidrs(worker(), ['IPv4', 'IPv6'])).to.deep.equal([]);
    expect(judgeNodeInternalIps(worker(), ['IPv4', 'IPv6'])).to.deep.equal([]);
    expect(judgeNodePodCidrs(worker(), ['IPv6', 'IPv4'])).to.deep.equal([
      'node dualstack-worker: spec.podCIDRs=[10.244.1.0/24, fd00:10:244:1::/64] families=[IPv4, IPv6], expected [IPv6, IPv4]',
    ]);
    expect(judgeNodeInternalIps(worker(), ['IPv4'])).to.deep.equal([
      'node dualstack-worker: InternalIPs=[172.18.0.3, fc00:f853:ccd:e793::3] families=[IPv4, IPv6], expected [IPv4]',
    ]);
  });

  it('an IPv4-only node passes as IPv4-only and fails as dual, naming the missing family', function () {
    const single = onlyFamily(worker(), 'IPv4');
    expect(judgeNodePodCidrs(single, ['IPv4'])).to.deep.equal([]);
    expect(judgeNodeInternalIps(single, ['IPv4'])).to.deep.equal([]);
    expect(judgeNodeInternalIps(single, ['IPv4', 'IPv6'])[0]).to.include('families=[IPv4], expected [IPv4, IPv6]');
  });

  it('pod IPs: an IPv4-mapped IPv6 address counts as neither family (the suite rule), not as IPv4', function () {
    expect(judgePodIps(pod01(), ['IPv4', 'IPv6'])).to.deep.equal([]);
    expect(judgePodIps(withPodIPs(pod01(), ['10.244.1.4', '::ffff:10.244.1.4']), ['IPv4', 'IPv6'])).to.deep.equal([
      'pod pod01: status.podIPs=[10.244.1.4, ::ffff:10.244.1.4] families=[IPv4, invalid], expected [IPv4, IPv6]',
    ]);
  });

  it('Service clusterIPs in the variant order', function () {
    expect(judgeClusterIps('smoke', ['10.96.12.34', 'fd00:10:96::1234'], ['IPv4', 'IPv6'])).to.deep.equal([]);
    expect(judgeClusterIps('smoke', ['10.96.12.34'], ['IPv4', 'IPv6'])).to.deep.equal([
      'service smoke: spec.clusterIPs=[10.96.12.34] families=[IPv4], expected [IPv4, IPv6]',
    ]);
  });

  it('LoadBalancer ingress: one address of each family, in any order, each inside the recorded pool', function () {
    const ingress = ['fc00:f853:ccd:e793:ffff:ffff:ffff:ffc8', '172.18.255.200'];
    expect([...judgeLoadBalancerFamilies('smoke-lb', ingress, ['IPv4', 'IPv6']), ...judgeLoadBalancerPool('smoke-lb', ingress, POOL)]).to.deep.equal([]);
    expect(judgeLoadBalancerFamilies('smoke-lb', ['172.18.255.201'], ['IPv4', 'IPv6'])[0]).to.include('families=[IPv4], expected [IPv4, IPv6]');
    expect(judgeLoadBalancerPool('smoke-lb', ['172.18.0.9', 'fc00:f853:ccd:e793:ffff:ffff:ffff:fffa'], POOL)).to.deep.equal([
      `service smoke-lb: ingress=[172.18.0.9, fc00:f853:ccd:e793:ffff:ffff:ffff:fffa]: 172.18.0.9 outside the pool [${POOL.join(', ')}]`,
    ]);
    expect(judgeLoadBalancerPool('smoke-lb', ['172.18.0.9'], undefined)).to.deep.equal([]);
  });

  it('address ranges compare as addresses, of one family, whatever the spelling', function () {
    expect(inAddressRange('172.18.255.250', POOL[0]!)).to.equal(true);
    expect(inAddressRange('172.18.255.251', POOL[0]!)).to.equal(false);
    expect(inAddressRange('172.18.255.99', POOL[0]!)).to.equal(false);
    expect(inAddressRange('fc00:f853:ccd:e793:ffff:ffff:ffff:ffd0', POOL[1]!)).to.equal(true);
    expect(inAddressRange('fc00:f853:ccd:e793:0:0:0:ffd0', POOL[1]!)).to.equal(false);
    expect(inAddressRange('172.18.255.200', POOL[1]!)).to.equal(false);
    expect(inAddressRange('::ffff:172.18.255.200', '::ffff:172.18.255.199-::ffff:172.18.255.201')).to.equal(false);
    expect(inAddressRange('172.18.255.200', 'garbage')).to.equal(false);
  });
});
