// The page's "Validate Pod addressing": pod01 gets an address of each family, sees them through the downward API
// (MY_POD_IPS) and in its kubelet-managed /etc/hosts; a hostNetwork pod gets its node's addresses.
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { registerArea, type CheckContext } from '../support/check.ts';
import { check, checkArea, perFamily } from '../support/checks.ts';
import { envEntry } from '../support/env.ts';
import { execText } from '../support/exec.ts';
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
import { PAGE_PODS, UPSTREAM } from './references.ts';

/** status.hostIPs was added in Kubernetes 1.28 (alpha) and is on by default from 1.29. */
const HOST_IPS_MINOR = 29;

function nodeOf(t: CheckContext, pod: V1Pod): V1Node {
  const node = t.run.cluster.nodes.find((candidate) => candidate.metadata?.name === pod.spec?.nodeName);
  if (!node) throw new Error(`pod ${pod.metadata?.name ?? '?'} runs on node ${pod.spec?.nodeName ?? '?'}, which the node list lacks`);
  return node;
}

/** Reads a file or command output from pod01 once; the checks that need it share the result. */
function readOnce(command: readonly string[]): (t: CheckContext) => Promise<string> {
  let reading: Promise<string> | undefined;
  return ({ run, fixtures }) => {
    const pod = fixtures.pods.pod01;
    reading ??= execText(
      run.clients.kubeConfig,
      { namespace: pod.metadata?.namespace ?? '', pod: pod.metadata?.name ?? '', container: pod.spec?.containers[0]?.name ?? '' },
      command,
      run.config.timeouts.exec,
    );
    return reading;
  };
}

const env = readOnce(['env']);
const etcHosts = readOnce(['cat', '/etc/hosts']);

