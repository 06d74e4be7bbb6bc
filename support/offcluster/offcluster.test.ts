import { expect } from 'chai';
import { CHECKS, checkById, selectedByFamily } from '../../specs/catalog.ts';
import { parseCli } from '../config.ts';
import { judgeDualStackLoadBalancer } from '../judgements/loadbalancer.ts';
import { ConfigurationError } from '../../lib/errors.ts';
import {
  httpGetCommand,
  judgeHttpGet,
  judgeUdpBurst,
  judgeNslookup,
  judgeOffclusterTarget,
  nslookupCommand,
} from './commands.ts';
import { offclusterImageError, offclusterImageOf, pullStreamError } from './image.ts';
import { networkOfNodes, type DockerNetworkView } from './network.ts';
import { dualNodes, onlyFamily, readText, service } from '../../test/helpers.ts';

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

describe('offcluster: the HTTP GET with timeout and busybox wget', function () {
  it('passes the URL as one argument, IPv6 bracketed, under a timeout, without wget -T (crashes in busybox 1.35)', function () {
    expect(httpGetCommand('fc00:f853:ccd:e793::3', 30938, 5)).to.deep.equal([
      'timeout',
      '5',
      'wget',
      '-q',
      '-O',
      '-',
      'http://[fc00:f853:ccd:e793::3]:30938/hostname',
    ]);
    expect(httpGetCommand('172.18.0.3', 30938, 5).at(-1)).to.equal('http://172.18.0.3:30938/hostname');
    expect(httpGetCommand('172.18.0.3', 80, 5)).not.to.include('-T');
  });

  it('reads the body on success and says why otherwise', function () {
    expect(judgeHttpGet({ exitCode: 0, stdout: 'backend-a\n', stderr: '' }, 5)).to.deep.equal({ answer: 'backend-a', problem: undefined });
    // busybox 1.35's timeout exits 143 (coreutils and newer busybox: 124).
    expect(judgeHttpGet({ exitCode: 143, stdout: '', stderr: '' }, 5).problem).to.equal('no answer within 5s');
    expect(judgeHttpGet({ exitCode: 124, stdout: '', stderr: '' }, 5).problem).to.equal('no answer within 5s');
    expect(judgeHttpGet({ exitCode: 1, stdout: '', stderr: 'wget: can\'t connect to remote host (172.18.0.3): Connection refused\n' }, 5).problem).to.equal(
      "exit 1: wget: can't connect to remote host (172.18.0.3): Connection refused",
    );
    expect(judgeHttpGet({ exitCode: 1, stdout: '', stderr: 'wget: server returned error: HTTP/1.1 503 Service Unavailable' }, 5).problem).to.contain('503');
  });
});

describe('offcluster: resolving an ingress hostname with nslookup', function () {
  const BUSYBOX_AAAA = 'Server:\t\t127.0.0.11\nAddress:\t127.0.0.11:53\n\nNon-authoritative answer:\nName:\tlb.example.com\nAddress: 2001:db8::7\n\n';
  const BUSYBOX_NO_AAAA = "Server:\t\t127.0.0.11\nAddress:\t127.0.0.11:53\n\nNon-authoritative answer:\n*** Can't find lb.example.com: No answer\n\n";
  const BIND_A = 'Server:\t\t127.0.0.11\nAddress:\t127.0.0.11#53\n\nNon-authoritative answer:\nName:\tlb.example.com\nAddress: 192.0.2.7\nName:\tlb.example.com\nAddress: 192.0.2.8\n';
  const NXDOMAIN = "Server:\t\t127.0.0.11\nAddress:\t127.0.0.11:53\n\n** server can't find lb.example.com.: NXDOMAIN\n\n";

  it('asks for one record type of the absolute name, under a timeout', function () {
    expect(nslookupCommand('lb.example.com', 'AAAA', 5)).to.deep.equal(['timeout', '5', 'nslookup', '-type=AAAA', 'lb.example.com.']);
    expect(nslookupCommand('lb.example.com.', 'A', 5).at(-1)).to.equal('lb.example.com.');
  });

  it('takes the answers of the asked family from busybox and BIND output', function () {
    expect(judgeNslookup('AAAA', { exitCode: 0, stdout: BUSYBOX_AAAA, stderr: '' }, 5)).to.deep.equal({ addresses: ['2001:db8::7'], error: undefined });
    expect(judgeNslookup('A', { exitCode: 0, stdout: BIND_A, stderr: '' }, 5).addresses).to.deep.equal(['192.0.2.7', '192.0.2.8']);
    // An AAAA question never yields an IPv4 address (nor the server's own).
    expect(judgeNslookup('AAAA', { exitCode: 0, stdout: BIND_A, stderr: '' }, 5).addresses).to.deep.equal([]);
  });

  it('counts "no such record" as an empty answer, a timeout or server failure as an error', function () {
    expect(judgeNslookup('AAAA', { exitCode: 1, stdout: BUSYBOX_NO_AAAA, stderr: '' }, 5)).to.deep.equal({ addresses: [], error: undefined });
    expect(judgeNslookup('A', { exitCode: 1, stdout: NXDOMAIN, stderr: '' }, 5)).to.deep.equal({ addresses: [], error: undefined });
    expect(judgeNslookup('A', { exitCode: 143, stdout: '', stderr: '' }, 5).error).to.equal('A: no answer within 5s');
    expect(judgeNslookup('A', { exitCode: 1, stdout: '', stderr: ';; connection timed out; no servers could be reached' }, 5).error).to.equal(
      'A: exit 1: ;; connection timed out; no servers could be reached',
    );
  });

  it('counts a server that answers SERVFAIL or REFUSED as an error, not as an empty answer (captured outputs)', function () {
    const run = (file: string, exitCode: number) => ({ exitCode, stdout: readText(`nslookup/${file}.txt`), stderr: '' });
    expect(judgeNslookup('AAAA', run('bind-servfail', 1), 5)).to.deep.equal({ addresses: [], error: 'AAAA: the DNS server answered SERVFAIL' });
    expect(judgeNslookup('A', run('bind-refused', 1), 5).error).to.equal('A: the DNS server answered REFUSED');
    expect(judgeNslookup('AAAA', run('busybox-servfail', 1), 5).error).to.equal('AAAA: the DNS server answered SERVFAIL');
    expect(judgeNslookup('A', run('bind-nxdomain', 1), 5)).to.deep.equal({ addresses: [], error: undefined });
    expect(judgeNslookup('AAAA', run('bind-aaaa-non-authoritative-no-answer', 0), 5)).to.deep.equal({ addresses: [], error: undefined });
    expect(judgeNslookup('A', run('bind-a-non-authoritative', 0), 5).addresses).to.deep.equal(['192.0.2.7', '192.0.2.8']);
  });

  it('counts an unreachable server as an error; BIND prints that on stdout, and exits 1 with a blank line when timeout stops it', function () {
    expect(judgeNslookup('A', { exitCode: 1, stdout: readText('nslookup/bind-no-servers.txt'), stderr: '' }, 5).error).to.match(
      /^A: exit 1: ;; communications error to 172\.19\.0\.2#53: connection refused; .*;; no servers could be reached$/,
    );
    expect(judgeNslookup('AAAA', { exitCode: 1, stdout: '\n', stderr: '' }, 5)).to.deep.equal({ addresses: [], error: 'AAAA: exit 1' });
  });
});

