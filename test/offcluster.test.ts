import { expect } from 'chai';
import { CHECKS, checkById, selectedByFamily } from '../support/checks.ts';
import { parseCli } from '../support/config.ts';
import { judgeDualStackLoadBalancer } from '../support/judgements.ts';
import { httpGetCommand, judgeOffclusterTarget, networkOfNodes, parseHttpResponse, type DockerNetworkView } from '../support/offcluster.ts';
import { dualNodes, onlyFamily, service } from './helpers.ts';

// The captured kind nodes: dualstack-control-plane 172.18.0.2 / fc00:f853:ccd:e793::2 and dualstack-worker .3 / ::3.
const KIND: DockerNetworkView = {
  name: 'kind',
  subnets: ['172.18.0.0/16', 'fc00:f853:ccd:e793::/64'],
  containers: [
    { name: 'dualstack-control-plane', addresses: ['172.18.0.2/16', 'fc00:f853:ccd:e793::2/64'] },
    { name: 'dualstack-worker', addresses: ['172.18.0.3/16', 'fc00:f853:ccd:e793::3/64'] },
    { name: 'other-cluster-node', addresses: ['172.18.0.4/16', 'fc00:f853:ccd:e793::4/64'] },
  ],
};
const BRIDGE: DockerNetworkView = { name: 'bridge', subnets: ['172.17.0.0/16'], containers: [] };
const CLUSTER_CIDRS = ['10.96.0.0/16', 'fd00:10:96::/112', '10.244.0.0/24', 'fd00:10:244::/64', '10.244.1.0/24', 'fd00:10:244:1::/64'];

describe('offcluster: where the client attaches', function () {
  it('finds the docker network on which every node is a container', function () {
    const found = networkOfNodes(dualNodes(), [BRIDGE, KIND]);
    expect(found).to.have.property('network', 'kind');
    expect(found).to.have.property('how').that.contains('dualstack-worker=dualstack-worker');
  });

  it('finds it from the IPv4 addresses alone on an IPv4-only cluster', function () {
    expect(networkOfNodes(dualNodes().map((node) => onlyFamily(node, 'IPv4')), [KIND])).to.have.property('network', 'kind');
  });

  it('says why when the nodes are not containers on a docker network (not kind)', function () {
    const partial: DockerNetworkView = { ...KIND, containers: KIND.containers.slice(0, 1) };
    const found = networkOfNodes(dualNodes(), [BRIDGE, partial]);
    expect(found).to.have.property('reason').that.contains('not containers on a docker network').and.contains('--offcluster-network');
  });
});

describe('offcluster: which addresses may be probed', function () {
  it('allows node and LoadBalancer addresses inside the network subnets, IPv6 in any spelling', function () {
    expect(judgeOffclusterTarget('172.18.0.3', KIND.subnets, CLUSTER_CIDRS)).to.equal(undefined);
    expect(judgeOffclusterTarget('fc00:f853:ccd:e793:ffff:ffff:ffff:ff88', KIND.subnets, CLUSTER_CIDRS)).to.equal(undefined);
    expect(judgeOffclusterTarget('FC00:F853:0CCD:E793:0:0:0:3', KIND.subnets, CLUSTER_CIDRS)).to.equal(undefined);
  });

  it('never probes pod or Service CIDRs, nor anything outside the subnets', function () {
    expect(judgeOffclusterTarget('10.96.0.10', KIND.subnets, CLUSTER_CIDRS)).to.contain("lies in the cluster's CIDR 10.96.0.0/16");
    expect(judgeOffclusterTarget('fd00:10:244:1::5', KIND.subnets, CLUSTER_CIDRS)).to.contain('fd00:10:244:1::/64');
    expect(judgeOffclusterTarget('192.0.2.1', KIND.subnets, CLUSTER_CIDRS)).to.contain('outside the off-cluster network');
    expect(judgeOffclusterTarget('fc00:f853:ccd:e793::3', ['172.18.0.0/16'], CLUSTER_CIDRS)).to.contain('outside');
  });

  it('refuses IPv4-mapped and zoned addresses', function () {
    expect(judgeOffclusterTarget('::ffff:172.18.0.3', KIND.subnets, CLUSTER_CIDRS)).to.contain('no plain IP address');
    expect(judgeOffclusterTarget('fe80::1%eth0', KIND.subnets, CLUSTER_CIDRS)).to.contain('no plain IP address');
  });
});

