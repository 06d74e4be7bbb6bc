// The page's "Validate Pod addressing": pod01 gets an address of each family, sees them through the downward API
// (MY_POD_IPS) and in its kubelet-managed /etc/hosts; a hostNetwork pod gets its node's addresses.
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { check } from '../support/check.ts';
import { envEntry } from '../support/env.ts';
import { execText } from '../support/exec.ts';
import { ALL_FAMILIES, familySlug } from '../support/ip.ts';
import { hostIPsOf, podIPsOf } from '../support/judgements/objects.ts';
import {
  cniOwnedPodAddress,
  judgeEnvPodIps,
  judgeEtcHostsFamily,
  judgeEtcHostsHeader,
  judgeHostIps,
  judgeHostNetworkPodIps,
  judgePodIpFamilies,
  judgePodIpFirst,
  judgePodIpInNodeCidr,
} from '../support/judgements/pods.ts';
import { currentRun, deployed } from '../support/run.ts';

/** status.hostIPs was added in Kubernetes 1.28 (alpha) and is on by default from 1.29. */
const HOST_IPS_MINOR = 29;

function nodeOf(pod: V1Pod): V1Node {
  const node = currentRun().cluster.nodes.find((candidate) => candidate.metadata?.name === pod.spec?.nodeName);
  if (!node) throw new Error(`pod ${pod.metadata?.name ?? '?'} runs on node ${pod.spec?.nodeName ?? '?'}, which the node list lacks`);
  return node;
}

/** Reads a file or command output from pod01 once; the checks that need it share the result. */
function readOnce(command: readonly string[]): () => Promise<string> {
  let reading: Promise<string> | undefined;
  return () => {
    const run = currentRun();
    const pod = deployed().pods.pod01;
    reading ??= execText(
      run.clients.kubeConfig,
      { namespace: pod.metadata?.namespace ?? '', pod: pod.metadata?.name ?? '', container: pod.spec?.containers[0]?.name ?? '' },
      command,
      run.config.timeouts.exec,
    );
    return reading;
  };
}

describe("Pods: the page's pod01 is addressed in both families", function () {
  const pod01 = () => deployed().pods.pod01;
  const env = readOnce(['env']);
  const etcHosts = readOnce(['cat', '/etc/hosts']);

  check('pod.podips.families', function (t) {
    t.observe('status.podIPs', podIPsOf(pod01()));
    t.verdict(judgePodIpFamilies(pod01()));
  });

  check('pod.podip.first', function (t) {
    t.observe('status.podIP / status.podIPs', { podIP: pod01().status?.podIP, podIPs: podIPsOf(pod01()) });
    t.verdict(judgePodIpFirst(pod01()));
  });

  for (const family of ALL_FAMILIES) {
    check(`pod.podips.in-node-cidr.${familySlug(family)}`, function (t) {
      const pod = pod01();
      const node = nodeOf(pod);
      // Every node, selected or not: an address from any node's block is node IPAM at work.
      const nodes = currentRun().cluster.nodes;
      t.observe('pod and node', { podIPs: podIPsOf(pod), node: node.metadata?.name, podCIDRs: node.spec?.podCIDRs ?? [] });
      t.observe('spec.podCIDRs per node', Object.fromEntries(nodes.map((n) => [n.metadata?.name ?? '?', n.spec?.podCIDRs ?? []])));
      if (nodes.every((n) => (n.spec?.podCIDRs ?? []).length === 0)) {
        t.skip('node-ipam', 'no node has spec.podCIDRs: node IPAM is off, so there is no node pod CIDR to contain the pod address');
      }
      const cniOwned = cniOwnedPodAddress(pod, nodes, family);
      if (cniOwned !== undefined) t.skip('node-ipam', cniOwned);
      t.verdict(judgePodIpInNodeCidr(pod, node, family, nodes));
    });
  }

  check('pod.hostips.families', function (t) {
    const pod = pod01();
    t.observe('status.hostIPs', hostIPsOf(pod));
    const minor = currentRun().cluster.minorVersion;
    if (pod.status?.hostIPs === undefined && minor !== undefined && minor < HOST_IPS_MINOR) {
      t.skip('api-served', `status.hostIPs is not served by Kubernetes 1.${minor} (on by default from 1.${HOST_IPS_MINOR})`);
    }
    t.verdict(judgeHostIps(pod, nodeOf(pod)));
  });

  check('pod.env.podips', async function (t) {
    const output = await env();
    t.observe('kubectl exec pod01 -- env (MY_POD_IPS only)', envEntry(output, 'MY_POD_IPS'));
    t.verdict(judgeEnvPodIps(output, pod01()));
  });

  check('pod.etchosts.header', async function (t) {
    const content = await etcHosts();
    t.observe('kubectl exec pod01 -- cat /etc/hosts', content);
    t.verdict(judgeEtcHostsHeader(content, pod01()));
  });

  for (const family of ALL_FAMILIES) {
    check(`pod.etchosts.${familySlug(family)}`, async function (t) {
      const content = await etcHosts();
      t.observe('kubectl exec pod01 -- cat /etc/hosts', content);
      t.verdict(judgeEtcHostsFamily(content, pod01(), family));
    });
  }

  check('pod.hostnetwork.podips', function (t) {
    const pod = deployed().pods.hostnet;
    const node = nodeOf(pod);
    t.observe('hostnet pod and its node', {
      podIPs: podIPsOf(pod),
      node: node.metadata?.name,
      internalIPs: (node.status?.addresses ?? []).filter((a) => a.type === 'InternalIP').map((a) => a.address),
    });
    t.verdict(judgeHostNetworkPodIps(pod, node));
  });
});
