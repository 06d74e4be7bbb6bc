// .mocharc.json is the one description of the suite for plain mocha and the CLI.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { PROJECT_ROOT } from '../lib/paths.ts';
import { readMocharc } from './mocharc.ts';

describe('.mocharc.json: the suite for plain mocha and the CLI', function () {
  const mocharc = readMocharc();
  const relative = (file: string): string => path.relative(PROJECT_ROOT, file);

  it('lists every spec file in specs/ exactly once', function () {
    const onDisk = readdirSync(path.join(PROJECT_ROOT, 'specs'))
      .filter((name) => name.endsWith('.spec.ts'))
      .map((name) => `specs/${name}`)
      .sort();
    const listed = mocharc.spec.map(relative);
    expect(new Set(listed).size, `duplicates in ${listed.join(', ')}`).to.equal(listed.length);
    expect([...listed].sort()).to.deep.equal(onDisk);
  });

  it("runs them in the page's order: nodes, pods, services, then beyond the page", function () {
    const names = mocharc.spec.map((file) => path.basename(file, '.spec.ts'));
    expect(names).to.deep.equal(['nodes', 'pods', 'services', 'connectivity', 'session-affinity', 'endpoint-updates', 'dns', 'offcluster', 'loadbalancer']);
  });

  it('requires the root hooks, which export mochaHooks', function () {
    expect(mocharc.require.map(relative)).to.deep.equal(['specs/hooks.ts']);
    expect(readFileSync(path.join(PROJECT_ROOT, 'specs', 'hooks.ts'), 'utf8')).to.match(/^export const mochaHooks\b/m);
  });

  it('starts node with the ESM-only loader, as package.json\'s test script does (one module graph)', function () {
    expect(mocharc.nodeOptions).to.deep.equal(['import=tsx/esm']);
    const scripts = (JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.test).to.equal('node --import tsx/esm bin/dualstack-conformance.ts');
  });

  it('the CLI loads specs through mocha, emitting none of its file events by hand', function () {
    const cliDir = path.join(PROJECT_ROOT, 'support', 'cli');
    const sources = [path.join(PROJECT_ROOT, 'bin', 'dualstack-conformance.ts'), ...readdirSync(cliDir).map((name) => path.join(cliDir, name))];
    const cli = sources.map((file) => readFileSync(file, 'utf8')).join('\n');
    expect(cli).to.not.match(/['"](pre-require|post-require|require)['"]/);
    expect(cli).to.not.match(/\bspecs\/\w+\.spec\.ts|\.spec\.ts`/);
  });
});
