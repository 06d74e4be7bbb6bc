import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Node, V1Pod, V1Service } from '@kubernetes/client-node';
import { expect } from 'chai';
import { injectReportHeader, renderReportHeader, verdictLine, type HeaderSummary } from './header.ts';
import { renderTopologySvg } from './svg.ts';
import { buildTopology, worstVerdict } from './topology.ts';
import { xmlAttribute, type CheckResult } from '../results.ts';

// Shapes as a two-node dual-stack kind cluster returns them (addresses from a real run on this machine).
const node = (name: string, v4: string, v6: string, cidrs: string[]): V1Node => ({
  metadata: { name },
  spec: { podCIDR: cidrs[0], podCIDRs: cidrs },
  status: { addresses: [{ type: 'InternalIP', address: v4 }, { type: 'InternalIP', address: v6 }, { type: 'Hostname', address: name }] },
});
const pod = (name: string, nodeName: string, ips: string[], hostNetwork = false): V1Pod => ({
  metadata: { name },
  spec: { nodeName, hostNetwork, containers: [] },
  status: { podIP: ips[0], podIPs: ips.map((ip) => ({ ip })) },
});
const service = (name: string, type: string, clusterIPs: string[], ingress: string[] = []): V1Service => ({
  metadata: { name },
  spec: { type, clusterIPs },
  status: { loadBalancer: { ingress: ingress.map((ip) => ({ ip })) } },
});
const result = (id: string, verdict: CheckResult['verdict']): CheckResult => ({
  id,
  title: id,
  area: 'connectivity',
  family: id.endsWith('.ipv6') ? 'IPv6' : id.endsWith('.ipv4') ? 'IPv4' : undefined,
  verdict,
  reason: undefined,
  durationMs: 1,
});

const input = {
  nodes: [
    node('dualstack-control-plane', '172.18.0.2', 'fc00:f853:ccd:e793::2', ['10.244.0.0/24', 'fd00:10:244::/64']),
    node('dualstack-worker', '172.18.0.3', 'fc00:f853:ccd:e793::3', ['10.244.1.0/24', 'fd00:10:244:1::/64']),
  ],
  pods: [
    pod('backend-b', 'dualstack-control-plane', ['10.244.0.66', 'fd00:10:244::42']),
    pod('node-hostnet-1', 'dualstack-worker', ['172.18.0.3', 'fc00:f853:ccd:e793::3'], true),
    pod('backend-a', 'dualstack-worker', ['fd00:10:244:1::9d', '10.244.1.157']),
  ],
  services: [
    service('dual-stack-ipv6-svc', 'ClusterIP', ['fd00:10:96::f6f7']),
    service('dual-stack-prefer-dual-svc', 'ClusterIP', ['10.96.7.1', 'fd00:10:96::71']),
    service('dual-stack-nodeport-svc', 'NodePort', ['10.96.1.2', 'fd00:10:96::12']),
    service('dual-stack-require-lb-svc', 'LoadBalancer', ['10.96.230.80', 'fd00:10:96::23a1'], ['172.18.255.201', 'fc00:f853:ccd:e793:ffff:ffff:ffff:ffca']),
  ],
  results: [
    result('conn.clusterip.ipv4', 'passed'),
    result('conn.clusterip.ipv6', 'passed'),
    result('conn.hostnetwork-clusterip.ipv6', 'failed'),
    result('conn.nodeport.ipv4', 'passed'),
    result('conn.udp.nodeport.ipv4', 'skipped'),
    result('lb.dual.reachable.ipv6', 'passed'),
    result('pod.podips.families', 'passed'),
  ],
};

