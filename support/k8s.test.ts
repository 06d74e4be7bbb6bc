import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ConfigurationError, describeError, httpStatusOf } from '../lib/errors.ts';
import { kubeconfigFiles, loadKubeConfig, REQUIRED_PERMISSIONS, describePermission } from './k8s.ts';
import { namespaceManifests, newRunId, runNamespaceNames } from './namespace.ts';

const directory = mkdtempSync(path.join(tmpdir(), 'dsc-kubeconfig-'));
after(() => rmSync(directory, { recursive: true, force: true }));
const kubeconfig = (name: string, text: string): string => {
  const file = path.join(directory, name);
  writeFileSync(file, text);
  return file;
};
const VALID = `apiVersion: v1
kind: Config
current-context: kind-dualstack
clusters:
- name: kind-dualstack
  cluster: { server: "https://127.0.0.1:6443" }
users:
- name: kind-dualstack
  user: { token: abc }
contexts:
- name: kind-dualstack
  context: { cluster: kind-dualstack, user: kind-dualstack }
- name: dangling
  context: { cluster: nowhere, user: kind-dualstack }
`;

describe('k8s: kubeconfig loading', function () {
  it('finds $KUBECONFIG files, else ~/.kube/config only when it exists', function () {
    expect(kubeconfigFiles({ KUBECONFIG: `/a${path.delimiter}/b` }, '/home/x')).to.deep.equal(['/a', '/b']);
    expect(kubeconfigFiles({}, directory)).to.deep.equal([]);
  });

  it('loads a valid kubeconfig on its current-context or on --context', function () {
    const file = kubeconfig('ok.yaml', VALID);
    expect(loadKubeConfig([file], undefined).getCurrentContext()).to.equal('kind-dualstack');
    expect(loadKubeConfig([file], 'kind-dualstack').getCurrentCluster()?.server).to.equal('https://127.0.0.1:6443');
  });

  it('turns each bad kubeconfig into one line naming the file or context', function () {
    const file = kubeconfig('ok2.yaml', VALID);
    expect(() => loadKubeConfig(['/does/not/exist'], undefined)).to.throw(ConfigurationError, 'kubeconfig /does/not/exist does not exist');
    expect(() => loadKubeConfig([kubeconfig('bad.yaml', 'clusters: [')], undefined)).to.throw(ConfigurationError, /bad\.yaml is malformed: /);
    expect(() => loadKubeConfig([file], 'nope')).to.throw(ConfigurationError, 'context "nope" not found in kubeconfig');
    expect(() => loadKubeConfig([file], 'dangling')).to.throw(ConfigurationError, 'names cluster "nowhere"');
    expect(() => loadKubeConfig([kubeconfig('empty.yaml', 'apiVersion: v1\nkind: Config\n')], undefined)).to.throw(ConfigurationError, /no current-context/);
    expect(() => loadKubeConfig([], undefined)).to.throw(ConfigurationError, /no kubeconfig/);
  });
});

describe('errors: API errors in one line', function () {
  it('takes the Status message out of an ApiException body (JSON text or object)', function () {
    const body = JSON.stringify({ kind: 'Status', message: 'Service "x" is invalid: spec.ipFamilies[0]: Invalid value: "IPv6": not configured on this cluster', code: 422 });
    const error = Object.assign(new Error('HTTP-Code: 422'), { code: 422, body });
    expect(httpStatusOf(error)).to.equal(422);
    expect(describeError(error)).to.equal('HTTP 422: Service "x" is invalid: spec.ipFamilies[0]: Invalid value: "IPv6": not configured on this cluster');
    expect(describeError(Object.assign(new Error('x'), { code: 403, body: { message: 'forbidden' } }))).to.equal('HTTP 403: forbidden');
  });

  it('adds a network cause code to a plain error', function () {
    const error = new Error('request to https://127.0.0.1:1/version failed', { cause: { code: 'ECONNREFUSED' } });
    expect(describeError(error)).to.equal('request to https://127.0.0.1:1/version failed (ECONNREFUSED)');
    expect(httpStatusOf(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).to.equal(undefined);
  });
});

describe('k8s: permissions the suite needs', function () {
  it('are data, described as verbs on resources', function () {
    expect(REQUIRED_PERMISSIONS.map(describePermission)).to.include('create pods/exec').and.include('list endpointslices.discovery.k8s.io');
  });
});

describe('namespace: the two run namespaces', function () {
  it('get generated DNS-label names and labels naming the suite and the run', function () {
    const names = runNamespaceNames(newRunId());
    expect(names.main).to.match(/^dsc-[a-z0-9]{8}$/);
    expect(names.host).to.equal(`${names.main}-host`);
    expect(newRunId()).not.to.equal(newRunId());
    const { main, host } = namespaceManifests(names);
    expect(main.metadata?.labels).to.include({
      'app.kubernetes.io/managed-by': 'dualstack-conformance',
      'dualstack-conformance/run-id': names.runId,
      'pod-security.kubernetes.io/enforce': 'restricted',
    });
    expect(host.metadata?.labels?.['pod-security.kubernetes.io/enforce']).to.equal('privileged');
  });
});
