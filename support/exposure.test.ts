import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { KubernetesObject, V1Container, V1Pod, V1Service } from '@kubernetes/client-node';
import { expect } from 'chai';
import { IMAGE_SETTINGS } from './config.ts';
import { fixtureVariables } from './deploy.ts';
import { envEntry } from './env.ts';
import { FIXTURE_FILES, SERVICES } from './expectations.ts';
import { describeSourceRanges, LOAD_BALANCER_SERVICES, loadBalancerSourceRanges, restrictLoadBalancers } from './exposure.ts';
import { FIXTURES_DIR, FixtureError, loadFixture, parseFixture } from './fixtures.ts';
import { runNamespaceNames } from './namespace.ts';
import type { OffclusterNetwork } from './offcluster/network.ts';

const images = { agnhost: IMAGE_SETTINGS.agnhost.default, busybox: IMAGE_SETTINGS.busybox.default };
/** What a run substitutes, with the per-node placeholders of the node fixtures. */
const variables = { ...fixtureVariables(runNamespaceNames('test'), images), NODE_NAME: 'dualstack-worker', NODE_INDEX: '0' };

/** Every YAML file under fixtures/, whether or not a run uses it: a pod nobody lists must not slip through. */
function fixtureFiles(directory = FIXTURES_DIR, prefix = ''): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? fixtureFiles(path.join(directory, entry.name), `${prefix}${entry.name}/`)
      : entry.name.endsWith('.yaml')
        ? [`${prefix}${entry.name}`]
        : [],
  );
}

const objectsOf = (file: string): KubernetesObject[] => loadFixture(file, { variables, namespace: 'dsc-test' });
const commandLine = (container: V1Container): string => [...(container.command ?? []), ...(container.args ?? [])].join(' ');

/** The kind network as docker reports it on this machine (docker network inspect kind). */
const KIND_NETWORK: OffclusterNetwork = {
  available: true,
  network: 'kind',
  subnets: ['172.18.0.0/16', 'fc00:f853:ccd:e793::/64'],
  how: 'the nodes are containers on it (dualstack-control-plane=dualstack-control-plane, dualstack-worker=dualstack-worker)',
};

describe('exposure: the fixture pods', function () {
  const pods = fixtureFiles().flatMap((file) =>
    objectsOf(file)
      .filter((object) => object.kind === 'Pod')
      .map((object) => ({ file, pod: object as V1Pod })),
  );

  it('are every pod the fixtures define (eight files hold one each)', function () {
    expect(pods.map(({ file }) => file).sort()).to.deep.equal([
      'backend-a.yaml',
      'backend-b.yaml',
      'client.yaml',
      'hairpin.yaml',
      'hostnetwork-pod.yaml',
      'node-client.yaml',
      'node-hostnet.yaml',
      'pod01.yaml',
    ]);
  });

  it('mount no ServiceAccount token: automountServiceAccountToken is false on each', function () {
    for (const { file, pod } of pods) expect(pod.spec?.automountServiceAccountToken, file).to.equal(false);
  });

  it('run no netexec: agnhost serves only the hostname (serve-hostname) or waits (pause)', function () {
    for (const { file, pod } of pods) {
      for (const container of pod.spec?.containers ?? []) {
        const where = `${file} container ${container.name}: ${commandLine(container)}`;
        expect(commandLine(container), where).to.not.contain('netexec');
        if (container.image === images.agnhost) expect(container.args?.[0], where).to.be.oneOf(['serve-hostname', 'pause']);
      }
    }
  });

  it('serve HTTP and UDP on 9376 from the backends, one serve-hostname each (it serves one of them per process)', function () {
    for (const file of ['backend-a.yaml', 'backend-b.yaml']) {
      const pod = objectsOf(file)[0] as V1Pod;
      const served = (pod.spec?.containers ?? []).map((container) => ({
        args: container.args,
        ports: (container.ports ?? []).map((port) => `${port.protocol ?? 'TCP'}/${port.containerPort}`),
      }));
      expect(served, file).to.deep.equal([
        { args: ['serve-hostname', '--http', '--port=9376'], ports: ['TCP/9376'] },
        { args: ['serve-hostname', '--udp', '--http=false', '--port=9376'], ports: ['UDP/9376'] },
      ]);
    }
  });
});

