import type { V1Pod } from '@kubernetes/client-node';
import { expect } from 'chai';
import { hostnetResponders, podToPodTargets, planProbes, type ObservedState } from './connectivity.ts';
import { judgeAffinity, judgeOnlyRemaining, nodesOfPods, ResponderCollector } from './responders.ts';
import { burstAnswers, burstCommand, groupBurstAnswers, groupBurstCommand } from './probes/burst.ts';
import type { CreatedService } from './deploy.ts';
import { CONNECTIVITY_SCENARIOS } from '../specs/catalog.ts';
import { POD_ROLES, SERVICES, type ConnectivityScenario, type PodRole } from './expectations.ts';
import { dualNodes, onlyFamily, pod01, podWithIps, service } from '../test/helpers.ts';

const POD_ADDRESSES: Record<PodRole, { node: string; ips: string[] }> = {
  pod01: { node: 'dualstack-worker', ips: ['10.244.1.4', 'fd00:10:244:1::4'] },
  client: { node: 'dualstack-worker', ips: ['10.244.1.5', 'fd00:10:244:1::5'] },
  'backend-a': { node: 'dualstack-control-plane', ips: ['10.244.0.6', 'fd00:10:244::6'] },
  'backend-b': { node: 'dualstack-worker', ips: ['10.244.1.7', 'fd00:10:244:1::7'] },
  hairpin: { node: 'dualstack-control-plane', ips: ['10.244.0.8', 'fd00:10:244::8'] },
  hostnet: { node: 'dualstack-worker', ips: ['172.18.0.3', 'fc00:f853:ccd:e793::3'] },
};

function pods(keepOnly?: 'IPv4'): Record<PodRole, V1Pod> {
  return Object.fromEntries(
    POD_ROLES.map((role) => {
      const { node, ips } = POD_ADDRESSES[role];
      const base = podWithIps(pod01(), keepOnly ? ips.slice(0, 1) : ips);
      return [role, { ...base, metadata: { name: role, namespace: 'dsc-test' }, spec: { ...base.spec, containers: base.spec?.containers ?? [], nodeName: node } }];
    }),
  ) as Record<PodRole, V1Pod>;
}

function dualServices(): Map<string, CreatedService> {
  const created = (name: string, clusterIPs: string[], extra: Record<string, unknown> = {}): [string, CreatedService] => [
    name,
    {
      name,
      rejection: undefined,
      service: service(name, {
        clusterIP: clusterIPs[0],
        clusterIPs,
        ipFamilies: clusterIPs.map((ip) => (ip.includes(':') ? 'IPv6' : 'IPv4')),
        ...extra,
      }),
    },
  ];
  return new Map([
    created(SERVICES.default, ['10.96.10.1']),
    created(SERVICES.ipv4, ['10.96.10.2']),
    created(SERVICES.ipv6, ['fd00:10:96::3']),
    created(SERVICES.prefer, ['10.96.10.4', 'fd00:10:96::4']),
    created(SERVICES.requireV4V6, ['10.96.10.5', 'fd00:10:96::5']),
    created(SERVICES.requireV6V4, ['fd00:10:96::6', '10.96.10.6']),
    created(SERVICES.nodePort, ['10.96.10.7', 'fd00:10:96::7'], {
      ports: [
        { name: 'http', protocol: 'TCP', port: 80, nodePort: 31234 },
        { name: 'udp', protocol: 'UDP', port: 80, nodePort: 31235 },
      ],
    }),
    created(SERVICES.hairpin, ['10.96.10.8', 'fd00:10:96::8']),
    created(SERVICES.hostnetEndpoints, ['10.96.10.9', 'fd00:10:96::9']),
  ]);
}

/** The scenario row of a connectivity check, as its spec defines it. */
const scenario = (checkId: string): ConnectivityScenario => {
  const found = CONNECTIVITY_SCENARIOS.get(checkId);
  if (!found) throw new Error(checkId);
  return found;
};