describe('report: the topology picture and the header', function () {
  it('puts each pod on its node, groups the backends’ ClusterIP Services, keeps LoadBalancer addresses', function () {
    const topology = buildTopology(input);
    expect(topology.nodes.map((n) => [n.name, n.pods.map((p) => p.name)])).to.deep.equal([
      ['dualstack-control-plane', ['backend-b']],
      ['dualstack-worker', ['backend-a', 'node-hostnet-1']],
    ]);
    expect(topology.serviceBoxes.map((box) => box.id)).to.deep.equal([
      'services:backends',
      'service:dual-stack-nodeport-svc',
      'service:dual-stack-require-lb-svc',
    ]);
    expect(topology.serviceBoxes[0]?.services.map((s) => s.name)).to.deep.equal(['dual-stack-ipv6-svc', 'dual-stack-prefer-dual-svc']);
    expect(topology.serviceBoxes[2]?.services[0]?.externalIps).to.deep.equal(['172.18.255.201', 'fc00:f853:ccd:e793:ffff:ffff:ffff:ffca']);
  });

  it('one edge per box pair and family, coloured by its worst check; family-independent checks draw nothing', function () {
    const edges = buildTopology(input).edges.map((e) => `${e.from}>${e.to} ${e.family} ${e.verdict} [${e.checks.join('; ')}]`);
    expect(edges).to.deep.equal([
      'nodes>services:backends IPv4 passed [conn.clusterip.ipv4: passed]',
      'nodes>services:backends IPv6 failed [conn.clusterip.ipv6: passed; conn.hostnetwork-clusterip.ipv6: failed]',
      'nodes>service:dual-stack-nodeport-svc IPv4 skipped [conn.nodeport.ipv4: passed; conn.udp.nodeport.ipv4: skipped]',
      'offcluster>service:dual-stack-require-lb-svc IPv6 passed [lb.dual.reachable.ipv6: passed]',
    ]);
    expect(worstVerdict(['passed', 'not-run', 'skipped'])).to.equal('not-run');
  });

  it('draws every node, every address IPv4 first, a line per node and family, and the off-cluster client', function () {
    const svg = renderTopologySvg(buildTopology(input));
    for (const name of ['dualstack-control-plane', 'dualstack-worker']) expect(svg).to.include(`data-id="node:${name}"`);
    expect(svg).to.include('10.244.1.157  fd00:10:244:1::9d');
    expect(svg).to.include('data-id="offcluster"');
    // backends: 2 nodes x 2 families; nodeport: 2 nodes x IPv4; LB: the off-cluster client x IPv6.
    expect(svg.match(/<path class="path /g)).to.have.length(7);
    expect(svg.match(/class="path failed"[^>]*stroke-dasharray/g)).to.have.length(2);
  });

  it('opens the report on the verdict and the cluster, once', function () {
    const summary: HeaderSummary = {
      verdict: 'failed',
      reason: '1 check failed',
      partial: false,
      partialReason: null,
      strict: true,
      declaredAbsent: ['lb-provider', 'offcluster-network'],
      declaredAbsentReasons: { 'offcluster-network': 'in-cluster run: no off-cluster client' },
      runId: 'abc123de',
      startedAt: '2026-11-27T23:49:05.239Z',
      wallSeconds: 27.4,
      counts: { passed: 53, failed: 1, skipped: 0, notRun: 0, total: 54 },
      cluster: { context: 'kind-<dual>', server: 'https://127.0.0.1:44515', families: ['IPv4', 'IPv6'], primaryFamily: 'IPv4', dualStack: true },
    };
    expect(verdictLine(summary)).to.equal('FAILED: 53 passed, 1 failed, 0 skipped, 0 not run of 54 checks; 1 check failed');
    const header = renderReportHeader(summary, renderTopologySvg(buildTopology(input)));
    expect(header).to.include('kind-&lt;dual&gt;').and.include('IPv4 + IPv6, primary IPv4 (dual-stack)').and.include('lb-provider (--absent lb-provider), offcluster-network (in-cluster run: no off-cluster client)');
    const dir = mkdtempSync(join(tmpdir(), 'dsc-report-'));
    try {
      const file = join(dir, 'report.html');
      writeFileSync(file, '<html><body data-raw="{}"><div id="report"></div><script></script></body></html>');
      expect(injectReportHeader(file, header)).to.equal(true);
      expect(injectReportHeader(file, header)).to.equal(false);
      const html = readFileSync(file, 'utf8');
      expect(html.indexOf('id="dsc-cluster"')).to.be.lessThan(html.indexOf('<div id="report">'));
      expect(html.match(/id="dsc-cluster"/g)).to.have.length(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(xmlAttribute(`a<b & "c"`)).to.equal('a&lt;b &amp; &quot;c&quot;');
  });
});
