// Every request the suite sends to the API server is bounded (timeouts table: apiRequest). client-node 1.4.0 sets no
// timeout of its own, so an API server that stops answering mid-run, or during cleanup, would hang the process.
// - REST: every API client made from a BoundedKubeConfig (makeApiClient, which KubernetesObjectApi.makeApiClient
//   calls too) sends through client-node's own fetch library with an AbortSignal; a request aborted so, headers or
//   body, is a TimeoutError naming the request and the variable that raises the bound.
// - exec (WebSocket): the opening handshake gets ws's handshakeTimeout; after it, support/exec.ts bounds each exec.
import {
  createConfiguration,
  IsomorphicFetchHttpLibrary,
  KubeConfig,
  ResponseContext,
  ServerConfiguration,
  wrapHttpLibrary,
  type ApiConstructor,
  type ApiType,
  type PromiseHttpLibrary,
  type RequestContext,
} from '@kubernetes/client-node';
import { TimeoutError } from '../lib/errors.ts';
import { timeoutEnvName } from './timeouts.ts';
import { formatDuration } from '../lib/log.ts';

/** "GET /version did not answer within 15s (raise DSC_TIMEOUT_API_REQUEST on a slow link)". */
export function didNotAnswer(what: string, ms: number, variable?: string): string {
  const raise = variable ? ` (raise ${variable} on a slow link)` : '';
  return `${what} did not answer within ${formatDuration(ms)}${raise}`;
}

/** "GET /api/v1/namespaces/x": the method and path of a request, without server and query (they only add noise). */
export function describeRequest(method: string, url: string): string {
  let path = url;
  try {
    path = new URL(url).pathname;
  } catch {
    // Not absolute: keep it as it is.
  }
  return `${method} ${path}`;
}

class BoundedFetch implements PromiseHttpLibrary {
  private readonly fetch = new IsomorphicFetchHttpLibrary();

  constructor(private readonly timeoutMs: number) {}

  async send(request: RequestContext): Promise<ResponseContext> {
    const signal = AbortSignal.timeout(this.timeoutMs);
    request.setSignal(signal);
    const what = describeRequest(request.getHttpMethod(), request.getUrl());
    const rephrase = (error: unknown): never => {
      if (signal.aborted) throw new TimeoutError(didNotAnswer(what, this.timeoutMs, timeoutEnvName('apiRequest')));
      throw error;
    };
    const response = await this.fetch.send(request).toPromise().catch(rephrase);
    // The caller reads the body later; the same signal still aborts a body that stalls.
    const body = response.body;
    return new ResponseContext(response.httpStatusCode, response.headers, {
      text: () => body.text().catch(rephrase),
      binary: () => body.binary().catch(rephrase),
    });
  }
}

/** A KubeConfig whose API clients and exec WebSockets give up on a request after `requestTimeoutMs`. */
export class BoundedKubeConfig extends KubeConfig {
  constructor(readonly requestTimeoutMs: number) {
    super();
  }

  // client-node's own makeApiClient, with the bounded fetch as its HTTP library.
  override makeApiClient<T extends ApiType>(apiClientType: ApiConstructor<T>): T {
    const cluster = this.getCurrentCluster();
    if (!cluster) throw new Error('No active cluster!');
    return new apiClientType(
      createConfiguration({
        baseServer: new ServerConfiguration(cluster.server, {}),
        authMethods: { default: this },
        httpApi: wrapHttpLibrary(new BoundedFetch(this.requestTimeoutMs)),
      }),
    );
  }

  override async applyToHTTPSOptions(opts: Parameters<KubeConfig['applyToHTTPSOptions']>[0]): Promise<void> {
    await super.applyToHTTPSOptions(opts);
    // Read by ws when these options open an exec WebSocket; plain https requests ignore it.
    Object.assign(opts, { handshakeTimeout: this.requestTimeoutMs });
  }
}

/** A bounded copy of a loaded kubeconfig (same clusters, users, contexts and current context). */
export function boundedKubeConfig(source: KubeConfig, requestTimeoutMs: number): BoundedKubeConfig {
  const bounded = new BoundedKubeConfig(requestTimeoutMs);
  bounded.loadFromOptions({ clusters: source.clusters, users: source.users, contexts: source.contexts, currentContext: source.currentContext });
  return bounded;
}
