import { CoreV1Api, Exec, KubeConfig } from '@kubernetes/client-node';
import { expect } from 'chai';
import { boundedKubeConfig, describeRequest, didNotAnswer } from './bounded-kubeconfig.ts';
import { TimeoutError } from '../lib/errors.ts';
import { makeClients } from './k8s.ts';
// An API server that stopped answering: accepts connections on 127.0.0.1, never answers.
import { silentServer } from '../selftest/robustness-bad-input.ts';

function kubeConfigFor(server: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'silent', server, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'x' }],
    contexts: [{ name: 'silent', cluster: 'silent', user: 'u' }],
    currentContext: 'silent',
  });
  return kubeConfig;
}

describe('bounded kubeconfig: every API request gives up', function () {
  let silent: Awaited<ReturnType<typeof silentServer>>;
  before(async function () {
    silent = await silentServer();
  });
  after(async function () {
    await silent.close();
  });

  it('names a request by method and path, and the variable raising the bound', function () {
    expect(describeRequest('DELETE', 'https://127.0.0.1:6443/api/v1/namespaces/dsc-ab?propagationPolicy=Background')).to.equal(
      'DELETE /api/v1/namespaces/dsc-ab',
    );
    expect(didNotAnswer('GET /version', 3_000, 'DSC_TIMEOUT_API_REQUEST')).to.equal(
      'GET /version did not answer within 3s (raise DSC_TIMEOUT_API_REQUEST on a slow link)',
    );
  });

  it('a REST call to a server that never answers fails within the bound, naming the request', async function () {
    const clients = makeClients(kubeConfigFor(`https://127.0.0.1:${silent.port}`), 300);
    const started = Date.now();
    const error = await clients.core.deleteNamespace({ name: 'dsc-ab' }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    const elapsed = Date.now() - started;
    expect(error).to.be.instanceOf(TimeoutError);
    expect((error as Error).message).to.equal('DELETE /api/v1/namespaces/dsc-ab did not answer within 300ms (raise DSC_TIMEOUT_API_REQUEST on a slow link)');
    expect(elapsed).to.be.within(250, 2_000);
  });

  it('API clients made from it by other means (makeApiClient) are bounded too; the source kubeconfig is not', async function () {
    const source = kubeConfigFor(`https://127.0.0.1:${silent.port}`);
    const bounded = boundedKubeConfig(source, 200);
    expect(bounded.getCurrentCluster()?.server).to.equal(source.getCurrentCluster()?.server);
    const error = await bounded.makeApiClient(CoreV1Api).listNamespace().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect((error as Error).message).to.match(/^GET \/api\/v1\/namespaces did not answer within 200ms/);
    expect(source).to.not.equal(bounded);
  });

  it("an exec's WebSocket handshake to a server that never answers fails within the bound", async function () {
    const bounded = boundedKubeConfig(kubeConfigFor(`https://127.0.0.1:${silent.port}`), 300);
    const started = Date.now();
    const error = await new Exec(bounded).exec('ns', 'pod', 'c', ['true'], null, null, null, false).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(String((error as Error | undefined)?.message)).to.contain('handshake has timed out');
    expect(Date.now() - started).to.be.within(250, 2_000);
  });
});
