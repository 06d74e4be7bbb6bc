import type { V1EndpointSlice } from '@kubernetes/client-node';
import { expect } from 'chai';
import { nodeAddressing, serviceRangesFromServiceCidr } from '../families.ts';
import { judgeDnsAnswer } from './dns.ts';
import { judgeIpv6LoadBalancer } from './loadbalancer.ts';
import { judgeNodeInternalIps, judgeNodePodCidrFamilies, judgeNodePodCidrFirst } from './nodes.ts';
import { judgeEnvPodIps, judgeEtcHostsFamily, judgeEtcHostsHeader, judgeHostIps, judgeHostNetworkPodIps, judgePodIpFamilies, judgePodIpFirst, judgePodIpInNodeCidr } from './pods.ts';
import { judgeEndpointSlices, judgeServiceAllocation } from './services.ts';
import { allocatedService, dualNodes, dualServiceCidr, onlyFamily, pod01, podWithIps, readText, service } from '../../test/helpers.ts';

const worker = () => {
  const node = dualNodes().find((candidate) => candidate.metadata?.name === 'dualstack-worker');
  if (!node) throw new Error('test data lacks dualstack-worker');
  return node;
};

describe('judgements: nodes', function () {
  it('passes dual-stack kind nodes', function () {
    for (const node of dualNodes().map(nodeAddressing)) {
      expect(judgeNodePodCidrFamilies(node)).to.deep.equal([]);
      expect(judgeNodePodCidrFirst(node)).to.deep.equal([]);
      expect(judgeNodeInternalIps(node)).to.deep.equal([]);
    }
  });

  it('fails an IPv4-only node naming IPv6 and printing what it saw', function () {
    const node = nodeAddressing(onlyFamily(worker(), 'IPv4'));
    const [cidrProblem] = judgeNodePodCidrFamilies(node);
    expect(cidrProblem).to.equal('node dualstack-worker: spec.podCIDRs=[10.244.1.0/24]; no IPv6 block');
    expect(judgeNodeInternalIps(node)[0]).to.equal('node dualstack-worker: InternalIPs=[172.18.0.3]; no IPv6 InternalIP');
  });

  it('fails a node whose podCIDR differs from podCIDRs[0]', function () {
    const node = worker();
    const swapped = nodeAddressing({ ...node, spec: { ...node.spec, podCIDR: 'fd00:10:244:1::/64' } });
    expect(judgeNodePodCidrFirst(swapped)[0]).to.contain('spec.podCIDR=fd00:10:244:1::/64 but spec.podCIDRs[0]=10.244.1.0/24');
  });

  it('fails a node with two blocks of one family', function () {
    const node = worker();
    const doubled = nodeAddressing({ ...node, spec: { ...node.spec, podCIDRs: ['10.244.1.0/24', '10.245.1.0/24'] } });
    expect(judgeNodePodCidrFamilies(doubled)[0]).to.contain('2 IPv4 blocks, expected one; no IPv6 block');
  });
});

