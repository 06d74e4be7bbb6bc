// deploy/policy.yaml against deploy/rbac.yaml and support/namespace.ts: the binding enforces the policy, the policy
// applies to the ServiceAccount rbac.yaml creates, covers every write the ClusterRole grants, and its namespace
// patterns and label allowlist admit exactly what a run creates. (How the cluster enforces it: selftest/robustness-policy.ts.)
import { readFileSync } from 'node:fs';
import { loadAllYaml, type V1PolicyRule } from '@kubernetes/client-node';
import { expect } from 'chai';
import { namespaceManifests, newRunId, runNamespaceNames } from '../support/namespace.ts';

interface Named {
  kind: string;
  metadata: { name: string; namespace?: string };
}
interface Policy extends Named {
  spec: {
    failurePolicy: string;
    matchConstraints: { resourceRules: { apiGroups: string[]; operations: string[]; resources: string[] }[] };
    matchConditions: { name: string; expression: string }[];
    validations: { expression: string; messageExpression?: string }[];
    variables: { name: string; expression: string }[];
  };
}
interface Binding extends Named {
  spec: { policyName: string; validationActions: string[] };
}

const load = (file: string): Named[] => loadAllYaml(readFileSync(new URL(`../deploy/${file}`, import.meta.url), 'utf8')) as Named[];
const policyObjects = load('policy.yaml');
const rbacObjects = load('rbac.yaml');
const policies = policyObjects.filter((o) => o.kind === 'ValidatingAdmissionPolicy') as Policy[];
const bindings = policyObjects.filter((o) => o.kind === 'ValidatingAdmissionPolicyBinding') as Binding[];
const policy = policies[0];
const variable = (name: string): string => policy?.spec.variables.find((v) => v.name === name)?.expression ?? '';

/** The regex literal inside `<...>.matches('<re>')`. */
function matchesPattern(expression: string): RegExp {
  const found = /\.matches\('([^']+)'\)/.exec(expression);
  if (!found?.[1]) throw new Error(`no .matches('...') in ${expression}`);
  return new RegExp(found[1]);
}

describe('deploy/policy.yaml: the ServiceAccount confined to its own namespaces', function () {
  it('is one policy and one binding that denies with it', function () {
    expect(policyObjects.map((o) => o.kind)).to.deep.equal(['ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding']);
    expect(bindings[0]?.spec.policyName).to.equal(policy?.metadata.name);
    expect(bindings[0]?.spec.validationActions).to.deep.equal(['Deny']);
    expect(policy?.spec.failurePolicy, 'an expression that errors must refuse, not admit').to.equal('Fail');
  });

  it('matches exactly the ServiceAccount of deploy/rbac.yaml, the one both role bindings name', function () {
    const account = rbacObjects.find((o) => o.kind === 'ServiceAccount');
    expect(account?.metadata.namespace).to.be.a('string');
    const username = `system:serviceaccount:${account?.metadata.namespace ?? ''}:${account?.metadata.name ?? ''}`;
    const conditions = policy?.spec.matchConditions ?? [];
    expect(conditions).to.have.length(1);
    expect(conditions[0]?.expression).to.equal(`request.userInfo.username == '${username}'`);
    const subjects = rbacObjects
      .filter((o) => o.kind.endsWith('RoleBinding'))
      .flatMap((o) => (o as unknown as { subjects: { name: string; namespace: string }[] }).subjects);
    for (const subject of subjects) expect(`system:serviceaccount:${subject.namespace}:${subject.name}`).to.equal(username);
  });

  it('sees every write the ClusterRole grants (reads never reach admission)', function () {
    const operation: Record<string, string> = { create: 'CREATE', patch: 'UPDATE', update: 'UPDATE', delete: 'DELETE', deletecollection: 'DELETE' };
    const rules = rbacObjects.filter((o) => o.kind === 'ClusterRole').flatMap((o) => (o as unknown as { rules: V1PolicyRule[] }).rules);
    const constraints = policy?.spec.matchConstraints.resourceRules ?? [];
    let writes = 0;
    for (const rule of rules)
      for (const group of rule.apiGroups ?? [])
        for (const resource of rule.resources ?? [])
          for (const verb of rule.verbs) {
            // exec is CONNECT whether it arrives as POST (SPDY, verb create) or GET (WebSocket, verb get)
            const wanted = resource === 'pods/exec' ? 'CONNECT' : operation[verb];
            if (!wanted) continue;
            writes += 1;
            const seen = constraints.some((c) => c.apiGroups.includes(group) && c.resources.includes(resource) && c.operations.includes(wanted));
            expect(seen, `${verb} ${resource} (${wanted}) is granted by rbac.yaml but not matched by the policy`).to.equal(true);
          }
    expect(writes, 'writes found in the ClusterRole').to.be.greaterThan(5);
  });

  it('admits the namespace names a run generates and nothing that merely resembles them', function () {
    const named = matchesPattern(variable('named'));
    const host = matchesPattern(variable('isHost'));
    for (let i = 0; i < 50; i += 1) {
      const names = runNamespaceNames(newRunId());
      expect(named.test(names.main), names.main).to.equal(true);
      expect(named.test(names.host), names.host).to.equal(true);
      expect(host.test(names.host), names.host).to.equal(true);
      expect(host.test(names.main), `${names.main} is not a -host namespace`).to.equal(false);
    }
    for (const other of ['dsc-stale-abc123', 'dualstack-conformance', 'kube-system', 'dsc-abcdefgh-host2', 'xdsc-abcdefgh', 'dsc-ABCDEFGH'])
      expect(named.test(other), other).to.equal(false);
  });

  it("allows every label the run's namespaces carry, and the run-id check reads the id where the name holds it", function () {
    const allowlist = policy?.spec.validations.find((v) => v.expression.includes('nsLabels.all(key'))?.expression ?? '';
    const prefixes = [...allowlist.matchAll(/key\.startsWith\('([^']+)'\)/g)].map((m) => m[1] ?? '');
    const exact = [...(/key in \[([^\]]+)\]/.exec(allowlist)?.[1] ?? '').matchAll(/'([^']+)'/g)].map((m) => m[1] ?? '');
    expect(prefixes).to.include('pod-security.kubernetes.io/');
    const names = runNamespaceNames(newRunId());
    const manifests = namespaceManifests(names);
    for (const manifest of [manifests.main, manifests.host])
      for (const key of Object.keys(manifest.metadata?.labels ?? {}))
        expect(exact.includes(key) || prefixes.some((p) => key.startsWith(p)), `label ${key} of ${manifest.metadata?.name ?? ''}`).to.equal(true);
    const runIdCheck = policy?.spec.validations.find((v) => v.expression.includes("'dualstack-conformance/run-id'"))?.expression ?? '';
    const slice = /variables\.ns\.substring\((\d+), (\d+)\)/.exec(runIdCheck);
    expect(names.main.substring(Number(slice?.[1]), Number(slice?.[2]))).to.equal(names.runId);
    expect(manifests.main.metadata?.labels?.['pod-security.kubernetes.io/enforce']).to.equal('restricted');
  });

  it('says what it refused in every validation (a messageExpression, reason Forbidden)', function () {
    for (const validation of policy?.spec.validations ?? []) {
      expect(validation.messageExpression, validation.expression).to.match(/refused/);
      expect((validation as { reason?: string }).reason, validation.expression).to.equal('Forbidden');
    }
  });
});
