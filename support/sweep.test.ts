import type { V1Namespace } from '@kubernetes/client-node';
import { expect } from 'chai';
import { ConfigurationError } from '../lib/errors.ts';
import { namespaceManifests, runNamespaceNames } from './namespace.ts';
import { leftoverContainers, type ContainerView } from './offcluster/sweep.ts';
import {
  describeSweep,
  expiryOf,
  parseHttpDate,
  parseRfc3339,
  runTtlMs,
  staleNamespaces,
  sweepThreshold,
} from './sweep.ts';
import { DEFAULT_TIMEOUTS } from './timeouts.ts';
import { readJson } from '../test/helpers.ts';

// The two namespaces of run k3x9q2mz as the API server returned them (server-side dry run of namespaceManifests with
// expires-at 2026-11-28T00:55:12.000Z; creationTimestamp 2026-11-27T23:51:23Z).
const runNamespaces = (): V1Namespace[] => readJson<V1Namespace[]>('run-namespaces.json');
const EXPIRES = Date.parse('2026-11-28T00:55:12.000Z');
const CREATED = Date.parse('2026-11-27T23:51:23Z');
const HOUR = 3_600_000;

/** A copy of the run's main namespace with another name, annotations or deletion state. */
function variant(name: string, change: (metadata: NonNullable<V1Namespace['metadata']>) => void = () => undefined): V1Namespace {
  const [main] = runNamespaces();
  const copy = structuredClone(main) as V1Namespace & { metadata: NonNullable<V1Namespace['metadata']> };
  copy.metadata.name = name;
  change(copy.metadata);
  return copy;
}

describe('sweep: threshold, TTL and server times', function () {
  it('reads DSC_SWEEP_OLDER_THAN: default 1h, durations of at least 10m, off; anything else is a configuration error', function () {
    expect(sweepThreshold({})).to.equal(HOUR);
    expect(sweepThreshold({ DSC_SWEEP_OLDER_THAN: '10m' })).to.equal(600_000);
    expect(sweepThreshold({ DSC_SWEEP_OLDER_THAN: '2h' })).to.equal(2 * HOUR);
    expect(sweepThreshold({ DSC_SWEEP_OLDER_THAN: 'off' })).to.equal(undefined);
    expect(() => sweepThreshold({ DSC_SWEEP_OLDER_THAN: 'soon' })).to.throw(ConfigurationError, /DSC_SWEEP_OLDER_THAN=soon is not a duration/);
    expect(() => sweepThreshold({ DSC_SWEEP_OLDER_THAN: '9m' })).to.throw(
      ConfigurationError,
      /^DSC_SWEEP_OLDER_THAN=9m is below the minimum 10m: a younger namespace may belong to a run still going$/,
    );
    expect(() => sweepThreshold({ DSC_SWEEP_OLDER_THAN: '20s' })).to.throw(ConfigurationError, /below the minimum 10m/);
  });

  it('stamps runs with at least an hour, more when the timeouts are raised', function () {
    // 4 x the table without clusterUp (the cleanup deadline included): 4 x 665 s = 44m20s with the defaults, under
    // the one-hour floor.
    expect(runTtlMs(DEFAULT_TIMEOUTS)).to.equal(HOUR);
    const slowPulls = { ...DEFAULT_TIMEOUTS, podReady: HOUR };
    expect(runTtlMs(slowPulls)).to.equal(4 * (665_000 - 120_000 + HOUR));
    // The embedded cluster is up before anything is stamped: its bound does not count.
    expect(runTtlMs({ ...DEFAULT_TIMEOUTS, clusterUp: 10 * HOUR })).to.equal(HOUR);
  });

  it('reads the Date header (IMF-fixdate) and RFC 3339 stamps strictly', function () {
    expect(parseHttpDate('Fri, 27 Nov 2026 23:49:35 GMT')).to.equal(Date.parse('2026-11-27T23:49:35Z'));
    expect(parseHttpDate(undefined)).to.equal(undefined);
    expect(parseHttpDate('2026-11-27T23:49:35Z')).to.equal(undefined);
    expect(parseRfc3339('2026-11-28T00:55:12.000Z')).to.equal(EXPIRES);
    expect(parseRfc3339('2026-11-28T01:55:12+01:00')).to.equal(EXPIRES);
    for (const bad of ['tomorrow', '2026-11-28', '1795823497', '2026-11-28 00:55:12Z', '']) expect(parseRfc3339(bad), bad).to.equal(undefined);
  });

  it('takes the stamp when valid, else creation plus the threshold, else never', function () {
    expect(expiryOf('2026-11-28T00:55:12.000Z', CREATED, HOUR)).to.equal(EXPIRES);
    expect(expiryOf(undefined, CREATED, HOUR)).to.equal(CREATED + HOUR);
    expect(expiryOf('not a time', CREATED, 600_000)).to.equal(CREATED + 600_000);
    expect(expiryOf(undefined, undefined, HOUR)).to.equal(undefined);
  });
});