/** A pod pinned to a node, shaped as the API returns it once Ready. */
function nodePod(name: string, node: string, ips: string[]): V1Pod {
  const base = podWithIps(pod01(), ips);
  return { ...base, metadata: { name, namespace: 'dsc-test' }, spec: { ...base.spec, containers: base.spec?.containers ?? [], nodeName: node } };
}

const NODE_CLIENTS = (keepOnly?: 'IPv4'): V1Pod[] => [
  nodePod('node-client-0', 'dualstack-control-plane', keepOnly ? ['10.244.0.9'] : ['10.244.0.9', 'fd00:10:244::9']),
  nodePod('node-client-1', 'dualstack-worker', keepOnly ? ['10.244.1.9'] : ['10.244.1.9', 'fd00:10:244:1::9']),
];
const NODE_HOSTNETS = (): V1Pod[] => [
  nodePod('node-hostnet-0', 'dualstack-control-plane', ['172.18.0.2', 'fc00:f853:ccd:e793::2']),
  nodePod('node-hostnet-1', 'dualstack-worker', ['172.18.0.3', 'fc00:f853:ccd:e793::3']),
];

const dualState = (): ObservedState => ({
  pods: pods(),
  nodeClients: NODE_CLIENTS(),
  nodeHostnets: NODE_HOSTNETS(),
  services: dualServices(),
  nodes: dualNodes(),
  schedulableNodes: ['dualstack-control-plane', 'dualstack-worker'],
});

/** "source -> address:port", for comparing plans. */
const routes = (plan: ReturnType<typeof planProbes>): string[] =>
  plan.probes.map((probe) => `${probe.source.pod.metadata?.name ?? '?'} -> ${probe.destination.address}:${probe.destination.port}`);

/** The routes of both node clients to every one of `addresses` at `port`, in plan order. */
const fromEveryNodeClient = (addresses: readonly string[], port: number): string[] =>
  ['node-client-0', 'node-client-1'].flatMap((source) => addresses.map((address) => `${source} -> ${address}:${port}`));

