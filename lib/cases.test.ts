import { expect } from 'chai';
import { CaseRunner, type NamedCase } from './cases.ts';

/** A runner writing into an array, on a clock that advances 1.5 s per reading. */
function recordingRunner(only?: readonly string[]): { runner: CaseRunner; lines: string[] } {
  const lines: string[] = [];
  let ms = 0;
  const runner = new CaseRunner({ label: 'selftest', only, write: (text) => void lines.push(text), now: () => (ms += 1500) });
  return { runner, lines };
}

const passing: NamedCase = { name: 'lint', fn: async () => 'exit 0' };
const failing: NamedCase = {
  name: 'bad input: unknown --context',
  fn: async () => {
    throw new Error('expected exit 2, got exit 0');
  },
};
const silent: NamedCase = { name: 'quiet', fn: async () => '' };

describe('cases: the one case runner', function () {
  it('prints "--- name" and "PASS|FAIL name (N.N s): detail" under its label and records every case', async function () {
    const { runner, lines } = recordingRunner();
    expect(await runner.run(passing)).to.equal(true);
    expect(await runner.run(failing)).to.equal(false);
    expect(lines).to.deep.equal([
      '[selftest] --- lint\n',
      '[selftest] PASS lint (1.5 s): exit 0\n',
      '[selftest] --- bad input: unknown --context\n',
      '[selftest] FAIL bad input: unknown --context (1.5 s): expected exit 2, got exit 0\n',
    ]);
    expect(runner.results.map((r) => [r.name, r.ok, r.seconds, r.detail])).to.deep.equal([
      ['lint', true, 1.5, 'exit 0'],
      ['bad input: unknown --context', false, 1.5, 'expected exit 2, got exit 0'],
    ]);
  });

  it('leaves out ": detail" when a case says nothing, and records a thrown non-Error as its text', async function () {
    const { runner, lines } = recordingRunner();
    await runner.run(silent);
    await runner.run({
      name: 'odd',
      fn: () => Promise.reject(new Error('x')).catch(() => {
        throw 'plain text';
      }),
    });
    expect(lines[1]).to.equal('[selftest] PASS quiet (1.5 s)\n');
    expect(lines[3]).to.equal('[selftest] FAIL odd (1.5 s): plain text\n');
  });

  it('runs only the cases whose name contains an --only substring; all of them without one', async function () {
    const { runner } = recordingRunner(['context', 'quiet']);
    expect(await runner.runAll([passing, failing, silent])).to.equal(false);
    expect(runner.results.map((r) => r.name)).to.deep.equal(['bad input: unknown --context', 'quiet']);
    expect(recordingRunner().runner.select([passing, failing, silent])).to.have.length(3);
    expect(recordingRunner([]).runner.select([passing, failing])).to.have.length(2);
  });

  it('ends with the summary rows, the total and the line CI reads; exit 1 on any failure', async function () {
    const { runner, lines } = recordingRunner();
    await runner.runAll([passing, failing]);
    lines.length = 0;
    expect(runner.finish({ note: 'kind network containers now: a b' })).to.equal(1);
    expect(lines).to.deep.equal([
      '[selftest] summary:\n',
      `[selftest]   PASS  ${'lint'.padEnd(72)}     1.5 s\n`,
      `[selftest]   FAIL  ${'bad input: unknown --context'.padEnd(72)}     1.5 s\n`,
      '[selftest] total 8 s; kind network containers now: a b\n',
      'selftest: 1 passed, 1 failed\n',
    ]);
  });

  it('without the table prints only the last line; exit 0 when all passed (none run counts as all passed)', async function () {
    const { runner, lines } = recordingRunner();
    await runner.run(passing);
    lines.length = 0;
    expect(runner.finish({ table: false })).to.equal(0);
    expect(lines).to.deep.equal(['selftest: 1 passed, 0 failed\n']);
    expect(recordingRunner().runner.finish({ table: false })).to.equal(0);
  });
});
