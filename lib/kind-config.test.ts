import { expect } from 'chai';
import { ciBlackholes, recordedRoutes } from '../cluster/lib/host-config.ts';
import { kindRanges, readKindConfig } from './kind-config.ts';

describe("kind's ranges: read once, from kind-config.yaml", function () {
  it('finds the pod and Service range of each family in the real file', function () {
    expect(kindRanges(readKindConfig())).to.deep.equal({
      IPv4: { pod: '10.244.0.0/16', service: '10.96.0.0/16' },
      IPv6: { pod: 'fd00:10:244::/56', service: 'fd00:10:96::/112' },
    });
  });

  it('groups by family whatever the order, and names what is wrong with a broken config', function () {
    const config = (podSubnet: string) => ({ networking: { podSubnet, serviceSubnet: '10.96.0.0/16, fd00:10:96::/112' } });
    expect(kindRanges(config('fd00:10:244::/56,10.244.0.0/16')).IPv6).to.deep.equal({ pod: 'fd00:10:244::/56', service: 'fd00:10:96::/112' });
    expect(() => kindRanges(config('10.244.0.0/16'))).to.throw(/networking.podSubnet has no IPv6 range/);
    expect(() => kindRanges(config('10.244.0.0/16,10.245.0.0/16,fd00::/56'))).to.throw(/two IPv4 ranges/);
    expect(() => kindRanges(config('10.244.0.0,fd00::/56'))).to.throw(/"10.244.0.0" is not a CIDR/);
    expect(() => kindRanges({})).to.throw(/no IPv4 or IPv6 range/);
  });

  it("gives host:prepare --ci the same four blackholes, IPv4's first", function () {
    expect(ciBlackholes().map((b) => `${b.family} ${b.cidr}`)).to.deep.equal(['-4 10.244.0.0/16', '-4 10.96.0.0/16', '-6 fd00:10:244::/56', '-6 fd00:10:96::/112']);
    expect(recordedRoutes('')).to.deep.equal(ciBlackholes());
  });
});