describe('connectivity: planning scenario × family into probes', function () {
  it('probes every backend Service clusterIP of the family from the client on every node, answered by every backend', function () {
    const plan = planProbes(scenario('conn.clusterip'), 'IPv6', dualState());
    expect(plan.problems).to.deep.equal([]);
    expect(routes(plan)).to.deep.equal(fromEveryNodeClient(['fd00:10:96::3', 'fd00:10:96::4', 'fd00:10:96::5', 'fd00:10:96::6', 'fd00:10:96::7'], 80));
    expect(plan.probes[0]?.source.address).to.equal('fd00:10:244::9');
    expect(plan.probes[0]?.responders).to.deep.equal(['backend-a', 'backend-b']);
  });

  it('probes from every node the node client of every other node, expecting that pod to answer', function () {
    const plan = planProbes(scenario('conn.pod-to-pod'), 'IPv4', dualState());
    expect(routes(plan)).to.deep.equal(['node-client-0 -> 10.244.1.9:9376', 'node-client-1 -> 10.244.0.9:9376']);
    expect(plan.probes.map((probe) => probe.responders)).to.deep.equal([['node-client-1'], ['node-client-0']]);
  });

  it('skips pod-to-pod across nodes with one schedulable node, saying so', function () {
    const plan = planProbes(scenario('conn.pod-to-pod'), 'IPv4', { ...dualState(), schedulableNodes: ['dualstack-worker'] });
    expect(plan.skip?.capability).to.equal('multiple-nodes');
    expect(plan.skip?.reason).to.contain('only one schedulable node (dualstack-worker)');
  });

  it('probes the NodePort on every node address of the family from every node', function () {
    const plan = planProbes(scenario('conn.nodeport'), 'IPv6', dualState());
    expect(routes(plan)).to.deep.equal(fromEveryNodeClient(['fc00:f853:ccd:e793::2', 'fc00:f853:ccd:e793::3'], 31234));
  });

  it("sends hairpin probes from the hairpin pod to its own Service, expecting its own name", function () {
    const plan = planProbes(scenario('conn.hairpin'), 'IPv4', dualState());
    expect(plan.probes.map((probe) => probe.source.pod.metadata?.name)).to.deep.equal(['hairpin']);
    expect(plan.probes[0]?.destination.address).to.equal('10.96.10.8');
    expect(plan.probes[0]?.responders).to.deep.equal(['hairpin']);
  });

  it("sends hostNetwork probes from every node's address", function () {
    const plan = planProbes(scenario('conn.hostnetwork-clusterip'), 'IPv6', dualState());
    expect(plan.probes.map((probe) => probe.source.address)).to.deep.equal(['fc00:f853:ccd:e793::2', 'fc00:f853:ccd:e793::3']);
    expect(plan.probes.every((probe) => probe.destination.address === 'fd00:10:96::4')).to.equal(true);
  });

  it('fails, naming it, when there is no pod to probe from', function () {
    const plan = planProbes(scenario('conn.clusterip'), 'IPv4', { ...dualState(), nodeClients: [] });
    expect(plan.probes).to.deep.equal([]);
    expect(plan.problems.join('\n')).to.contain('no node-clients pod to probe from');
  });

  it('on an IPv4-only cluster plans IPv4 fully and fails IPv6 naming what lacks it', function () {
    const services = new Map(
      [...dualServices()].map(([name, created]) => {
        const ipv4 = (created.service?.spec?.clusterIPs ?? []).filter((ip) => !ip.includes(':'));
        const rejected: CreatedService = { name, service: undefined, rejection: 'HTTP 422: spec.ipFamilies[0]: Invalid value: "IPv6"' };
        return [name, ipv4.length === 0 ? rejected : { ...created, service: service(name, { ...created.service?.spec, clusterIPs: ipv4, ipFamilies: ['IPv4'] }) }];
      }),
    );
    const state: ObservedState = { ...dualState(), pods: pods('IPv4'), nodeClients: NODE_CLIENTS('IPv4'), services, nodes: dualNodes().map((node) => onlyFamily(node, 'IPv4')) };
    const ipv4 = planProbes(scenario('conn.clusterip'), 'IPv4', state);
    expect(ipv4.problems).to.deep.equal([]);
    expect(ipv4.probes.length).to.equal(12); // 6 Services with an IPv4 clusterIP × 2 node clients
    const ipv6 = planProbes(scenario('conn.clusterip'), 'IPv6', state);
    expect(ipv6.problems.join('\n')).to.contain('pod node-client-0 on dualstack-control-plane has no IPv6 address to probe from: status.podIPs=[10.244.0.9]');
    expect(ipv6.problems.join('\n')).to.contain('no backend Service has an IPv6 clusterIP');
    expect(ipv6.problems.join('\n')).to.contain('svc dual-stack-ipv6-svc: rejected (HTTP 422');
    const nodePort = planProbes(scenario('conn.nodeport'), 'IPv6', state);
    expect(nodePort.problems.join('\n')).to.contain('no IPv6 NodePort');
  });

  it('judges the responder by name', function () {
    expect(new ResponderCollector(['backend-a']).accept('backend-a')).to.equal(undefined);
    expect(new ResponderCollector(['backend-a']).accept('hairpin')).to.equal('answered by "hairpin", not the expected responder; never answered: backend-a');
  });

  it('passes a Service path only once every backend has answered, naming the silent one and its node', function () {
    const collector = new ResponderCollector(['backend-a', 'backend-b'], nodesOfPods(Object.values(pods())));
    expect(collector.accept('backend-b')).to.equal('answered by backend-b; never answered: backend-a (on dualstack-control-plane)');
    expect(collector.accept('backend-b')).to.equal('answered by backend-b; never answered: backend-a (on dualstack-control-plane)');
    expect(collector.accept('backend-a')).to.equal(undefined);
    expect(collector.describe()).to.equal('backend-b, backend-a');
  });

  it('keeps failing after an answer from a pod that is not a backend of the path', function () {
    const collector = new ResponderCollector(['hairpin']);
    expect(collector.accept('backend-a')).to.equal('answered by "backend-a", not the expected responder; never answered: hairpin');
    expect(collector.accept('hairpin')).to.equal('answered by "backend-a", not the expected responder');
    expect(new ResponderCollector(['backend-a', 'backend-b']).problem()).to.equal('never answered: backend-a, backend-b');
  });

  it('adds who answered and who never did to a timed-out probe, once', function () {
    const collector = new ResponderCollector(['backend-a', 'backend-b']);
    collector.accept('backend-a');
    expect(collector.explain('no answer within 5s')).to.equal('no answer within 5s; answered by backend-a; never answered: backend-b');
    expect(collector.explain('answered by backend-a; never answered: backend-b')).to.equal('answered by backend-a; never answered: backend-b');
  });
});