describe('judgements: pods', function () {
  it('passes the dual-stack pod01', function () {
    const pod = pod01();
    expect(judgePodIpFamilies(pod)).to.deep.equal([]);
    expect(judgePodIpFirst(pod)).to.deep.equal([]);
    expect(judgePodIpInNodeCidr(pod, worker(), 'IPv4')).to.deep.equal([]);
    expect(judgePodIpInNodeCidr(pod, worker(), 'IPv6')).to.deep.equal([]);
    expect(judgeHostIps(pod, worker())).to.deep.equal([]);
  });

  it('fails a single-stack pod naming the missing family', function () {
    const pod = podWithIps(pod01(), ['10.244.1.4']);
    expect(judgePodIpFamilies(pod)[0]).to.equal(
      'pod dsc-test/pod01: status.podIPs=[10.244.1.4] families=[IPv4]; no IPv6 address in status.podIPs',
    );
    expect(judgePodIpInNodeCidr(pod, worker(), 'IPv6')[0]).to.contain('the pod has no IPv6 address');
  });

  it('does not count an IPv4-mapped IPv6 pod address as IPv6', function () {
    const pod = podWithIps(pod01(), ['10.244.1.4', '::ffff:10.244.1.4']);
    const [problem] = judgePodIpFamilies(pod);
    expect(problem).to.contain('families=[IPv4,invalid]');
    expect(problem).to.contain('IPv4-mapped');
    expect(problem).to.contain('no IPv6 address');
  });

  it('fails a pod address outside its node pod CIDR, and podIP != podIPs[0]', function () {
    const pod = podWithIps(pod01(), ['10.244.1.4', 'fd00:10:244:2::4']);
    expect(judgePodIpInNodeCidr(pod, worker(), 'IPv6')[0]).to.contain('fd00:10:244:2::4 is outside [fd00:10:244:1::/64]');
    const swapped = { ...pod01(), status: { ...pod01().status, podIP: 'fd00:10:244:1::4' } };
    expect(judgePodIpFirst(swapped)[0]).to.contain('status.podIP=fd00:10:244:1::4 but status.podIPs=[10.244.1.4, fd00:10:244:1::4]');
  });

  it('fails hostIPs that are not InternalIPs of the node', function () {
    const pod = podWithIps(pod01(), ['10.244.1.4', 'fd00:10:244:1::4'], ['172.18.0.3', 'fc00:f853:ccd:e793::9']);
    expect(judgeHostIps(pod, worker())[0]).to.contain('fc00:f853:ccd:e793::9 is not an InternalIP of node dualstack-worker');
  });

  it('judges MY_POD_IPS against status.podIPs, in order', function () {
    const env = readText('env-pod01.txt');
    expect(judgeEnvPodIps(env, pod01())).to.deep.equal([]);
    const reversed = env.replace('MY_POD_IPS=10.244.1.4,fd00:10:244:1::4', 'MY_POD_IPS=fd00:10:244:1::4,10.244.1.4');
    expect(judgeEnvPodIps(reversed, pod01())[0]).to.contain('expected MY_POD_IPS=10.244.1.4,fd00:10:244:1::4');
    const single = podWithIps(pod01(), ['10.244.1.4']);
    expect(judgeEnvPodIps('MY_POD_IPS=10.244.1.4\n', single)[0]).to.contain('no IPv6 address in MY_POD_IPS');
    expect(judgeEnvPodIps('HOME=/\n', pod01())[0]).to.contain('env has no MY_POD_IPS');
  });

  it('judges /etc/hosts: header, and one line per family mapping to the hostname', function () {
    const hosts = readText('etc-hosts-pod01.txt');
    expect(judgeEtcHostsHeader(hosts, pod01())).to.deep.equal([]);
    expect(judgeEtcHostsFamily(hosts, pod01(), 'IPv6')).to.deep.equal([]);
    const withoutIpv6 = hosts.replace('fd00:10:244:1::4\tpod01\n', '');
    expect(judgeEtcHostsFamily(withoutIpv6, pod01(), 'IPv6')[0]).to.contain('/etc/hosts has no line "fd00:10:244:1::4 ... pod01"');
    expect(judgeEtcHostsHeader('127.0.0.1 localhost\n', pod01())[0]).to.contain('expected "# Kubernetes-managed hosts file."');
  });

  it("judges a hostNetwork pod's podIPs against its node's InternalIPs", function () {
    const hostPod = podWithIps(pod01(), ['172.18.0.3', 'fc00:f853:ccd:e793::3']);
    expect(judgeHostNetworkPodIps(hostPod, worker())).to.deep.equal([]);
    const ipv4Only = podWithIps(pod01(), ['172.18.0.3']);
    expect(judgeHostNetworkPodIps(ipv4Only, worker())[0]).to.contain('no IPv6 address in status.podIPs');
  });
});

