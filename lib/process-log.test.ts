import { expect } from 'chai';
import { ConfigurationError } from './errors.ts';
import { exitCodeFor, PhaseTimings } from './log.ts';
import { CommandError, runProcess, runSync, runSyncText } from './process.ts';

describe('lib/process: every command bounded, failures name the command', function () {
  it('knows the pid as soon as the child starts', async function () {
    let spawned = 0;
    const finished = runProcess(process.execPath, ['-e', ''], { timeoutMs: 30_000, onSpawn: (pid) => (spawned = pid) });
    expect(spawned).to.be.greaterThan(0);
    expect((await finished).pid).to.equal(spawned);
  });

  it('returns the output of a query, or throws naming the command, its status and what it said', function () {
    expect(runSyncText(process.execPath, ['-e', 'process.stdout.write("ok")'])).to.equal('ok');
    expect(() => runSyncText(process.execPath, ['-e', 'console.error("no such thing"); process.exit(3)']))
      .to.throw(CommandError, /-e .* failed \(exit 3\): no such thing$/)
      .with.property('exitCode', 3);
  });

  it('reads a command that cannot start as exit 127, and one past its bound as 124', function () {
    expect(runSync('/nonexistent/dsc-command', []).status).to.equal(127);
    expect(runSync(process.execPath, ['-e', 'setTimeout(() => {}, 5000)'], { timeoutMs: 200 }).status).to.equal(124);
  });
});

describe('lib/log: one way for an entry point to end', function () {
  it('ends a configuration problem with 2, a failed command with 1, and leaves a bug to its stack trace', function () {
    expect(exitCodeFor(new ConfigurationError('--runs needs a positive integer'))).to.equal(2);
    const parseArgsError = Object.assign(new TypeError("Unknown option '--nope'"), { code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' });
    expect(exitCodeFor(parseArgsError)).to.equal(2);
    expect(exitCodeFor(new CommandError('kind create cluster failed (exit 4)', 4))).to.equal(1);
    expect(exitCodeFor(new TypeError('x is undefined'))).to.equal(undefined);
    expect(exitCodeFor('a string')).to.equal(undefined);
  });

  it('times phases and prints them with their total', async function () {
    const lines: string[] = [];
    const timings = new PhaseTimings((line) => lines.push(line));
    expect(await timings.time('kind binary', () => Promise.resolve(7))).to.equal(7);
    await timings.time('nodes Ready', () => Promise.reject(new Error('late'))).catch(() => undefined);
    timings.print();
    expect(lines[0]).to.equal('timings:');
    expect(lines.slice(1).map((line) => line.trim().split(/\s+/)[0])).to.deep.equal(['kind', 'nodes', 'total']);
  });
});