describe('connectivity: UDP, hostNetwork endpoints, affinity and endpoint updates', function () {
  it('probes the NodePort Service clusterIP and every node UDP nodePort over UDP, answered by every backend', function () {
    const clusterIp = planProbes(scenario('conn.udp.clusterip'), 'IPv6', dualState());
    expect(routes(clusterIp)).to.deep.equal(['node-client-0 -> fd00:10:96::7:80', 'node-client-1 -> fd00:10:96::7:80']);
    expect(clusterIp.probes.every((probe) => probe.protocol === 'udp')).to.equal(true);
    const nodePort = planProbes(scenario('conn.udp.nodeport'), 'IPv4', dualState());
    expect(routes(nodePort)).to.deep.equal(fromEveryNodeClient(['172.18.0.2', '172.18.0.3'], 31235));
    expect(nodePort.probes[0]?.destination.label).to.equal('node dualstack-control-plane UDP nodePort');
    expect(nodePort.probes[0]?.responders).to.deep.equal(['backend-a', 'backend-b']);
  });

  it('fails the UDP nodePort plan when the Service has no UDP port, saying so', function () {
    const services = dualServices();
    const tcpOnly = services.get(SERVICES.nodePort)!;
    services.set(SERVICES.nodePort, { ...tcpOnly, service: { ...tcpOnly.service, spec: { ...tcpOnly.service?.spec, ports: [{ port: 80, nodePort: 31234 }] } } });
    const plan = planProbes(scenario('conn.udp.nodeport'), 'IPv4', { ...dualState(), services });
    expect(plan.probes).to.deep.equal([]);
    expect(plan.problems.join()).to.contain('no UDP nodePort');
  });

  it("expects every node's hostNetwork pod to answer the hostNetwork Service with its node's hostname", function () {
    const plan = planProbes(scenario('conn.hostnet-endpoints'), 'IPv6', dualState());
    expect(routes(plan)).to.deep.equal(['node-client-0 -> fd00:10:96::9:80', 'node-client-1 -> fd00:10:96::9:80']);
    const expected = hostnetResponders(NODE_HOSTNETS(), dualNodes());
    expect(plan.probes[0]?.responders).to.deep.equal(expected.names);
    expect(expected.names).to.deep.equal(['dualstack-control-plane', 'dualstack-worker']);
    expect(expected.where['dualstack-worker']).to.equal('dualstack-worker, pod node-hostnet-1');
  });

  it('judges session affinity: one backend for all requests, every request answered', function () {
    const same = Array.from({ length: 15 }, () => 'backend-b');
    expect(judgeAffinity(same, 15, ['backend-a', 'backend-b'])).to.equal(undefined);
    const spread = [...same.slice(0, 8), ...Array.from({ length: 7 }, () => 'backend-a')];
    expect(judgeAffinity(spread, 15, ['backend-a', 'backend-b'])).to.equal(
      '15 requests from one client answered by backend-b x8, backend-a x7; expected one backend (sessionAffinity: ClientIP)',
    );
    expect(judgeAffinity([...same.slice(1), '(failed)'], 15, ['backend-a', 'backend-b'])).to.contain('every request must be answered');
    expect(judgeAffinity(Array.from({ length: 15 }, () => 'other'), 15, ['backend-a', 'backend-b'])).to.contain('not a backend');
  });

  it('judges an endpoint removal: only the remaining backend answers, naming the removed one that still does', function () {
    const remaining = Array.from({ length: 10 }, () => 'backend-b');
    expect(judgeOnlyRemaining(remaining, 10, 'backend-b', 'backend-a')).to.equal(undefined);
    expect(judgeOnlyRemaining([...remaining.slice(3), 'backend-a', 'backend-a', 'backend-a'], 10, 'backend-b', 'backend-a')).to.equal(
      '10 requests answered by backend-b x7, backend-a x3; expected backend-b only; backend-a still answers after it was removed',
    );
  });

  it('asks several times in one exec, one answer line per request, a silent request counted as failed', function () {
    expect(burstCommand({ label: 'svc', address: 'fd00:10:96::7', port: 80 }, 'tcp', 4)).to.deep.equal([
      'sh',
      '-c',
      "for i in $(seq 4); do timeout 1 wget -q -O - 'http://[fd00:10:96::7]:80/hostname' || printf '(failed)'; echo; done",
    ]);
    expect(burstCommand({ label: 'svc', address: '10.96.10.7', port: 80 }, 'udp', 2)[2]).to.equal(
      "for i in $(seq 2); do echo hostname | nc -u -w 1 10.96.10.7 80 || printf '(failed)'; echo; done",
    );
    expect(() => burstCommand({ label: 'svc', address: "10.0.0.1'; id; '", port: 80 }, 'tcp', 4)).to.throw('not an IP');
    expect(burstAnswers('backend-a\n\n(failed)\nbackend-b\n')).to.deep.equal(['backend-a', '(failed)', '(failed)', 'backend-b']);
  });
});

