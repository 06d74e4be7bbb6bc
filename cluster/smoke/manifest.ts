// The smoke test's objects: one agnhost server pinned to each node and a Service of the variant's families
// (and, on a cluster with a LoadBalancer provider, a LoadBalancer Service of the same families).
import { dumpYaml } from '@kubernetes/client-node';
import { versions } from '../lib/paths.ts';
import type { IpFamily as Family } from '../../lib/ip.ts';

export function smokeManifest(ns: string, nodeNames: string[], families: Family[], loadBalancer = false): string {
  const image = `registry.k8s.io/e2e-test-images/agnhost:${versions().AGNHOST_TAG}`;
  const spec = {
    selector: { app: 'smoke' },
    ipFamilyPolicy: families.length === 2 ? 'RequireDualStack' : 'SingleStack',
    ipFamilies: families,
    ports: [{ port: 80, targetPort: 9376 }],
  };
  const objects: object[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { 'app.kubernetes.io/managed-by': 'dualstack-conformance-smoke' } } },
    ...nodeNames.map((node, i) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `server-${i}`, namespace: ns, labels: { app: 'smoke' } },
      spec: {
        nodeName: node,
        containers: [{ name: 'agnhost', image, imagePullPolicy: 'IfNotPresent', args: ['netexec', '--http-port=9376'] }],
        terminationGracePeriodSeconds: 1,
      },
    })),
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'smoke', namespace: ns }, spec },
    ...(loadBalancer ? [{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'smoke-lb', namespace: ns }, spec: { ...spec, type: 'LoadBalancer' } }] : []),
  ];
  return objects.map((o) => dumpYaml(o)).join('---\n');
}
