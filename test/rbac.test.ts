import { readFileSync } from 'node:fs';
import { loadAllYaml, type V1PolicyRule } from '@kubernetes/client-node';
import { expect } from 'chai';
import { describePermission, REQUIRED_PERMISSIONS, type Permission } from '../support/k8s.ts';

interface RbacObject {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  rules?: V1PolicyRule[];
}

const objects = loadAllYaml(readFileSync(new URL('../deploy/rbac.yaml', import.meta.url), 'utf8')) as RbacObject[];
const clusterRules = objects.filter((o) => o.kind === 'ClusterRole').flatMap((o) => o.rules ?? []);
const roleRules = (namespace: string) => objects.filter((o) => o.kind === 'Role' && o.metadata.namespace === namespace).flatMap((o) => o.rules ?? []);

const resourceOf = (p: Permission) => (p.subresource ? `${p.resource}/${p.subresource}` : p.resource);
const grants = (rule: V1PolicyRule, p: Permission) =>
  (rule.apiGroups ?? []).includes(p.group) &&
  (rule.resources ?? []).includes(resourceOf(p)) &&
  rule.verbs.includes(p.verb) &&
  (rule.resourceNames === undefined || (p.name !== undefined && rule.resourceNames.includes(p.name)));

describe('deploy/rbac.yaml: least privilege', function () {
  it('grants every permission the suite needs (REQUIRED_PERMISSIONS), namespaced ones only in their namespace', function () {
    for (const p of REQUIRED_PERMISSIONS) {
      const rules = p.namespace ? roleRules(p.namespace) : clusterRules;
      expect(rules.some((rule) => grants(rule, p)), describePermission(p)).to.equal(true);
    }
  });

  it('grants nothing else: every verb on every resource of every rule is a required permission', function () {
    const check = (rules: V1PolicyRule[], namespace: string | undefined) => {
      for (const rule of rules) {
        expect(rule.resources ?? [], 'no wildcard').to.not.include('*');
        expect(rule.verbs, 'no wildcard').to.not.include('*');
        for (const group of rule.apiGroups ?? [])
          for (const resource of rule.resources ?? [])
            for (const verb of rule.verbs) {
              const needed = REQUIRED_PERMISSIONS.some(
                (p) => p.group === group && resourceOf(p) === resource && p.verb === verb && p.namespace === namespace,
              );
              expect(needed, `${verb} ${resource} (${group || 'core'})${namespace ? ` in ${namespace}` : ''} is not needed`).to.equal(true);
            }
      }
    };
    check(clusterRules, undefined);
    check(roleRules('kube-system'), 'kube-system');
    expect(objects.filter((o) => o.kind === 'Role').map((o) => o.metadata.namespace)).to.deep.equal(['kube-system']);
  });

  it('binds both roles to the ServiceAccount, whose namespace the start-of-run sweep would never select', function () {
    const bindings = objects.filter((o) => o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding') as unknown as {
      subjects: { kind: string; name: string; namespace: string }[];
    }[];
    expect(bindings).to.have.length(2);
    for (const binding of bindings) expect(binding.subjects).to.deep.equal([{ kind: 'ServiceAccount', name: 'dualstack-conformance', namespace: 'dualstack-conformance' }]);
    const namespace = objects.find((o) => o.kind === 'Namespace');
    expect(namespace?.metadata.labels?.['app.kubernetes.io/managed-by']).to.equal(undefined);
  });
});
