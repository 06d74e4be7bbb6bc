import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { BAD_INPUT, renderBadInputTable, withBadInputTable } from './robustness-bad-input.ts';
import { robustnessCases } from './robustness.ts';
import { userClusterCases } from './user-clusters.ts';

describe('bad input: the table behind the cases and the README', function () {
  it('README.md holds the committed rendering of the table (run `npm run docs:bad-input` after changing it)', function () {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(withBadInputTable(readme) === readme, "README.md's bad-input table is stale").to.equal(true);
  });

  it('every row is one line naming the tool, and a case here or in the file it names', function () {
    for (const row of BAD_INPUT) {
      expect(row.seen, row.name).to.match(/^dualstack-conformance: [^\n]+$/);
      expect(Boolean(row.arrange) !== Boolean(row.caseIn), `${row.name}: a case here or elsewhere, not both`).to.equal(true);
    }
    expect(new Set(BAD_INPUT.map((row) => row.name)).size).to.equal(BAD_INPUT.length);
  });

  it('names only cases selftest runs: the robustness cases, and the one left to the file it names', function () {
    const target = { kubeconfig: '/nonexistent/kubeconfig', clusterName: 'unit' };
    const robustness = new Set(robustnessCases(target).map((c) => c.name));
    const elsewhere = new Set(userClusterCases(target).map((c) => c.name));
    for (const row of BAD_INPUT) {
      expect((row.caseIn ? elsewhere : robustness).has(row.name), `${row.name} is a case of ${row.caseIn ?? 'selftest/robustness.ts'}`).to.equal(true);
    }
  });

  it('renders backticks and pipes so that the table keeps its two columns', function () {
    const table = renderBadInputTable([{ name: 'a | b', seen: 'dualstack-conformance: run `x | y`', caseIn: 'elsewhere' }]);
    expect(table).to.include('| a \\| b | `` dualstack-conformance: run `x \\| y` `` |');
  });

  it('refuses a README without the markers rather than guessing where the table goes', function () {
    expect(() => withBadInputTable('# no table here\n')).to.throw('no generated bad-input table');
  });
});