describe('offcluster: the client image', function () {
  it('defaults to the agnhost image, following --agnhost-image, unless --offcluster-image names one', function () {
    const config = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
      const request = parseCli(argv, env);
      if (request.action !== 'run') throw new Error('expected a run');
      return request.config;
    };
    expect(offclusterImageOf(config([]))).to.equal('registry.k8s.io/e2e-test-images/agnhost:2.56');
    expect(offclusterImageOf(config(['--agnhost-image', 'mirror.example/agnhost:2.56']))).to.equal('mirror.example/agnhost:2.56');
    expect(offclusterImageOf(config(['--offcluster-image', 'local/client:1']))).to.equal('local/client:1');
  });

  it('finds the error in docker\'s pull progress stream', function () {
    const lines = [
      '{"status":"Pulling from e2e-test-images/agnhost","id":"2.56"}',
      '{"errorDetail":{"message":"Get \\"https://registry.k8s.io/v2/\\": dial tcp: lookup registry.k8s.io: no such host"},"error":"Get \\"https://registry.k8s.io/v2/\\": dial tcp: lookup registry.k8s.io: no such host"}',
    ];
    expect(pullStreamError(lines)).to.equal('Get "https://registry.k8s.io/v2/": dial tcp: lookup registry.k8s.io: no such host');
    expect(pullStreamError(['{"status":"Digest: sha256:abc"}', '{"status":"Status: Downloaded newer image"}', ''])).to.equal(undefined);
  });

  it('is one pre-flight line naming --offcluster-image and --absent offcluster-network when it cannot be had', function () {
    const error = offclusterImageError('registry.k8s.io/e2e-test-images/agnhost:2.56', 'dial tcp: lookup registry.k8s.io: no such host');
    expect(error).to.be.instanceOf(ConfigurationError);
    expect(error.message).not.to.contain('\n');
    expect(error.message).to.equal(
      "off-cluster client image registry.k8s.io/e2e-test-images/agnhost:2.56 is not in this host's docker and cannot be pulled: " +
        'dial tcp: lookup registry.k8s.io: no such host; name one this host has with --offcluster-image (or DSC_OFFCLUSTER_IMAGE), ' +
        'or run without the off-cluster checks with --absent offcluster-network',
    );
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

describe('offcluster: a UDP burst', function () {
  it('gives every answer to the collector and fails only when nobody answered', function () {
    const seen: string[] = [];
    const accept = (answer: string): string | undefined => {
      seen.push(answer);
      return seen.includes('backend-b') ? undefined : 'never answered: backend-b';
    };
    expect(judgeUdpBurst({ exitCode: 0, stdout: '0 backend-a\n0 (failed)\n0 backend-b\n0 backend-a\n', stderr: '' }, accept)).to.deep.equal({
      answer: 'backend-a x2, (failed) x1, backend-b x1',
      problem: undefined,
    });
    expect(judgeUdpBurst({ exitCode: 143, stdout: '0 (failed)\n', stderr: '' }, accept).problem).to.equal('no UDP answer to 4 requests (1s each, exit 143)');
  });
});
