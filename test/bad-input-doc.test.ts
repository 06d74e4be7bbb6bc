import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { BAD_INPUT, renderBadInputTable, withBadInputTable } from '../selftest/robustness-bad-input.ts';

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

  it('renders backticks and pipes so that the table keeps its two columns', function () {
    const table = renderBadInputTable([{ name: 'a | b', seen: 'dualstack-conformance: run `x | y`', caseIn: 'elsewhere' }]);
    expect(table).to.include('| a \\| b | `` dualstack-conformance: run `x \\| y` `` |');
  });

  it('refuses a README without the markers rather than guessing where the table goes', function () {
    expect(() => withBadInputTable('# no table here\n')).to.throw('no generated bad-input table');
  });
});