describe('sweep: which namespaces', function () {
  it('the manifests carry the expiry annotation the server keeps, and no other change of names or labels', function () {
    const { main, host } = namespaceManifests(runNamespaceNames('k3x9q2mz'), new Date(EXPIRES));
    const [served] = runNamespaces();
    expect(main.metadata?.annotations).to.deep.equal(served?.metadata?.annotations);
    expect(host.metadata?.name).to.equal('dsc-k3x9q2mz-host');
    expect(namespaceManifests(runNamespaceNames('k3x9q2mz')).main.metadata).not.to.have.property('annotations');
  });

  it('keeps a run before its expiry and deletes both namespaces after it, by the server clock given', function () {
    expect(staleNamespaces(runNamespaces(), EXPIRES - 1_000, 600_000)).to.deep.equal([]);
    expect(staleNamespaces(runNamespaces(), EXPIRES, 600_000)).to.deep.equal([]);
    expect(staleNamespaces(runNamespaces(), EXPIRES + 1_000, 600_000)).to.deep.equal(['dsc-k3x9q2mz', 'dsc-k3x9q2mz-host']);
  });

  it('an expiry wins over the threshold both ways: a stamped run is kept past creation + threshold', function () {
    // 30 minutes after creation, past a 10m threshold but before the stamp.
    expect(staleNamespaces(runNamespaces(), CREATED + 30 * 60_000, 600_000)).to.deep.equal([]);
    const shortStamp = variant('dsc-aaaaaaaa', (metadata) => (metadata.annotations = { 'dualstack-conformance/expires-at': '2026-11-27T23:52:00Z' }));
    expect(staleNamespaces([shortStamp], CREATED + 60_000, HOUR)).to.deep.equal(['dsc-aaaaaaaa']);
  });

  it('falls back to creationTimestamp + threshold for namespaces of older versions (no annotation)', function () {
    const legacy = variant('dsc-bbbbbbbb', (metadata) => delete metadata.annotations);
    expect(staleNamespaces([legacy], CREATED + 59 * 60_000, HOUR)).to.deep.equal([]);
    expect(staleNamespaces([legacy], CREATED + 61 * 60_000, HOUR)).to.deep.equal(['dsc-bbbbbbbb']);
    expect(staleNamespaces([legacy], CREATED + 11 * 60_000, 600_000)).to.deep.equal(['dsc-bbbbbbbb']);
  });

  it('never selects a name the suite does not generate, another manager, or a namespace already being deleted', function () {
    const now = EXPIRES + HOUR;
    const others = [
      variant('dsc-stale-abc'),
      variant('dsc-abcdefg'),
      variant('dsc-abcdefghi'),
      variant('dsc-ABCDEFGH'),
      variant('dsc-abcdefgh-hostx'),
      variant('dsc-abcdefgh-other'),
      variant('dsc-selftest-norbac-x1y2z3'),
      variant('dualstack-conformance'),
      variant('dsc-cccccccc', (metadata) => (metadata.labels = { ...metadata.labels, 'app.kubernetes.io/managed-by': 'helm' })),
      variant('dsc-dddddddd', (metadata) => delete metadata.labels),
      variant('dsc-eeeeeeee', (metadata) => (metadata.deletionTimestamp = new Date(now))),
      variant('dsc-ffffffff', (metadata) => {
        delete metadata.annotations;
        delete metadata.creationTimestamp;
      }),
    ];
    expect(staleNamespaces(others, now, 600_000)).to.deep.equal([]);
    expect(staleNamespaces([...others, variant('dsc-gggggggg-host')], now, 600_000)).to.deep.equal(['dsc-gggggggg-host']);
  });
});

