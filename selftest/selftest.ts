// npm run selftest — the project's own tests: tool checks first, then real clusters.
// Each step is a named case; the last line is the plain "N passed, N failed" summary CI reads.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { cacheDir } from '../cluster/lib/paths.ts';

interface Case {
  name: string;
  ok: boolean;
  seconds: number;
  detail: string;
}

const results: Case[] = [];
const say = (msg: string) => process.stdout.write(`[selftest] ${msg}\n`);

function npmRun(script: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '--silent', script, ...(args.length ? ['--', ...args] : [])], {
      stdio: 'inherit',
      env: { ...process.env, ...env },
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

/** Runs one case; `expect` is the exit code that counts as a pass. */
async function step(name: string, script: string, args: string[] = [], opts: { env?: NodeJS.ProcessEnv; expect?: number } = {}): Promise<boolean> {
  say(`--- ${name}`);
  const start = Date.now();
  const code = await npmRun(script, args, opts.env);
  const want = opts.expect ?? 0;
  const c: Case = { name, ok: code === want, seconds: (Date.now() - start) / 1000, detail: `exit ${code}, expected ${want}` };
  results.push(c);
  say(`${c.ok ? 'PASS' : 'FAIL'} ${name} (${c.seconds.toFixed(1)} s, ${c.detail})`);
  return c.ok;
}

async function main(): Promise<number> {
  const started = Date.now();
  await step('type-check', 'typecheck');
  await step('lint', 'lint');
  await step('unit tests', 'unit');

  const name = 'dsc-dual';
  const kubeconfig = join(cacheDir, `kubeconfig-${name}`);
  if (await step('cluster:up dual (IPv4 primary)', 'cluster:up', ['--name', name, '--ip-family', 'dual', '--kubeconfig', kubeconfig])) {
    if (await step('smoke on dual (IPv4 primary)', 'smoke', ['--name', name])) {
      await step('suite on dual (IPv4 primary): every check passes', 'test', ['--strict', '--lb-provider=none'], {
        env: { KUBECONFIG: kubeconfig },
      });
    }
  }

  say('summary:');
  for (const c of results) say(`  ${c.ok ? 'PASS' : 'FAIL'}  ${c.name.padEnd(60)} ${c.seconds.toFixed(1).padStart(7)} s`);
  const failed = results.filter((c) => !c.ok).length;
  say(`total ${((Date.now() - started) / 1000).toFixed(0)} s`);
  process.stdout.write(`selftest: ${results.length - failed} passed, ${failed} failed\n`);
  return failed === 0 ? 0 : 1;
}

main().then((code) => process.exit(code));