export const PODS = checkArea('pods', "Pods: the page's pod01 is addressed in both families", [
  check(
    'pod.podips.families',
    {
      requires: 'both',
      title: 'a pod gets one IPv4 and one IPv6 address in status.podIPs',
      verifies: "pod01's status.podIPs holds exactly two addresses of different families.",
      pageStep: `${PAGE_PODS}: kubectl get pods pod01 -o go-template='{{range .status.podIPs}}…'`,
      upstream: `${UPSTREAM}: "should create pod, add ipv6 and ipv4 ip to pod ips"`,
      causes: [
        'The CNI is configured for one family (e.g. its IPAM ranges list only IPv4)',
        'Node podCIDRs hold one family (see node.podcidrs.families)',
      ],
    },
    function (t) {
      const pod01 = t.fixtures.pods.pod01;
      t.observe('status.podIPs', podIPsOf(pod01));
      t.verdict(judgePodIpFamilies(pod01));
    },
  ),
  check(
    'pod.podip.first',
    {
      requires: 'none',
      title: "a pod's status.podIP equals status.podIPs[0]",
      verifies: 'The singular field mirrors the first entry of the plural one.',
      pageStep: PAGE_PODS,
      upstream: `${UPSTREAM}: "should create pod, add ipv6 and ipv4 ip to pod ips"`,
      causes: ['A kubelet or CRI runtime that reports pod IPs in an inconsistent order'],
    },
    function (t) {
      const pod01 = t.fixtures.pods.pod01;
      t.observe('status.podIP / status.podIPs', { podIP: pod01.status?.podIP, podIPs: podIPsOf(pod01) });
      t.verdict(judgePodIpFirst(pod01));
    },
  ),
  perFamily(
    'pod.podips.in-node-cidr',
    {
      title: "a pod's {family} address lies inside its node's {family} pod CIDR",
      verifies:
        "pod01's {family} podIP is contained in the {family} entry of its node's spec.podCIDRs. When the address lies in no node's podCIDRs, the CNI owns IPAM (Calico IPPools, Cilium cluster-pool, cloud VPC IPAM) and the check is skipped (node-ipam) with the pod IPs and every node's podCIDRs; an address inside another node's block still fails.",
      pageStep: PAGE_PODS,
      upstream: null,
      causes: [
        "The address lies in another node's pod CIDR: the CNI allocated from the wrong node's block (stale host-local state after a node was re-created, or a node renamed), so routes to that block lead elsewhere",
        "The node has no {family} pod CIDR while another node's block holds the address: kube-controller-manager --cluster-cidr lists one family, or the node predates the second family",
        'Stale CNI configuration on the node from an earlier single-stack setup',
      ],
      skipsWithout: ['node-ipam'],
    },
    function (t) {
      const pod = t.fixtures.pods.pod01;
      const node = nodeOf(t, pod);
      // Every node, selected or not: an address from any node's block is node IPAM at work.
      const nodes = t.run.cluster.nodes;
      t.observe('pod and node', { podIPs: podIPsOf(pod), node: node.metadata?.name, podCIDRs: node.spec?.podCIDRs ?? [] });
      t.observe('spec.podCIDRs per node', Object.fromEntries(nodes.map((n) => [n.metadata?.name ?? '?', n.spec?.podCIDRs ?? []])));
      if (nodes.every((n) => (n.spec?.podCIDRs ?? []).length === 0)) {
        t.skip('node-ipam', 'no node has spec.podCIDRs: node IPAM is off, so there is no node pod CIDR to contain the pod address');
      }
      const cniOwned = cniOwnedPodAddress(pod, nodes, t.family);
      if (cniOwned !== undefined) t.skip('node-ipam', cniOwned);
      t.verdict(judgePodIpInNodeCidr(pod, node, t.family, nodes));
    },
  ),
  check(
    'pod.hostips.families',
    {
      requires: 'both',
      title: "a pod's status.hostIPs holds its node's IPv4 and IPv6 InternalIPs",
      verifies: "pod01's status.hostIPs has one address of each family, each an InternalIP of the pod's node.",
      pageStep: null,
      upstream: `${UPSTREAM}: "should create pod, add ipv6 and ipv4 ip to host ips"`,
      causes: ['kubelet --node-ip lists one family', 'Kubernetes older than 1.29 (status.hostIPs not served: skipped)'],
      skipsWithout: ['api-served'],
    },
    function (t) {
      const pod = t.fixtures.pods.pod01;
      t.observe('status.hostIPs', hostIPsOf(pod));
      const minor = t.run.cluster.minorVersion;
      if (pod.status?.hostIPs === undefined && minor !== undefined && minor < HOST_IPS_MINOR) {
        t.skip('api-served', `status.hostIPs is not served by Kubernetes 1.${minor} (on by default from 1.${HOST_IPS_MINOR})`);
      }
      t.verdict(judgeHostIps(pod, nodeOf(t, pod)));
    },
  ),
  check(
    'pod.env.podips',
    {
      requires: 'both',
      title: 'MY_POD_IPS from the downward API lists the IPv4 and IPv6 pod address, in status.podIPs order',
      verifies:
        '`env` in pod01 shows MY_POD_IPS (fieldRef status.podIPs) equal to status.podIPs joined by commas, in order, with both families.',
      pageStep: `${PAGE_PODS}: MY_POD_IPS from fieldPath status.podIPs (the page's \`set | grep\` needs a shell; \`env\` does not)`,
      upstream: null,
      causes: ['The pod has one family (see pod.podips.families)', 'A kubelet that predates status.podIPs in the downward API'],
    },
    async function (t) {
      const output = await env(t);
      t.observe('kubectl exec pod01 -- env (MY_POD_IPS only)', envEntry(output, 'MY_POD_IPS'));
      t.verdict(judgeEnvPodIps(output, t.fixtures.pods.pod01));
    },
  ),
  check(
    'pod.etchosts.header',
    {
      requires: 'none',
      title: "a pod's /etc/hosts is managed by the kubelet",
      verifies: '`cat /etc/hosts` in pod01 starts with "# Kubernetes-managed hosts file.".',
      pageStep: `${PAGE_PODS}: kubectl exec pod01 -- cat /etc/hosts`,
      upstream: null,
      causes: ['The container runtime mounts its own hosts file (runtime not integrated with the kubelet)'],
    },
    async function (t) {
      const content = await etcHosts(t);
      t.observe('kubectl exec pod01 -- cat /etc/hosts', content);
      t.verdict(judgeEtcHostsHeader(content, t.fixtures.pods.pod01));
    },
  ),
  perFamily(
    'pod.etchosts',
    {
      title: "a pod's /etc/hosts maps its {family} address to its hostname",
      verifies: "pod01's /etc/hosts has a line mapping its {family} podIP to the hostname pod01.",
      pageStep: `${PAGE_PODS}: kubectl exec pod01 -- cat /etc/hosts lists both pod addresses`,
      upstream: null,
      causes: ['The pod has no {family} address', 'A kubelet that writes only the primary pod IP'],
    },
    async function (t) {
      const content = await etcHosts(t);
      t.observe('kubectl exec pod01 -- cat /etc/hosts', content);
      t.verdict(judgeEtcHostsFamily(content, t.fixtures.pods.pod01, t.family));
    },
  ),
  check(
    'pod.hostnetwork.podips',
    {
      requires: 'both',
      title: "a hostNetwork pod's podIPs are its node's IPv4 and IPv6 InternalIPs",
      verifies: "The hostnet pod's status.podIPs has one address per family, each equal to its node's InternalIP of that family.",
      pageStep: null,
      upstream: null,
      causes: ['kubelet --node-ip lists one family'],
    },
    function (t) {
      const pod = t.fixtures.pods.hostnet;
      const node = nodeOf(t, pod);
      t.observe('hostnet pod and its node', {
        podIPs: podIPsOf(pod),
        node: node.metadata?.name,
        internalIPs: (node.status?.addresses ?? []).filter((a) => a.type === 'InternalIP').map((a) => a.address),
      });
      t.verdict(judgeHostNetworkPodIps(pod, node));
    },
  ),
]);

registerArea(PODS);