describe('connectivity: pod -> pod on big clusters', function () {
  it('samples two targets per node beyond 8 nodes, every node a destination twice', function () {
    const clients = Array.from({ length: 10 }, (_, index) => nodePod(`node-client-${index}`, `node-${String(index).padStart(2, '0')}`, [`10.244.${index}.9`]));
    const destinations = clients.flatMap((source) => podToPodTargets(clients, source).map((pod) => pod.metadata?.name));
    expect(destinations).to.have.length(20);
    for (const client of clients) expect(destinations.filter((name) => name === client.metadata?.name)).to.have.length(2);
    expect(podToPodTargets(clients, clients[0]!).map((pod) => pod.metadata?.name)).to.deep.equal(['node-client-1', 'node-client-5']);
  });

  it('keeps the full mesh up to 8 nodes', function () {
    const clients = Array.from({ length: 3 }, (_, index) => nodePod(`node-client-${index}`, `node-${index}`, [`10.244.${index}.9`]));
    expect(podToPodTargets(clients, clients[1]!).map((pod) => pod.metadata?.name)).to.deep.equal(['node-client-0', 'node-client-2']);
  });
});

describe('probes: one exec for all destinations of a source', function () {
  it('asks every destination in parallel, each answer line tagged with its index', function () {
    const [, , script] = groupBurstCommand(
      [
        { label: 'a', address: '10.96.0.1', port: 80 },
        { label: 'b', address: 'fd00::1', port: 31000 },
      ],
      'tcp',
    );
    expect(script).to.equal(
      [
        "for i in $(seq 4); do (a=$(timeout 1 wget -q -O - 'http://10.96.0.1:80/hostname') || a=''; echo \"0 ${a:-(failed)}\") & done",
        "for i in $(seq 4); do (a=$(timeout 1 wget -q -O - 'http://[fd00::1]:31000/hostname') || a=''; echo \"1 ${a:-(failed)}\") & done",
        'wait',
      ].join('\n'),
    );
    expect(groupBurstAnswers('0 backend-a\n1 (failed)\n0 backend-b\n1 backend-a\ngarbage\n7 stray\n', 2)).to.deep.equal([
      ['backend-a', 'backend-b'],
      ['(failed)', 'backend-a'],
    ]);
  });
});
