import { expect } from 'chai';
import { bracketHost, cidrContains, familyOf, judgeClusterAddress, joinHostPort, parseCidr, parseIp, partitionByFamily, sameAddress, splitHostPort } from './ip.ts';

describe('ip: address judgements', function () {
  it('tells the family of IPv4 and of compressed and expanded IPv6', function () {
    expect(familyOf('10.244.1.4')).to.equal('IPv4');
    expect(familyOf('fd00:10:244:1::4')).to.equal('IPv6');
    expect(familyOf('fd00:0010:0244:0001:0000:0000:0000:0004')).to.equal('IPv6');
    expect(familyOf('a00:100::4')).to.equal('IPv6'); // the page's sample pod address
    expect(familyOf('::1')).to.equal('IPv6');
  });

  it('rejects IPv4 forms Kubernetes never writes (octal, hex, short)', function () {
    for (const text of ['010.0.0.1', '0x7f.1', '1.2.3', '10.0.0.256', '']) {
      expect(familyOf(text), text).to.equal(undefined);
    }
  });

  it('reports an IPv4-mapped IPv6 address as neither family, saying why', function () {
    const judged = judgeClusterAddress('::ffff:10.0.0.1');
    expect(judged.valid).to.equal(false);
    if (!judged.valid) expect(judged.reason).to.contain('IPv4-mapped');
    expect(familyOf('::ffff:a00:1')).to.equal(undefined);
    expect(parseIp('::ffff:10.0.0.1')?.ipv4Mapped).to.equal(true);
  });

  it('reports an address with a zone id as no cluster address, keeping the zone when parsing', function () {
    const parsed = parseIp('fe80::1%eth0');
    expect(parsed?.zoneId).to.equal('eth0');
    expect(parsed?.canonical).to.equal('fe80::1');
    const judged = judgeClusterAddress('fe80::1%eth0');
    expect(judged.valid).to.equal(false);
    if (!judged.valid) expect(judged.reason).to.contain('zone id');
  });

  it('compares spellings of one address as equal, and IPv4 with its mapped form as different', function () {
    expect(sameAddress('fd00:10:244:1::4', 'FD00:10:244:1:0:0:0:4')).to.equal(true);
    expect(sameAddress('10.0.0.1', '::ffff:10.0.0.1')).to.equal(false);
    expect(sameAddress('fe80::1%eth0', 'fe80::1%eth1')).to.equal(false);
    expect(sameAddress('10.0.0.1', 'not-an-ip')).to.equal(false);
  });

  it('canonicalises IPv6 to RFC 5952', function () {
    expect(parseIp('FD00:0:0:0:0:0:0:A')?.canonical).to.equal('fd00::a');
  });

  it('partitions addresses by family and lists invalid ones with reasons', function () {
    const grouped = partitionByFamily(['10.244.1.4', 'fd00:10:244:1::4', '::ffff:10.0.0.1', 'garbage']);
    expect(grouped.IPv4).to.deep.equal(['10.244.1.4']);
    expect(grouped.IPv6).to.deep.equal(['fd00:10:244:1::4']);
    expect(grouped.invalid.map((entry) => entry.text)).to.deep.equal(['::ffff:10.0.0.1', 'garbage']);
  });
});

describe('ip: CIDRs', function () {
  it('parses CIDRs of both families', function () {
    expect(parseCidr('10.244.1.0/24')?.family).to.equal('IPv4');
    expect(parseCidr('fd00:10:244:1::/64')?.prefixLength).to.equal(64);
    expect(parseCidr('10.244.1.0')).to.equal(undefined);
    expect(parseCidr('fd00::/129')).to.equal(undefined);
    expect(parseCidr('::ffff:10.0.0.0/120')).to.equal(undefined);
  });

  it('decides containment within a family only', function () {
    expect(cidrContains('10.244.1.0/24', '10.244.1.4')).to.equal(true);
    expect(cidrContains('10.244.1.0/24', '10.244.2.4')).to.equal(false);
    expect(cidrContains('fd00:10:244:1::/64', 'fd00:10:244:1::4')).to.equal(true);
    expect(cidrContains('fd00:10:244:1::/64', 'fd00:10:244:2::4')).to.equal(false);
    expect(cidrContains('fd00:10:96::/112', 'fd00:10:96::a')).to.equal(true);
    expect(cidrContains('10.0.0.0/8', '::ffff:10.0.0.1')).to.equal(false);
    expect(cidrContains('::/0', '10.0.0.1')).to.equal(false);
  });
});

describe('ip: host:port', function () {
  it('brackets IPv6 hosts and leaves IPv4 as is', function () {
    expect(joinHostPort('fd00::1', 80)).to.equal('[fd00::1]:80');
    expect(joinHostPort('10.96.0.10', 53)).to.equal('10.96.0.10:53');
    expect(bracketHost('fe80::1%eth0')).to.equal('[fe80::1%25eth0]');
  });

  it('splits bracketed IPv6, IPv4 and zoned forms, refusing ambiguous ones', function () {
    expect(splitHostPort('[fd00::1]:80')).to.deep.equal({ address: 'fd00::1', port: 80 });
    expect(splitHostPort('10.0.0.1:8080')).to.deep.equal({ address: '10.0.0.1', port: 8080 });
    expect(splitHostPort('[fe80::1%25eth0]:80')).to.deep.equal({ address: 'fe80::1%eth0', port: 80 });
    expect(splitHostPort('fd00::1:80')).to.equal(undefined);
    expect(splitHostPort('[fd00::1]:99999')).to.equal(undefined);
    expect(splitHostPort('example.com:80')).to.equal(undefined);
  });
});
