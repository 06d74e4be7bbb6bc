import type { V1Pod, V1Service } from '@kubernetes/client-node';
import { expect } from 'chai';
import { scratchDirectory } from '../test/helpers.ts';
import { IMAGE_SETTINGS } from './config.ts';
import { ConfigurationError } from '../lib/errors.ts';
import { BACKEND_SERVICES, FIXTURE_FILES, POD_ROLES, SERVICES } from './expectations.ts';
import { FixtureError, loadFixture, loadSingleFixture, renderTemplate } from './fixtures.ts';

const variables = {
  AGNHOST_IMAGE: IMAGE_SETTINGS.agnhost.default,
  BUSYBOX_IMAGE: IMAGE_SETTINGS.busybox.default,
  NAMESPACE: 'dsc-test',
  HOST_NAMESPACE: 'dsc-test-host',
  RUN_ID: 'test',
  HOSTNET_PORT: '19376',
};

const allObjects = () =>
  FIXTURE_FILES.flatMap((fixture) =>
    loadFixture(fixture.file, { variables, namespace: fixture.namespace === 'host' ? 'dsc-test-host' : 'dsc-test' }).map((object) => ({
      fixture,
      object,
    })),
  );

describe('fixtures: the repository manifests', function () {
  it('all load, with images substituted and the run namespace set', function () {
    const objects = allObjects();
    expect(objects.length).to.be.greaterThan(FIXTURE_FILES.length - 1);
    for (const { object } of objects) {
      expect(object.metadata?.namespace).to.match(/^dsc-test/);
      expect(JSON.stringify(object)).not.to.contain('${');
    }
    const pod01 = loadSingleFixture<V1Pod>('pod01.yaml', 'Pod', { variables, namespace: 'dsc-test' });
    expect(pod01.spec?.containers[0]?.image).to.equal('registry.k8s.io/e2e-test-images/busybox:1.37.0-1');
    expect(pod01.spec?.containers[0]?.env?.[0]?.valueFrom?.fieldRef?.fieldPath).to.equal('status.podIPs');
  });

  it('define every pod role and every Service the expectations name', function () {
    const names = allObjects().map(({ object }) => `${object.kind}/${object.metadata?.name ?? ''}`);
    for (const role of POD_ROLES) expect(names, role).to.include(`Pod/${role}`);
    for (const name of Object.values(SERVICES)) expect(names, name).to.include(`Service/${name}`);
  });

  it('give every pod of the main namespace a Pod Security restricted securityContext and the control-plane toleration', function () {
    for (const { fixture, object } of allObjects()) {
      if (object.kind !== 'Pod') continue;
      const pod = object as V1Pod;
      const name = pod.metadata?.name;
      expect(pod.spec?.tolerations, name).to.deep.include({ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' });
      if (fixture.namespace === 'host') {
        expect(pod.spec?.hostNetwork, name).to.equal(true);
        continue;
      }
      expect(pod.spec?.hostNetwork ?? false, name).to.equal(false);
      expect(pod.spec?.securityContext?.runAsNonRoot, name).to.equal(true);
      expect(pod.spec?.securityContext?.runAsUser, name).to.be.greaterThan(0);
      expect(pod.spec?.securityContext?.seccompProfile?.type, name).to.equal('RuntimeDefault');
      for (const container of pod.spec?.containers ?? []) {
        expect(container.securityContext?.allowPrivilegeEscalation, name).to.equal(false);
        expect(container.securityContext?.capabilities?.drop, name).to.deep.equal(['ALL']);
      }
    }
  });

  it("mirror the page's Services: selector app: MyApp, port 80 to targetPort 9376", function () {
    for (const name of [...BACKEND_SERVICES, SERVICES.loadBalancerIpv6]) {
      const svc = loadSingleFixture<V1Service>(`services/${name}.yaml`, 'Service', { variables, namespace: 'dsc-test' });
      expect(svc.spec?.selector).to.deep.equal({ app: 'MyApp' });
      expect(svc.spec?.ports?.[0]?.port).to.equal(80);
      expect(svc.spec?.ports?.[0]?.targetPort).to.equal(9376);
    }
    const ipv6 = loadSingleFixture<V1Service>('services/dual-stack-ipv6-svc.yaml', 'Service', { variables, namespace: 'dsc-test' });
    expect(ipv6.spec?.ipFamilies).to.deep.equal(['IPv6']);
    expect(ipv6.spec?.ipFamilyPolicy).to.equal('SingleStack');
  });
});

describe('fixtures: loading errors are one clear configuration error', function () {
  const { directory, write } = scratchDirectory('dsc-fixtures-');
  const load = (file: string) => () => loadFixture(file, { variables, namespace: 'ns', directory });

  it('names the file and the YAML error of malformed YAML', function () {
    const file = write('broken.yaml', 'apiVersion: v1\nkind: Pod\nmetadata: [\n');
    expect(load(file)).to.throw(FixtureError, /^fixture broken\.yaml is malformed: /);
    expect(load(file)).to.throw(ConfigurationError);
  });

  it('names the document lacking kind or name, and a stray document separator', function () {
    expect(load(write('nokind.yaml', 'apiVersion: v1\nmetadata:\n  name: x\n'))).to.throw(/document 1 lacks apiVersion or kind/);
    expect(load(write('noname.yaml', 'apiVersion: v1\nkind: Service\nmetadata: {}\n'))).to.throw(/document 1 \(Service\) lacks metadata.name/);
    expect(load(write('stray.yaml', 'apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n---\n'))).to.throw(/empty YAML document/);
  });

  it('refuses a placeholder without a value and a missing file', function () {
    expect(() => renderTemplate('image: ${NOPE_IMAGE}', variables, 'x.yaml')).to.throw(/no value for placeholder\(s\) \$\{NOPE_IMAGE\}/);
    expect(load('absent.yaml')).to.throw(/fixture absent\.yaml cannot be read: ENOENT/);
  });

  it('checks the kind of single-object fixtures', function () {
    const file = write('svc.yaml', 'apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n');
    expect(() => loadSingleFixture(file, 'Pod', { variables, namespace: 'ns', directory })).to.throw(/must hold exactly one Pod, found Service/);
  });
});