describe('judgements: Services', function () {
  const ranges = serviceRangesFromServiceCidr(dualServiceCidr());

  it('passes a RequireDualStack [IPv6, IPv4] Service allocated in that order', function () {
    const svc = allocatedService('dual-stack-require-ipv6-ipv4-svc', 'RequireDualStack', ['IPv6', 'IPv4'], ['fd00:10:96::5d3c', '10.96.201.8']);
    expect(judgeServiceAllocation(svc, { policy: 'RequireDualStack', families: ['IPv6', 'IPv4'] }, ranges)).to.deep.equal([]);
  });

  it('fails clusterIPs out of ipFamilies order, printing observed values', function () {
    const svc = allocatedService('x', 'RequireDualStack', ['IPv4', 'IPv6'], ['10.96.0.10', 'fd00:10:96::a']);
    const [problem] = judgeServiceAllocation(svc, { policy: 'RequireDualStack', families: ['IPv6', 'IPv4'] }, ranges);
    expect(problem).to.contain('svc dsc-test/x: ipFamilyPolicy=RequireDualStack clusterIPs=[10.96.0.10, fd00:10:96::a] families=[IPv4,IPv6]');
    expect(problem).to.contain('expected IPv6 at [0], got IPv4 10.96.0.10');
  });

  it('fails a clusterIP outside the service range and a SingleStack result for PreferDualStack', function () {
    const outside = allocatedService('y', 'SingleStack', ['IPv6'], ['fd00:10:97::1']);
    expect(judgeServiceAllocation(outside, { policy: 'SingleStack', families: ['IPv6'] }, ranges)[0]).to.contain(
      'fd00:10:97::1 is outside the IPv6 service range [fd00:10:96::/112]',
    );
    const single = allocatedService('z', 'PreferDualStack', ['IPv4'], ['10.96.3.4']);
    const [problem] = judgeServiceAllocation(single, { policy: 'PreferDualStack', families: ['IPv4', 'IPv6'] }, ranges);
    expect(problem).to.contain('expected ipFamilies [IPv4,IPv6]');
    expect(problem).to.contain('expected 2 clusterIP(s), got 1');
  });

  it('judges EndpointSlices per family against the backends', function () {
    const svc = service('dual-stack-prefer-dual-svc', { ipFamilies: ['IPv4', 'IPv6'] });
    const backends = [
      { name: 'backend-a', ips: ['10.244.0.5', 'fd00:10:244::5'] },
      { name: 'backend-b', ips: ['10.244.1.6', 'fd00:10:244:1::6'] },
    ];
    const slice = (name: string, addressType: string, addresses: string[]): V1EndpointSlice => ({
      addressType,
      metadata: { name },
      endpoints: addresses.map((address) => ({ addresses: [address], conditions: { ready: true } })),
    });
    const good = [slice('s-v4', 'IPv4', ['10.244.0.5', '10.244.1.6']), slice('s-v6', 'IPv6', ['fd00:10:244:0::5', 'fd00:10:244:1::6'])];
    expect(judgeEndpointSlices(svc, good, backends, 'IPv6')).to.deep.equal([]);
    const wrongFamily = [slice('s-v4', 'IPv4', ['10.244.0.5', '10.244.1.6'])];
    expect(judgeEndpointSlices(svc, wrongFamily, backends, 'IPv6')[0]).to.contain('no EndpointSlice of addressType IPv6');
    const partial = [slice('s-v6', 'IPv6', ['fd00:10:244::5'])];
    expect(judgeEndpointSlices(svc, partial, backends, 'IPv6')[0]).to.contain("missing backends' IPv6 addresses [fd00:10:244:1::6]");
  });

  it('judges an IPv6 LoadBalancer Service by clusterIP and ingress family', function () {
    const lb = service('dual-stack-ipv6-lb-svc', { ipFamilies: ['IPv6'], clusterIPs: ['fd00:10:96::77'] });
    expect(judgeIpv6LoadBalancer({ ...lb, status: { loadBalancer: { ingress: [{ ip: '2001:db8:f100:4002::9d37:c0d7' }] } } })).to.deep.equal([]);
    expect(judgeIpv6LoadBalancer({ ...lb, status: { loadBalancer: { ingress: [{ ip: '203.0.113.9' }] } } })[0]).to.contain(
      'no IPv6 external IP in status.loadBalancer.ingress',
    );
  });
});

describe('judgements: DNS answers', function () {
  it('accepts the expected set in any order and spelling, and names what is missing or foreign', function () {
    expect(judgeDnsAnswer('h.', 'AAAA', ['fd00:10:244:1::6', 'fd00:10:244::5'], ['fd00:10:244:0::5', 'fd00:10:244:1::6'])).to.deep.equal([]);
    expect(judgeDnsAnswer('h.', 'AAAA', [], ['fd00:10:96::a'])[0]).to.contain('missing [fd00:10:96::a]');
    expect(judgeDnsAnswer('h.', 'A', ['fd00:10:96::a'], ['10.96.0.10'])[0]).to.contain('answers not of IPv4: [fd00:10:96::a]');
    expect(judgeDnsAnswer('h.', 'AAAA', [], [])[0]).to.contain('nothing of IPv6 to expect');
  });
});
