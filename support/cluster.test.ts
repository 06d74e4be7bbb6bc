import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import { expect } from 'chai';
import { cniFromDaemonSets, kubeProxyModeFromConfigMap, minorVersionOf, nodeSchedulability } from './cluster.ts';
import { IMAGE_SETTINGS } from './config.ts';
import { describePodState, podFailure } from './deploy.ts';
import { formatEvents, formatPodSummary } from './diagnostics.ts';
import { ConfigurationError } from '../lib/errors.ts';
import { declaredLbProvider, ingressAddresses } from './loadbalancer.ts';
import { dualNodes, pod01 } from '../test/helpers.ts';

const images = { agnhost: IMAGE_SETTINGS.agnhost.default, busybox: IMAGE_SETTINGS.busybox.default };

function waitingPod(reason: string, image: string): V1Pod {
  const pod = pod01();
  return {
    ...pod,
    status: {
      phase: 'Pending',
      containerStatuses: [
        { name: 'busybox', image, imageID: '', ready: false, restartCount: 0, state: { waiting: { reason, message: `Back-off pulling image "${image}"` } } },
      ],
    },
  };
}

describe('cluster: what the header reports', function () {
  it('counts a tainted control-plane node as schedulable (the suite tolerates it), a cordoned or NotReady one not', function () {
    const [controlPlane, worker] = dualNodes();
    if (!controlPlane || !worker) throw new Error('two nodes expected');
    expect(nodeSchedulability(controlPlane)).to.deep.equal({ name: 'dualstack-control-plane', schedulable: true, reason: undefined });
    expect(nodeSchedulability({ ...worker, spec: { ...worker.spec, unschedulable: true } }).reason).to.equal('cordoned (spec.unschedulable)');
    const notReady = { ...worker, status: { ...worker.status, conditions: [{ type: 'Ready', status: 'False', reason: 'KubeletNotReady' }] } };
    expect(nodeSchedulability(notReady).reason).to.equal('NotReady (KubeletNotReady)');
    const tainted = { ...worker, spec: { ...worker.spec, taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] } };
    expect(nodeSchedulability(tainted).reason).to.equal('taint dedicated:NoSchedule');
  });

  it('reads the kube-proxy mode and the CNI when visible', function () {
    expect(kubeProxyModeFromConfigMap({ data: { 'config.conf': 'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: nftables\n' } })).to.equal('nftables');
    expect(kubeProxyModeFromConfigMap({ data: { 'config.conf': 'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: ""\n' } })).to.equal('iptables (default)');
    expect(kubeProxyModeFromConfigMap(undefined)).to.equal('not visible');
    const daemonSet = (name: string, image: string) => ({ metadata: { name }, spec: { selector: {}, template: { spec: { containers: [{ name: 'c', image }] } } } });
    expect(cniFromDaemonSets([daemonSet('kube-proxy', 'registry.k8s.io/kube-proxy:v1.34.4'), daemonSet('kindnet', 'docker.io/kindest/kindnetd:v20250512')])).to.equal(
      'kindnet (docker.io/kindest/kindnetd:v20250512)',
    );
    expect(cniFromDaemonSets([daemonSet('kube-proxy', 'x')])).to.equal('not visible');
    expect(minorVersionOf({ major: '1', minor: '34+', gitVersion: 'v1.34.4-eks', gitCommit: '', gitTreeState: '', buildDate: '', goVersion: '', compiler: '', platform: '' })).to.equal(34);
  });
});

describe('deploy: pods that can never become Ready', function () {
  it('turns an image pull failure into a configuration error naming the image and the setting overriding it', function () {
    const error = podFailure(waitingPod('ImagePullBackOff', images.busybox), images);
    expect(error).to.be.instanceOf(ConfigurationError);
    expect(error?.message).to.equal(
      'image registry.k8s.io/e2e-test-images/busybox:1.37.0-1 cannot be pulled: ImagePullBackOff for pod dsc-test/pod01 on node dualstack-worker (override with --busybox-image or DSC_BUSYBOX_IMAGE)',
    );
  });

  it('stops on a crash loop, and lets a pod that is merely starting go on', function () {
    expect(podFailure(waitingPod('CrashLoopBackOff', images.agnhost), images)?.message).to.contain('container busybox CrashLoopBackOff');
    expect(podFailure(waitingPod('ContainerCreating', images.agnhost), images)).to.equal(undefined);
  });

  it('describes pod states for the waiter', function () {
    expect(describePodState(pod01())).to.equal('pod01 Ready');
    expect(describePodState(waitingPod('ContainerCreating', images.busybox))).to.contain('pod01 Pending, not Ready (busybox: ContainerCreating');
    const unscheduled = { ...pod01(), status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/2 nodes are available' }] } };
    expect(describePodState(unscheduled)).to.equal('pod01 Pending (Unschedulable: 0/2 nodes are available)');
  });
});

describe('diagnostics: formatting', function () {
  it('orders events oldest first and summarises pods like kubectl describe', function () {
    const event = (reason: string, time: string, message: string): CoreV1Event => ({
      metadata: {},
      involvedObject: { kind: 'Pod', name: 'backend-b' },
      reason,
      type: 'Warning',
      message,
      lastTimestamp: new Date(time),
    });
    const text = formatEvents([event('BackOff', '2026-01-01T12:00:05Z', 'Back-off'), event('Failed', '2026-01-01T12:00:01Z', 'ErrImagePull')]);
    expect(text.split('\n')).to.deep.equal(['12:00:01 Warning Failed Pod/backend-b: ErrImagePull', '12:00:05 Warning BackOff Pod/backend-b: Back-off']);
    expect(formatEvents([])).to.equal('(no events)');
    const summary = formatPodSummary(pod01());
    expect(summary).to.contain('PodIPs: 10.244.1.4, fd00:10:244:1::4');
    expect(summary).to.contain('Node: dualstack-worker');
  });
});

describe('loadbalancer: provider settings', function () {
  it('decides declared providers without the cluster and reads ingress addresses', function () {
    expect(declaredLbProvider({ kind: 'none' })).to.deep.include({ present: false, declaredAbsent: true });
    expect(declaredLbProvider({ kind: 'named', name: 'metallb' })).to.deep.include({ present: true, name: 'metallb' });
    expect(declaredLbProvider({ kind: 'detect' })).to.equal(undefined);
    expect(ingressAddresses({ status: { loadBalancer: { ingress: [{ ip: '2001:db8::1' }, { hostname: 'lb.example' }] } } })).to.deep.equal(['2001:db8::1', 'lb.example']);
  });
});
