// deploy/job.yaml and deploy/sonobuoy-plugin.yaml: the image of this version, the least-privilege ServiceAccount with
// its token, Pod Security restricted, and Sonobuoy's plugin contract (selftest/in-cluster.ts runs both on a cluster).
import { readFileSync } from 'node:fs';
import { loadAllYaml, loadYaml, type V1Container, type V1Job } from '@kubernetes/client-node';
import { expect } from 'chai';

const read = (file: string): string => readFileSync(new URL(`../deploy/${file}`, import.meta.url), 'utf8');
const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const IMAGE = `dualstack-conformance/suite:${version}`;
const account = (loadAllYaml(read('rbac.yaml')) as { kind: string; metadata: { name: string; namespace?: string } }[]).find((o) => o.kind === 'ServiceAccount');

function restricted(container: V1Container): void {
  expect(container.image, container.name).to.equal(IMAGE);
  expect(container.imagePullPolicy, container.name).to.equal('IfNotPresent');
  expect(container.securityContext?.allowPrivilegeEscalation, container.name).to.equal(false);
  expect(container.securityContext?.capabilities?.drop, container.name).to.deep.equal(['ALL']);
  expect(container.securityContext?.privileged ?? false, container.name).to.equal(false);
}

describe('deploy/job.yaml', function () {
  const job = loadYaml<V1Job>(read('job.yaml'));
  const pod = job.spec?.template.spec;

  it('runs as rbac.yaml\'s ServiceAccount, in its namespace, with the token mounted', function () {
    expect(account?.metadata).to.deep.equal({ name: 'dualstack-conformance', namespace: 'dualstack-conformance' });
    expect(job.metadata?.namespace).to.equal(account?.metadata.namespace);
    expect(pod?.serviceAccountName).to.equal(account?.metadata.name);
    expect(pod?.automountServiceAccountToken).to.equal(true);
  });

  it('is Pod Security restricted: non-root, RuntimeDefault seccomp, no escalation, every capability dropped', function () {
    expect(pod?.securityContext?.runAsNonRoot).to.equal(true);
    expect(pod?.securityContext?.runAsUser).to.be.greaterThan(0);
    expect(pod?.securityContext?.seccompProfile?.type).to.equal('RuntimeDefault');
    expect(pod?.hostNetwork ?? false).to.equal(false);
    expect(pod?.containers.map((c) => c.name)).to.deep.equal(['suite', 'reports']);
    for (const container of pod?.containers ?? []) restricted(container);
  });

  it('runs --strict into the reports volume, which the reports container keeps', function () {
    const [suite, reports] = pod?.containers ?? [];
    expect(suite?.args).to.include('--strict');
    expect(suite?.args?.join(' ')).to.include('--reports-dir /reports');
    expect(suite?.command?.join(' ')).to.include('>/reports/exit-code');
    expect(reports?.command?.join(' ')).to.include('/reports/exit-code');
    for (const container of [suite, reports]) expect(container?.volumeMounts).to.deep.equal([{ name: 'reports', mountPath: '/reports' }]);
    expect(pod?.volumes).to.deep.equal([{ name: 'reports', emptyDir: {} }]);
    expect(pod?.restartPolicy).to.equal('Never');
    expect(job.spec?.backoffLimit).to.equal(0);
  });
});

describe('deploy/sonobuoy-plugin.yaml: Sonobuoy\'s plugin contract', function () {
  const plugin = loadYaml<{ 'sonobuoy-config': Record<string, string>; spec: V1Container }>(read('sonobuoy-plugin.yaml'));

  it('is a Job plugin with JUnit results', function () {
    expect(plugin['sonobuoy-config']).to.include({ driver: 'Job', 'plugin-name': 'dualstack-conformance', 'result-format': 'junit' });
    expect(plugin['sonobuoy-config'].description).to.be.a('string').and.not.equal('');
  });

  it('mounts Sonobuoy\'s results volume at the results directory and runs the restricted image', function () {
    expect(plugin.spec.name).to.equal('plugin');
    expect(plugin.spec.volumeMounts).to.deep.equal([{ name: 'results', mountPath: '/tmp/sonobuoy/results' }]);
    expect(plugin.spec.env).to.deep.include({ name: 'SONOBUOY_RESULTS_DIR', value: '/tmp/sonobuoy/results' });
    expect(plugin.spec.securityContext?.runAsNonRoot).to.equal(true);
    restricted(plugin.spec);
  });

  it('writes the reports to the results directory, then the path of junit.xml to <results dir>/done', function () {
    const script = [...(plugin.spec.command ?? []), ...(plugin.spec.args ?? [])].join(' ');
    expect(script).to.include('dir=${SONOBUOY_RESULTS_DIR:-/tmp/sonobuoy/results}');
    expect(script).to.match(/dualstack-conformance --strict --reports-dir "\$dir"/);
    expect(script).to.include('echo "$dir/junit.xml" >"$dir/done"');
    // the done file comes last: Sonobuoy's worker uploads as soon as it appears
    expect(script.lastIndexOf('/done"')).to.be.greaterThan(script.indexOf('dualstack-conformance --strict'));
  });
});
