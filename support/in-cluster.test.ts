import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { describeDeclaredAbsent, declaredAbsentReason, parseCli, type RunConfig } from './config.ts';
import { ConfigurationError } from '../lib/errors.ts';
import { chooseClusterSource, configFor, IN_CLUSTER_ABSENCE, loadInClusterConfig, SERVICE_ACCOUNT_DIR } from './in-cluster.ts';

const POD = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };
const config = (argv: string[]): RunConfig => {
  const request = parseCli(argv, {});
  if (request.action !== 'run') throw new Error(`parseCli gave ${request.action}`);
  return request.config;
};

describe('in-cluster: where the credentials come from', function () {
  it('uses the pod ServiceAccount only in a pod with no kubeconfig of any kind', function () {
    expect(chooseClusterSource({ kubeconfig: undefined, embedded: false, files: [], env: POD })).to.deep.equal({
      kind: 'in-cluster',
      server: 'https://10.96.0.1:443',
    });
    expect(chooseClusterSource({ kubeconfig: undefined, embedded: false, files: [], env: { KUBERNETES_SERVICE_HOST: 'fd00:10:96::1', KUBERNETES_SERVICE_PORT: '6443' } }))
      .to.deep.equal({ kind: 'in-cluster', server: 'https://[fd00:10:96::1]:6443' });
  });

  it('prefers a kubeconfig (flag, $KUBECONFIG, ~/.kube/config) and --kind, as kubectl does', function () {
    expect(chooseClusterSource({ kubeconfig: '/k', embedded: false, files: ['/other'], env: POD })).to.deep.equal({ kind: 'kubeconfig', files: ['/k'] });
    expect(chooseClusterSource({ kubeconfig: undefined, embedded: false, files: ['/a', '/b'], env: POD })).to.deep.equal({ kind: 'kubeconfig', files: ['/a', '/b'] });
    expect(chooseClusterSource({ kubeconfig: undefined, embedded: true, files: [], env: POD })).to.deep.equal({ kind: 'embedded' });
  });

  it('falls back to the embedded cluster outside a pod (or with an empty KUBERNETES_SERVICE_HOST)', function () {
    expect(chooseClusterSource({ kubeconfig: undefined, embedded: false, files: [], env: {} })).to.deep.equal({ kind: 'embedded' });
    expect(chooseClusterSource({ kubeconfig: undefined, embedded: false, files: [], env: { KUBERNETES_SERVICE_HOST: '' } })).to.deep.equal({ kind: 'embedded' });
  });
});

describe('in-cluster: the off-cluster checks are declared absent, with the reason', function () {
  it('adds offcluster-network in catalog order and says why in the header and the skip reason', function () {
    const inPod = configFor(config(['--strict', '--absent', 'lb-provider']), { kind: 'in-cluster', server: 'https://10.96.0.1:443' });
    expect(inPod.absent).to.deep.equal(['lb-provider', 'offcluster-network']);
    expect(inPod.strict).to.equal(true);
    expect(declaredAbsentReason('offcluster-network', inPod)).to.equal(`declared absent (${IN_CLUSTER_ABSENCE})`);
    expect(declaredAbsentReason('lb-provider', inPod)).to.equal('declared absent (--absent lb-provider)');
    expect(describeDeclaredAbsent(inPod)).to.equal(
      'Declared absent: lb-provider, offcluster-network (in-cluster run: no off-cluster client) (their checks are skipped without detection, also under --strict)',
    );
  });

  it('keeps the flag as the reason when --absent offcluster-network was given, and changes nothing outside a pod', function () {
    const flagged = config(['--absent', 'offcluster-network']);
    expect(configFor(flagged, { kind: 'in-cluster', server: 'https://10.96.0.1:443' })).to.equal(flagged);
    const plain = config([]);
    expect(configFor(plain, { kind: 'kubeconfig', files: ['/k'] })).to.equal(plain);
    expect(configFor(plain, { kind: 'embedded' })).to.equal(plain);
  });
});

describe('in-cluster: loading the ServiceAccount credentials', function () {
  const base = mkdtempSync(path.join(tmpdir(), 'dsc-sa-'));
  after(() => rmSync(base, { recursive: true, force: true }));
  it('names the missing token (automountServiceAccountToken: false)', function () {
    const root = mkdtempSync(path.join(base, 'root-'));
    expect(() => loadInClusterConfig(root)).to.throw(ConfigurationError, `${root}${SERVICE_ACCOUNT_DIR}/token is missing`);
  });

  it('reads the token and CA files the kubelet mounts, for the service address of the environment', function () {
    const root = mkdtempSync(path.join(base, 'root-'));
    mkdirSync(`${root}${SERVICE_ACCOUNT_DIR}`, { recursive: true });
    for (const file of ['token', 'ca.crt', 'namespace']) writeFileSync(`${root}${SERVICE_ACCOUNT_DIR}/${file}`, 'x');
    const saved = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT };
    Object.assign(process.env, POD);
    try {
      const loaded = loadInClusterConfig(root);
      expect(loaded.getCurrentCluster()?.server).to.equal('https://10.96.0.1:443');
      expect(loaded.getCurrentCluster()?.caFile).to.equal(`${root}${SERVICE_ACCOUNT_DIR}/ca.crt`);
    } finally {
      for (const [key, value] of [['KUBERNETES_SERVICE_HOST', saved.host], ['KUBERNETES_SERVICE_PORT', saved.port]] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });
});
