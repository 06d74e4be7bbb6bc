import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { clusterDomainFromSearch, parseNslookupOutput, parseResolvConf, serviceFqdn } from './dns.ts';
import { parseEnvOutput, splitCommaList } from './env.ts';
import type { ExecResult } from './exec.ts';
import { entriesForAddress, mapsAddressToHostname, parseHostsFile } from './hosts.ts';
import { judgeDnsExec } from './probes/from-pod.ts';
import { readText } from '../test/helpers.ts';

const data = (file: string): string => readFileSync(new URL(`../test/data/${file}`, import.meta.url), 'utf8');

describe('hosts: /etc/hosts as the kubelet writes it', function () {
  it('recognises the kubelet header and maps both pod addresses to the hostname', function () {
    const hosts = parseHostsFile(data('etc-hosts-pod01.txt'));
    expect(hosts.managedBy).to.equal('kubelet');
    expect(hosts.malformedLines).to.deep.equal([]);
    expect(mapsAddressToHostname(hosts, '10.244.1.4', 'pod01')).to.equal(true);
    expect(mapsAddressToHostname(hosts, 'fd00:10:244:1::4', 'pod01')).to.equal(true);
    // The same address spelled out in full still matches.
    expect(mapsAddressToHostname(hosts, 'fd00:10:244:1:0:0:0:4', 'pod01')).to.equal(true);
    expect(mapsAddressToHostname(hosts, 'fd00:10:244:1::5', 'pod01')).to.equal(false);
    expect(entriesForAddress(hosts, 'fe00::0').map((entry) => entry.names[0])).to.deep.equal(['ip6-localnet', 'ip6-mcastprefix']);
  });

  it('tells the hostNetwork header apart, and a runtime-written file from a kubelet one', function () {
    expect(parseHostsFile(data('etc-hosts-hostnetwork.txt')).managedBy).to.equal('kubelet-host-network');
    expect(parseHostsFile('127.0.0.1 localhost\n').managedBy).to.equal(undefined);
  });

  it('lists lines whose first field is no address as malformed, ignoring comments', function () {
    const hosts = parseHostsFile('# comment\nnot-an-ip host\n10.0.0.1\n10.0.0.2 a b # trailing\n');
    expect(hosts.malformedLines.map((line) => line.lineNumber)).to.deep.equal([2, 3]);
    expect(hosts.entries).to.have.length(1);
    expect(hosts.entries[0]?.names).to.deep.equal(['a', 'b']);
  });
});

describe('env: `env` output', function () {
  it('reads MY_POD_IPS as the downward API renders status.podIPs', function () {
    const variables = parseEnvOutput(data('env-pod01.txt'));
    expect(variables.get('MY_POD_IPS')).to.equal('10.244.1.4,fd00:10:244:1::4');
    expect(variables.get('KUBERNETES_PORT')).to.equal('tcp://10.96.0.1:443');
    expect(splitCommaList(variables.get('MY_POD_IPS') ?? '')).to.deep.equal(['10.244.1.4', 'fd00:10:244:1::4']);
  });

  it('keeps "=" inside values and joins continuation lines of multi-line values', function () {
    const variables = parseEnvOutput('A=b=c\nMULTI=first\nsecond line\nB=2\n');
    expect(variables.get('A')).to.equal('b=c');
    expect(variables.get('MULTI')).to.equal('first\nsecond line');
    expect(variables.get('B')).to.equal('2');
  });
});

describe('dns: nslookup output and resolv.conf', function () {
  // Captured from Debian's busybox-static 1.35 nslookup (tabs as printed).
  const busyboxA = 'Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\nName:\tdual-stack-prefer-dual-svc.dsc-x.svc.cluster.local\nAddress: 10.96.12.34\n\n';
  const busyboxNoAAAA = 'Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\nNon-authoritative answer:\n\n';
  const busyboxIpv6Server =
    'Server:\t\tfd00:10:96::a\nAddress:\tfd00:10:96::a:53\n\nName:\tdual-stack-headless-svc.dsc-x.svc.cluster.local\nAddress: fd00:10:244:1::5\nName:\tdual-stack-headless-svc.dsc-x.svc.cluster.local\nAddress: fd00:10:244:2::7\n\n';
  const busyboxNx = 'Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\n** server can\'t find nope.dsc-x.svc.cluster.local: NXDOMAIN\n\n';
  const bind = 'Server:\t\t10.96.0.10\nAddress:\t10.96.0.10#53\n\nName:\tkubernetes.default.svc.cluster.local\nAddress: fd00:10:96::1\n';

  it('takes answer addresses only, never the server block (whose IPv6 "addr:53" parses as an address)', function () {
    expect(parseNslookupOutput(busyboxA).addresses).to.deep.equal(['10.96.12.34']);
    expect(parseNslookupOutput(busyboxIpv6Server).addresses).to.deep.equal(['fd00:10:244:1::5', 'fd00:10:244:2::7']);
    expect(parseNslookupOutput(bind).addresses).to.deep.equal(['fd00:10:96::1']);
  });

  it('tells an empty answer from NXDOMAIN', function () {
    expect(parseNslookupOutput(busyboxNoAAAA)).to.deep.equal({ addresses: [], notFound: false, serverError: undefined });
    expect(parseNslookupOutput(busyboxNx).notFound).to.equal(true);
  });

  it('tells a server failure from NXDOMAIN in busybox output', function () {
    expect(parseNslookupOutput(readText('nslookup/busybox-servfail.txt'))).to.deep.equal({ addresses: [], notFound: false, serverError: 'SERVFAIL' });
    expect(parseNslookupOutput(readText('nslookup/busybox-refused.txt')).serverError).to.equal('REFUSED');
    expect(parseNslookupOutput(readText('nslookup/busybox-aaaa-non-authoritative-no-answer.txt'))).to.deep.equal({
      addresses: [],
      notFound: false,
      serverError: undefined,
    });
  });

  it('derives the cluster domain from the kubelet-written search list', function () {
    const conf = parseResolvConf('search dsc-x.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n');
    expect(conf.nameservers).to.deep.equal(['10.96.0.10']);
    expect(clusterDomainFromSearch(conf.search, 'dsc-x')).to.equal('cluster.local');
    expect(clusterDomainFromSearch(['example.com'], 'dsc-x')).to.equal(undefined);
    expect(serviceFqdn('svc', 'dsc-x', 'cluster.local')).to.equal('svc.dsc-x.svc.cluster.local.');
  });
});