describe('offcluster: the HTTP GET over bash /dev/tcp', function () {
  it('passes address and port as arguments, IPv6 unbracketed, under a timeout', function () {
    const command = httpGetCommand('fc00:f853:ccd:e793::3', 30938, 5);
    expect(command.slice(0, 4)).to.deep.equal(['timeout', '5', 'bash', '-c']);
    expect(command.slice(-2)).to.deep.equal(['fc00:f853:ccd:e793::3', '30938']);
    expect(command[4]).to.contain('/dev/tcp/$0/$1').and.contain('GET /hostname HTTP/1.0');
  });

  it('parses status and body of the answer', function () {
    expect(parseHttpResponse('HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nbackend-a')).to.deep.equal({ status: 200, body: 'backend-a' });
    expect(parseHttpResponse('HTTP/1.0 503 Service Unavailable\r\n\r\n').status).to.equal(503);
    expect(parseHttpResponse('')).to.deep.equal({ status: undefined, body: '' });
  });
});

describe('offcluster and dual-stack LoadBalancer checks in the catalog', function () {
  it('expand lb.dual.reachable per family, each needing both families (its fixture is RequireDualStack)', function () {
    expect(checkById('lb.dual.reachable.ipv4').requiresFamilies).to.deep.equal(['IPv4', 'IPv6']);
    expect(checkById('lb.dual.reachable.ipv6').title).to.contain('IPv6');
    expect(checkById('offcluster.nodeport.ipv6').requiresFamilies).to.deep.equal(['IPv6']);
    expect(checkById('lb.ipv6.reachable').skipsWithout).to.include('offcluster-network');
    expect(CHECKS.filter((check) => selectedByFamily(check, 'IPv4')).map((check) => check.id)).not.to.include('lb.dual.reachable.ipv4');
  });

  it('judges a RequireDualStack LoadBalancer Service by both external IP families', function () {
    const lb = service('dual-stack-require-lb-svc', { ipFamilies: ['IPv4', 'IPv6'], clusterIPs: ['10.96.0.77', 'fd00:10:96::77'] });
    const ingress = [{ ip: '172.18.255.136' }, { ip: 'fc00:f853:ccd:e793:ffff:ffff:ffff:ff89' }];
    expect(judgeDualStackLoadBalancer({ ...lb, status: { loadBalancer: { ingress } } })).to.deep.equal([]);
    expect(judgeDualStackLoadBalancer({ ...lb, status: { loadBalancer: { ingress: ingress.slice(0, 1) } } })[0]).to.contain(
      'no IPv6 external IP in status.loadBalancer.ingress',
    );
  });

  it('takes --offcluster-network and --offcluster-image from flags before the environment', function () {
    const config = (argv: string[], env: NodeJS.ProcessEnv) => {
      const request = parseCli(argv, env);
      if (request.action !== 'run') throw new Error('expected a run');
      return request.config;
    };
    expect(config([], {}).offclusterNetwork).to.equal(undefined);
    expect(config([], { DSC_OFFCLUSTER_NETWORK: 'kind' }).offclusterNetwork).to.equal('kind');
    expect(config(['--offcluster-network', 'lab'], { DSC_OFFCLUSTER_NETWORK: 'kind' }).offclusterNetwork).to.equal('lab');
    expect(config(['--offcluster-image', 'local/client:1'], { DSC_OFFCLUSTER_IMAGE: 'x:1' }).offclusterImage).to.equal('local/client:1');
    expect(() => config(['--offcluster-network', ' '], {})).to.throw(/--offcluster-network is empty/);
  });
});