describe('exposure: LoadBalancer source ranges', function () {
  it("admit the off-cluster client's docker network, both families, in canonical form", function () {
    const ranges = loadBalancerSourceRanges(KIND_NETWORK);
    expect(ranges.ranges).to.deep.equal(['172.18.0.0/16', 'fc00:f853:ccd:e793::/64']);
    expect(describeSourceRanges(ranges)).to.equal(
      "172.18.0.0/16, fc00:f853:ccd:e793::/64 (docker network kind's subnets, where the off-cluster client probes from)",
    );
    const sloppy = loadBalancerSourceRanges({ ...KIND_NETWORK, subnets: ['172.18.0.7/16', 'FC00:F853:0CCD:E793:0:0:0:1/64'] });
    expect(sloppy.ranges).to.deep.equal(['172.18.0.0/16', 'fc00:f853:ccd:e793::/64']);
  });

  it('give a family the network lacks a loopback range: none of a family would leave it open to all (kube-proxy)', function () {
    const ipv4Only = loadBalancerSourceRanges({ ...KIND_NETWORK, subnets: ['172.18.0.0/16'] });
    expect(ipv4Only.ranges).to.deep.equal(['172.18.0.0/16', '::1/128']);
    expect(ipv4Only.how).to.equal("IPv4: docker network kind's subnets, where the off-cluster client probes from; IPv6: nobody: docker network kind has no IPv6 subnet");
  });

  it('admit nobody without an off-cluster network, saying why', function () {
    const reason = 'declared absent (--absent offcluster-network)';
    const none = loadBalancerSourceRanges({ available: false, declared: false, reason });
    expect(none.ranges).to.deep.equal(['127.0.0.1/32', '::1/128']);
    expect(none.how).to.equal(`nobody: ${reason}`);
  });

  it('are set on exactly the LoadBalancer Services of the real fixtures, after parsing', function () {
    const objects = FIXTURE_FILES.flatMap((fixture) => objectsOf(fixture.file));
    const ranges = loadBalancerSourceRanges(KIND_NETWORK);
    const restricted = restrictLoadBalancers(objects, ranges);
    expect(restricted.sort()).to.deep.equal([...LOAD_BALANCER_SERVICES].sort());
    expect(restricted).to.include.members([SERVICES.loadBalancerIpv6, SERVICES.loadBalancerDual]);
    for (const object of objects.filter((o) => o.kind === 'Service')) {
      const service = object as V1Service;
      const expected = service.spec?.type === 'LoadBalancer' ? ranges.ranges : undefined;
      expect(service.spec?.loadBalancerSourceRanges, service.metadata?.name).to.deep.equal(expected);
    }
  });

  it('refuse a LoadBalancer Service the end of the run would not delete', function () {
    const text = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: extra-lb\nspec:\n  type: LoadBalancer\n  ports: [{port: 80}]\n';
    const objects = parseFixture(text, 'extra.yaml', 'dsc-test');
    expect(() => restrictLoadBalancers(objects, loadBalancerSourceRanges(KIND_NETWORK))).to.throw(FixtureError, /extra-lb is not one the run deletes/);
  });
});

describe('exposure: the report keeps one variable of a pod environment', function () {
  it('records MY_POD_IPS only, out of the whole `env` output', function () {
    const env = 'PATH=/usr/bin\nHOSTNAME=pod01\nMY_POD_IPS=10.244.1.4,fd00:10:244:1::4\nKUBERNETES_PORT=tcp://10.96.0.1:443\n';
    expect(envEntry(env, 'MY_POD_IPS')).to.equal('MY_POD_IPS=10.244.1.4,fd00:10:244:1::4');
    expect(envEntry('HOME=/\n', 'MY_POD_IPS')).to.equal('(env has no MY_POD_IPS)');
  });
});