describe('sweep: which off-cluster containers', function () {
  // A run's client container as docker's GET /containers/json lists it (labels with the expiry in docker's time).
  const listed = readJson<{ Names: string[]; Labels: Record<string, string>; Created: number }[]>('offcluster-containers.json');
  const view = (change: (container: { name: string; labels: Record<string, string>; createdMs: number | undefined }) => void = () => undefined): ContainerView => {
    const [first] = listed;
    const container = { name: (first?.Names[0] ?? '').replace(/^\//, ''), labels: { ...first?.Labels }, createdMs: (first?.Created ?? 0) * 1000 };
    change(container);
    return container;
  };
  const stamped = Date.parse(view().labels['dualstack-conformance/expires-at'] ?? '');

  it('removes a client past its expiry label (docker time), keeps it before', function () {
    expect(view().name).to.match(/^dsc-offcluster-[a-z0-9]{8}$/);
    expect(leftoverContainers([view()], stamped - 1_000, 600_000)).to.deep.equal([]);
    expect(leftoverContainers([view()], stamped + 1_000, 600_000)).to.deep.equal([view().name]);
  });

  it('falls back to Created + threshold without the label; never touches other names, roles or managers', function () {
    const legacy = view((c) => delete c.labels['dualstack-conformance/expires-at']);
    const created = legacy.createdMs ?? 0;
    expect(leftoverContainers([legacy], created + 9 * 60_000, 600_000)).to.deep.equal([]);
    expect(leftoverContainers([legacy], created + 11 * 60_000, 600_000)).to.deep.equal([legacy.name]);
    const late = stamped + HOUR;
    const others = [
      view((c) => (c.name = 'dualstack-worker')),
      view((c) => (c.name = 'dsc-offcluster-abc')),
      view((c) => (c.labels['dualstack-conformance/role'] = 'something-else')),
      view((c) => delete c.labels['app.kubernetes.io/managed-by']),
    ];
    expect(leftoverContainers(others, late, 600_000)).to.deep.equal([]);
  });
});

describe('sweep: the header line', function () {
  const expiresAt = new Date(EXPIRES);
  const none = { removed: [], failed: [] };

  it('says it is off, and when this run expires', function () {
    expect(describeSweep({ thresholdMs: undefined, deleted: [], failed: [] }, none, expiresAt)).to.equal(
      "Sweep: off (DSC_SWEEP_OLDER_THAN=off); this run's namespaces expire at 2026-11-28T00:55:12.000Z (API server time)",
    );
  });

  it('names what it deleted and removed, what it could not, and why a half was not judged', function () {
    expect(describeSweep({ thresholdMs: HOUR, deleted: [], failed: [] }, none, expiresAt)).to.match(
      /^Sweep: leftovers past their expiry \(unstamped: older than 60m, DSC_SWEEP_OLDER_THAN\): namespaces: none found; off-cluster containers: none found; /,
    );
    const line = describeSweep(
      { thresholdMs: HOUR, deleted: ['dsc-a1b2c3d4', 'dsc-a1b2c3d4-host'], failed: ['dsc-zzzzzzzz (HTTP 403: forbidden)'] },
      { removed: ['dsc-offcluster-a1b2c3d4'], failed: [] },
      undefined,
    );
    expect(line).to.contain('namespaces: deleting dsc-a1b2c3d4, dsc-a1b2c3d4-host; could not delete dsc-zzzzzzzz (HTTP 403: forbidden);');
    expect(line).to.contain('off-cluster containers: removed dsc-offcluster-a1b2c3d4;');
    expect(line).to.match(/this run's namespaces carry no expiry$/);
    const skipped = describeSweep(
      { thresholdMs: HOUR, skipped: "not judged: the API server's Date header is missing", deleted: [], failed: [] },
      { skipped: 'not looked for (--absent offcluster-network)', removed: [], failed: [] },
      undefined,
    );
    expect(skipped).to.contain("namespaces: not judged: the API server's Date header is missing; off-cluster containers: not looked for (--absent offcluster-network);");
  });
});
