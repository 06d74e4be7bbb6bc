import type { V1Service } from '@kubernetes/client-node';
import { expect } from 'chai';
import { judgeDualStackLoadBalancer, judgeIpv6LoadBalancer } from './judgements/loadbalancer.ts';
import {
  declaredLbProvider,
  describeResolution,
  externalAddresses,
  ingressHostnames,
  ingressIps,
  type HostnameResolution,
} from './loadbalancer.ts';
import { readJson } from '../test/helpers.ts';

// Real-shaped Services: an AWS NLB (ingress hostname only, as the AWS Load Balancer Controller writes it) and MetalLB
// (ingress ips), and a mixed one (an ip and a hostname, as some providers write both).
const services = readJson<{ nlb: V1Service; metallb: V1Service }>('lb-services.json');
const NLB = services.nlb;
const METALLB = services.metallb;
const NLB_HOSTNAME = 'k8s-dsck3x9q-dualstac-5f0c2a1e9b-3d8e4f6a7c1b2d09.elb.eu-west-1.amazonaws.com';

function resolution(A: string[], AAAA: string[], errors: string[] = []): HostnameResolution {
  return { hostname: NLB_HOSTNAME, from: 'offcluster (172.18.0.9)', A, AAAA, errors };
}

/** The page's IPv6 LoadBalancer: the same ingress on a SingleStack [IPv6] Service. */
function asIpv6Service(service: V1Service): V1Service {
  return { ...service, spec: { ...service.spec, ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv6'], clusterIPs: [service.spec?.clusterIPs?.[1] ?? ''] } };
}

const MIXED: V1Service = {
  ...METALLB,
  status: { loadBalancer: { ingress: [{ ip: '172.18.255.201', ipMode: 'VIP' }, { hostname: NLB_HOSTNAME }] } },
};

describe('loadbalancer: external addresses from ingress ips and hostnames', function () {
  it('separates ingress ips from hostnames', function () {
    expect(ingressIps(METALLB)).to.deep.equal(['172.18.255.200', 'fc00:f853:ccd:e793:ffff:ffff:ffff:ffc8']);
    expect(ingressHostnames(METALLB)).to.deep.equal([]);
    expect(ingressIps(NLB)).to.deep.equal([]);
    expect(ingressHostnames(NLB)).to.deep.equal([NLB_HOSTNAME]);
  });

  it("counts a hostname's A and AAAA answers as external addresses of each family, naming the hostname", function () {
    const resolved = [resolution(['52.18.7.21', '34.246.9.130'], ['2a05:d018:1e4:a700:6b3f:1c2d:9e8a:41f0'])];
    expect(externalAddresses(NLB, resolved, 'IPv6')).to.deep.equal([{ address: '2a05:d018:1e4:a700:6b3f:1c2d:9e8a:41f0', hostname: NLB_HOSTNAME }]);
    expect(externalAddresses(NLB, resolved, 'IPv4').map((entry) => entry.address)).to.deep.equal(['52.18.7.21', '34.246.9.130']);
    // Ingress ips come first; a resolution of a hostname the Service does not have is ignored.
    expect(externalAddresses(MIXED, resolved, 'IPv4')[0]).to.deep.equal({ address: '172.18.255.201', hostname: undefined });
    expect(externalAddresses(METALLB, resolved, 'IPv6')).to.deep.equal([{ address: 'fc00:f853:ccd:e793:ffff:ffff:ffff:ffc8', hostname: undefined }]);
  });

  it('never counts an answer of the wrong family', function () {
    expect(externalAddresses(NLB, [resolution([], ['52.18.7.21'])], 'IPv6')).to.deep.equal([]);
  });

  it('describes a resolution with its answers and failed lookups', function () {
    expect(describeResolution(resolution(['52.18.7.21'], [], ['AAAA: no answer within 5s']))).to.equal(
      `${NLB_HOSTNAME} -> A [52.18.7.21] AAAA [] (AAAA: no answer within 5s)`,
    );
  });

  it('gives --lb-provider=none and --absent lb-provider the same declared-absent reason', function () {
    expect(declaredLbProvider({ kind: 'none' })).to.deep.equal({ present: false, declaredAbsent: true, reason: 'declared absent (--absent lb-provider)' });
  });
});

describe('loadbalancer judgements with ingress hostnames', function () {
  it('passes a dual-stack NLB whose hostname has A and AAAA answers', function () {
    expect(judgeDualStackLoadBalancer(NLB, [resolution(['52.18.7.21'], ['2a05:d018:1e4:a700:6b3f:1c2d:9e8a:41f0'])])).to.deep.equal([]);
    expect(judgeIpv6LoadBalancer(asIpv6Service(NLB), [resolution([], ['2a05:d018:1e4:a700:6b3f:1c2d:9e8a:41f0'])])).to.deep.equal([]);
  });

  it('fails an IPv4-only NLB, naming the hostname and its answers', function () {
    const [problem] = judgeIpv6LoadBalancer(asIpv6Service(NLB), [resolution(['52.18.7.21', '34.246.9.130'], [])]);
    expect(problem).to.contain('svc dsc-k3x9q2/dual-stack-require-lb-svc');
    expect(problem).to.contain(`ingress hostname ${NLB_HOSTNAME} -> A [52.18.7.21, 34.246.9.130] AAAA []; expected an IPv6 address`);
    expect(problem).not.to.contain('no IPv6 external IP in status.loadBalancer.ingress');
    const dual = judgeDualStackLoadBalancer(NLB, [resolution(['52.18.7.21'], [])]);
    expect(dual).to.have.length(1);
    expect(dual[0]).to.contain('expected an IPv6 address').and.not.to.contain('expected an IPv4 address');
  });

  it('says when a hostname was not resolved, or its lookup failed', function () {
    expect(judgeIpv6LoadBalancer(asIpv6Service(NLB))[0]).to.contain(`ingress hostname ${NLB_HOSTNAME} not resolved; expected an IPv6 address`);
    // Both families missing: the hostname is named once, expecting both.
    const problem = judgeDualStackLoadBalancer(NLB, [resolution([], [], ['A: exit 1: SERVFAIL', 'AAAA: exit 1: SERVFAIL'])])[0] ?? '';
    expect(problem).to.contain(`${NLB_HOSTNAME} -> A [] AAAA [] (A: exit 1: SERVFAIL; AAAA: exit 1: SERVFAIL); expected an IPv4 and an IPv6 address`);
    expect(problem.split(NLB_HOSTNAME)).to.have.length(3); // once in ingress=[...], once in the problem
  });

  it('judges a MetalLB Service by its ingress ips, as before', function () {
    expect(judgeDualStackLoadBalancer(METALLB)).to.deep.equal([]);
    const ipv4Only: V1Service = { ...METALLB, status: { loadBalancer: { ingress: [{ ip: '172.18.255.200', ipMode: 'VIP' }] } } };
    expect(judgeDualStackLoadBalancer(ipv4Only)[0]).to.contain('ingress=[172.18.255.200]').and.contain('no IPv6 external IP in status.loadBalancer.ingress');
    expect(judgeIpv6LoadBalancer(asIpv6Service(METALLB))).to.deep.equal([]);
  });

  it('takes a mixed ingress: the ip for its family, the hostname for the other', function () {
    expect(judgeDualStackLoadBalancer(MIXED, [resolution([], ['2a05:d018:1e4:a700:6b3f:1c2d:9e8a:41f0'])])).to.deep.equal([]);
    const [problem] = judgeDualStackLoadBalancer(MIXED, [resolution(['52.18.7.21'], [])]);
    expect(problem).to.contain(`ingress=[172.18.255.201, ${NLB_HOSTNAME}]`).and.contain(`ingress hostname ${NLB_HOSTNAME} -> A [52.18.7.21] AAAA []; expected an IPv6 address`);
  });
});