// BIND 9.18 nslookup (Debian's bind9-dnsutils, in the agnhost image as bind-tools is in upstream's), captured in that
// image as uid 65534 against a local answer source: authoritative answers as CoreDNS gives for cluster.local, and
// non-authoritative ones as a forwarder gives. Exit codes as captured.
describe('dns: BIND nslookup output', function () {
  const bind = (file: string): string => readText(`nslookup/bind-${file}.txt`);

  it('takes the A and AAAA answers, from an IPv4 or an IPv6 server, never the server block ("addr#53")', function () {
    expect(parseNslookupOutput(bind('a'))).to.deep.equal({ addresses: ['10.96.0.1'], notFound: false, serverError: undefined });
    expect(parseNslookupOutput(bind('aaaa-ipv6-server')).addresses).to.deep.equal(['fd00:10:244:1::5', 'fd00:10:244:2::7']);
    expect(parseNslookupOutput(bind('a-ipv6-server')).addresses).to.deep.equal(['10.244.1.5', '10.244.2.7']);
    expect(parseNslookupOutput(bind('a-non-authoritative')).addresses).to.deep.equal(['192.0.2.7', '192.0.2.8']);
  });

  it('reads "No answer" (the name without a record of the type) as an empty answer, not NXDOMAIN', function () {
    for (const file of ['aaaa-no-answer', 'aaaa-non-authoritative-no-answer']) {
      expect(parseNslookupOutput(bind(file)), file).to.deep.equal({ addresses: [], notFound: false, serverError: undefined });
    }
  });

  it('reads NXDOMAIN as not found and SERVFAIL or REFUSED as a server error', function () {
    expect(parseNslookupOutput(bind('nxdomain'))).to.deep.equal({ addresses: [], notFound: true, serverError: undefined });
    // BIND prints ";; Got SERVFAIL reply from <server>" before the server block.
    expect(parseNslookupOutput(bind('servfail'))).to.deep.equal({ addresses: [], notFound: false, serverError: 'SERVFAIL' });
    expect(parseNslookupOutput(bind('refused'))).to.deep.equal({ addresses: [], notFound: false, serverError: 'REFUSED' });
  });

  it('judges an in-cluster lookup: NXDOMAIN and server errors are named, an empty answer goes to the expectation', function () {
    const exec = (file: string, exitCode: number): ExecResult => ({
      stdout: bind(file),
      stderr: '',
      exitCode,
      timedOut: false,
      failure: undefined,
      durationMs: 12,
    });
    const wantsOne = (addresses: string[]) => (addresses.length === 1 ? undefined : `got ${addresses.length} addresses`);
    expect(judgeDnsExec(exec('a', 0), wantsOne)).to.deep.equal({ answer: '[10.96.0.1]', problem: undefined });
    expect(judgeDnsExec(exec('aaaa-no-answer', 0), wantsOne)).to.deep.equal({ answer: '[]', problem: 'got 0 addresses' });
    expect(judgeDnsExec(exec('nxdomain', 1), wantsOne).problem).to.equal("NXDOMAIN: ** server can't find nope.dsc-x.svc.cluster.local: NXDOMAIN");
    expect(judgeDnsExec(exec('servfail', 1), wantsOne).problem).to.equal("SERVFAIL: ** server can't find broken.example.test: SERVFAIL");
    expect(judgeDnsExec(exec('refused', 1), wantsOne).problem).to.match(/^REFUSED: /);
  });
});
