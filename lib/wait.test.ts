import { expect } from 'chai';
import { progressLine } from './wait.ts';

describe('waits that say they are still waiting', function () {
  it('names what, how long of which bound, the setting to raise and the last observed state', function () {
    expect(progressLine('fixture pods backend-a to be Ready', 20_000, 180_000, 'DSC_TIMEOUT_POD_READY', 'backend-a Pending (Unschedulable: 0/2 nodes)')).to.equal(
      '  still waiting for fixture pods backend-a to be Ready (20s of 3m, DSC_TIMEOUT_POD_READY): backend-a Pending (Unschedulable: 0/2 nodes)',
    );
  });
});
