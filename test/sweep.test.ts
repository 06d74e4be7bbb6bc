import type { V1Namespace } from '@kubernetes/client-node';
import { expect } from 'chai';
import { ConfigurationError } from '../support/errors.ts';
import { describeSweep, staleNamespaces, sweepThreshold } from '../support/sweep.ts';

const now = Date.parse('2026-01-01T12:00:00Z');
const ns = (name: string, minutesOld: number, labels: Record<string, string> = { 'app.kubernetes.io/managed-by': 'dualstack-conformance' }, deleting = false): V1Namespace => ({
  metadata: {
    name,
    labels,
    creationTimestamp: new Date(now - minutesOld * 60_000),
    ...(deleting ? { deletionTimestamp: new Date(now) } : {}),
  },
});

describe('sweep: stale run namespaces', function () {
  it('reads DSC_SWEEP_OLDER_THAN: default 1h, durations, off; anything else is a configuration error', function () {
    expect(sweepThreshold({})).to.equal(3_600_000);
    expect(sweepThreshold({ DSC_SWEEP_OLDER_THAN: '20s' })).to.equal(20_000);
    expect(sweepThreshold({ DSC_SWEEP_OLDER_THAN: 'off' })).to.equal(undefined);
    expect(() => sweepThreshold({ DSC_SWEEP_OLDER_THAN: 'soon' })).to.throw(ConfigurationError, /DSC_SWEEP_OLDER_THAN=soon/);
  });

  it('selects only this suite\'s namespaces older than the threshold and not already being deleted', function () {
    const namespaces = [
      ns('dsc-old', 120),
      ns('dsc-old-host', 61),
      ns('dsc-young', 5),
      ns('dsc-deleting', 120, undefined, true),
      ns('someone-else', 120, { 'app.kubernetes.io/managed-by': 'helm' }),
      { metadata: { name: 'no-timestamp', labels: { 'app.kubernetes.io/managed-by': 'dualstack-conformance' } } },
    ];
    expect(staleNamespaces(namespaces, now, 3_600_000)).to.deep.equal(['dsc-old', 'dsc-old-host']);
  });

  it('says what it did in one header line', function () {
    expect(describeSweep({ thresholdMs: undefined, deleted: [], failed: [] })).to.equal('Sweep: off (DSC_SWEEP_OLDER_THAN=off)');
    expect(describeSweep({ thresholdMs: 3_600_000, deleted: [], failed: [] })).to.match(/older than 60m \(DSC_SWEEP_OLDER_THAN\): none found$/);
    expect(describeSweep({ thresholdMs: 3_600_000, deleted: ['dsc-a', 'dsc-a-host'], failed: [] })).to.match(/: deleting dsc-a, dsc-a-host$/);
  });
});
