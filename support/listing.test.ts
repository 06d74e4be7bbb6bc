import { expect } from 'chai';
import { CHECKS } from '../specs/catalog.ts';
import { parseCli, partialReason } from './config.ts';
import { formatCheckList, listedChecks, selectionPattern } from './listing.ts';

/** Full titles as mocha sees them: the describe title, then `[id] title`. */
const fullTitles = CHECKS.map((check) => `${check.area} [${check.id}] ${check.title}`);
const selected = (pattern: RegExp | undefined): string[] =>
  fullTitles.filter((title) => pattern === undefined || pattern.test(title)).map((title) => /\[([^\]]+)\]/.exec(title)?.[1] ?? '');

describe('listing and selection without a cluster', function () {
  it('--list: every catalog check once, with its area and families; the text form counts them', function () {
    const list = listedChecks(CHECKS);
    expect(list.map((check) => check.id)).to.deep.equal(CHECKS.map((check) => check.id));
    expect(new Set(list.map((check) => check.id)).size).to.equal(list.length);
    const hairpin = list.find((check) => check.id === 'conn.hairpin.ipv6');
    expect(hairpin).to.include({ area: 'connectivity', family: 'IPv6' });
    expect(formatCheckList(list).split('\n').at(-1)).to.equal(`${CHECKS.length} checks`);
  });

  it('--grep and --skip are substrings; both apply to one title', function () {
    expect(selectionPattern({ grep: undefined, skip: undefined })).to.equal(undefined);
    const udp = selected(selectionPattern({ grep: 'conn.udp', skip: undefined }));
    expect(udp).to.deep.equal(['conn.udp.clusterip.ipv4', 'conn.udp.clusterip.ipv6', 'conn.udp.nodeport.ipv4', 'conn.udp.nodeport.ipv6']);
    expect(selected(selectionPattern({ grep: 'conn.udp', skip: 'nodeport' }))).to.deep.equal(['conn.udp.clusterip.ipv4', 'conn.udp.clusterip.ipv6']);
    const withoutLb = selected(selectionPattern({ grep: undefined, skip: 'lb.' }));
    expect(withoutLb).to.have.length(CHECKS.filter((check) => !check.id.startsWith('lb.')).length);
    // Regular-expression characters are literal: the last "." matches only a dot, so nothing is skipped.
    expect(selected(selectionPattern({ grep: 'conn.udp', skip: 'clusterip.ipv.' }))).to.deep.equal(udp);
    expect(selected(selectionPattern({ grep: 'conn.udp.', skip: undefined }))).to.deep.equal(udp);
  });

  it('parses --version, --list [--json], --kubeconfig and --skip; --skip makes a run PARTIAL', function () {
    expect(parseCli(['--version'])).to.deep.equal({ action: 'version' });
    expect(parseCli(['--list'])).to.deep.equal({ action: 'list', json: false });
    expect(parseCli(['--list', '--json'])).to.deep.equal({ action: 'list', json: true });
    expect(() => parseCli(['--json'])).to.throw('--json goes with --list');
    const request = parseCli(['--kubeconfig', 'some/file', '--skip', 'lb.'], {});
    if (request.action !== 'run') throw new Error(`expected a run, got ${request.action}`);
    expect(request.config.kubeconfig).to.match(/\/some\/file$/);
    expect(partialReason(request.config)).to.equal('selection --skip lb.');
    expect(() => parseCli(['--skip', ' '])).to.throw('--skip needs a non-empty pattern');
    expect(() => parseCli(['--kubeconfig', 'x', '--kind'])).to.throw('--kubeconfig contradicts --kind');
  });
});
