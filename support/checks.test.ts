import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { CHECK_DEFINITIONS, CHECKS, CONNECTIVITY_SCENARIOS, SPEC_FILES, checkById, checkTitle, selectedByFamily } from '../specs/catalog.ts';
import { renderChecksMarkdown } from './checks-doc.ts';
import { CHECKS as DEFINED, checkIdOfTitle, familyDependent } from './checks.ts';
import { PROJECT_ROOT } from '../lib/paths.ts';
import { readMocharc } from './mocharc.ts';
import { renderTimeoutsMarkdown } from './timeouts.ts';

describe('checks: the catalog', function () {
  it('has unique, stable-looking ids', function () {
    const ids = CHECKS.map((check) => check.id);
    expect(new Set(ids).size).to.equal(ids.length);
    for (const id of ids) expect(id, id).to.match(/^[a-z]+(\.[a-z0-9-]+)+$/);
  });

  it('expands per-family checks into .ipv4 and .ipv6, each needing its own family', function () {
    const ipv6 = checkById('conn.clusterip.ipv6');
    expect(ipv6.family).to.equal('IPv6');
    expect(ipv6.requiresFamilies).to.deep.equal(['IPv6']);
    expect(ipv6.title).to.contain('IPv6').and.not.contain('{family}');
    expect(checkById('conn.clusterip.ipv4').title).to.contain('IPv4');
  });

  it('gives every check a title sentence, what it verifies, and causes', function () {
    for (const check of CHECKS) {
      expect(check.title, check.id).to.match(/^[A-Za-z"'].*[^.]$/);
      expect(check.verifies.length, check.id).to.be.greaterThan(20);
      expect(check.causes.length, check.id).to.be.greaterThan(0);
    }
  });

  it('marks family independence explicitly: only these judge something single-stack clusters must also get right', function () {
    const independent = CHECKS.filter((check) => !familyDependent(check)).map((check) => check.id);
    expect(independent).to.deep.equal(['node.podcidr.first', 'pod.podip.first', 'pod.etchosts.header', 'svc.default.primary']);
  });

  it('selects by --family: that family and family-independent checks, never the dual ones', function () {
    const ipv4 = CHECKS.filter((check) => selectedByFamily(check, 'IPv4')).map((check) => check.id);
    expect(ipv4).to.include('conn.clusterip.ipv4').and.include('svc.default.primary');
    expect(ipv4).not.to.include('conn.clusterip.ipv6');
    expect(ipv4).not.to.include('pod.podips.families');
    expect(CHECKS.filter((check) => selectedByFamily(check, undefined))).to.have.length(CHECKS.length);
  });

  it('reads the check id back from a test title, also after a skip reason was appended', function () {
    const check = checkById('lb.ipv6.external-ip');
    expect(checkIdOfTitle(checkTitle(check))).to.equal('lb.ipv6.external-ip');
    expect(checkIdOfTitle(`${checkTitle(check)} (skipped: no provider)`)).to.equal('lb.ipv6.external-ip');
    expect(checkIdOfTitle('[not.a.check] x')).to.equal(undefined);
  });

  it('is collected from the spec files in .mocharc.json order, which is the order mocha reports them in', function () {
    expect(SPEC_FILES.map(({ file }) => path.join(PROJECT_ROOT, file))).to.deep.equal(readMocharc().spec);
    // What the spec modules defined as they were loaded is the catalog: the run reads that, before mocha loads them.
    expect([...DEFINED].sort((a, b) => a.id.localeCompare(b.id))).to.deep.equal([...CHECKS].sort((a, b) => a.id.localeCompare(b.id)));
    expect(CHECKS.map((check) => check.area)).to.deep.equal(CHECKS.map((check) => check.area).sort((a, b) => areaRank(a) - areaRank(b)));
  });

  it('defines each check in one place: its literal id in exactly one spec file, with its scenario there', function () {
    const sources = SPEC_FILES.map(({ file }) => ({ file, text: readFileSync(path.join(PROJECT_ROOT, file), 'utf8') }));
    for (const { spec } of CHECK_DEFINITIONS) {
      const defining = sources.filter(({ text }) => text.includes(`'${spec.id}',`)).map(({ file }) => file);
      expect(defining, spec.id).to.have.length(1);
    }
    const perFamily = new Set(CHECK_DEFINITIONS.filter(({ spec }) => spec.perFamily).map(({ spec }) => spec.id));
    expect([...CONNECTIVITY_SCENARIOS.keys()]).to.have.length(8);
    for (const id of CONNECTIVITY_SCENARIOS.keys()) expect(perFamily, id).to.include(id);
  });
});

const AREA_ORDER = ['nodes', 'pods', 'services', 'connectivity', 'dns', 'offcluster', 'loadbalancer'];
const areaRank = (area: string): number => AREA_ORDER.indexOf(area);

describe('checks: docs/checks.md', function () {
  it('is the committed rendering of the catalog (run `npm run docs:checks` after changing a check in specs/)', function () {
    const committed = readFileSync(new URL('../docs/checks.md', import.meta.url), 'utf8');
    expect(committed === renderChecksMarkdown(CHECK_DEFINITIONS), 'docs/checks.md is stale').to.equal(true);
  });

  it('docs/timeouts.md is the committed rendering of the timeouts table', function () {
    const committed = readFileSync(new URL('../docs/timeouts.md', import.meta.url), 'utf8');
    expect(committed === renderTimeoutsMarkdown(), 'docs/timeouts.md is stale').to.equal(true);
  });

  it('lists every check id', function () {
    const markdown = renderChecksMarkdown(CHECK_DEFINITIONS);
    for (const check of CHECKS) expect(markdown, check.id).to.contain(`\`${check.id}\``);
  });
});
