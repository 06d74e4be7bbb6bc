// One module graph: run state set by the CLI is the state the specs see, under the launcher package.json and
// .mocharc.json use (node --import tsx/esm) and even under tsx's CommonJS hook; and a second copy of support/run.ts
// cannot go unnoticed.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { expect } from 'chai';
import { PROJECT_ROOT } from '../lib/paths.ts';

interface ProbeRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function node(args: readonly string[]): Promise<ProbeRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...args], { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

const PROBE = path.join(PROJECT_ROOT, 'test', 'module-graph-probe.ts');

describe('module graph: the CLI and the specs share support/run.ts', function () {
  this.timeout(60_000);

  for (const loader of ['tsx/esm', 'tsx']) {
    it(`specs loaded through mocha see the CLI's selection (node --import ${loader})`, async function () {
      const run = await node(['--import', loader, PROBE]);
      expect(run.code, run.stderr).to.equal(0);
      const result = JSON.parse(run.stdout.trim()) as { registered: string[]; expected: string[]; all: number };
      expect(result.expected.length).to.be.greaterThan(0).and.lessThan(result.all);
      expect(result.registered).to.deep.equal(result.expected);
    });
  }

  it('a second copy of support/run.ts (require() under tsx) fails, naming the fix', async function () {
    const script = [
      "import { createRequire } from 'node:module';",
      "await import('./support/run.ts');",
      "createRequire(import.meta.url)('./support/run.ts');",
    ].join('\n');
    const run = await node(['--import', 'tsx', '--input-type=module', '--eval', script]);
    expect(run.code).to.not.equal(0);
    expect(run.stderr).to.contain('support/run.ts was loaded twice').and.contain('--import tsx/esm');
  });
});
