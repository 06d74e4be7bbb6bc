// The suite as users install it (issue: ship it): `npm pack` of this checkout, installed into an empty directory,
// run with `npx dualstack-conformance` against the dual-stack cluster — compiled JavaScript, no tsx, no checkout.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT as projectDir } from '../lib/paths.ts';
import type { ListedCheck } from '../support/listing.ts';
import { judgeJunit } from './in-cluster.ts';
import { snapshot } from './leaks.ts';
import { cleanEnv, execText, nothingLeaked, withTempDir, type RobustnessCase } from './robustness-harness.ts';

/** `npx dualstack-conformance ...` in `dir` with a clean environment: no KUBECONFIG, no DSC_* variable. */
function npx(dir: string, args: readonly string[], timeoutMs: number): Promise<string> {
  return execText('npx', ['--no-install', 'dualstack-conformance', ...args], { cwd: dir, env: cleanEnv(), timeoutMs });
}

export function packageCases(target: { readonly kubeconfig: string }): RobustnessCase[] {
  return [
    {
      name: 'package: npm pack, install into an empty dir, npx dualstack-conformance --version, --list --json, a --strict run',
      fn: () =>
        withTempDir('package', async (dir) => {
          const before = await snapshot(target.kubeconfig);
          const version = (JSON.parse(readFileSync(join(projectDir, 'package.json'), 'utf8')) as { version: string }).version;
          // prepack compiles the TypeScript into dist/; the tarball carries only what package.json's "files" names.
          const packed = (await execText('npm', ['pack', '--silent', '--pack-destination', dir], { timeoutMs: 300_000 })).trim().split('\n').at(-1) ?? '';
          const tarball = join(dir, packed);
          const app = join(dir, 'app');
          mkdirSync(app);
          writeFileSync(join(app, 'package.json'), '{ "private": true }\n');
          const started = Date.now();
          await execText('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], { cwd: app, timeoutMs: 300_000 });
          const installSeconds = (Date.now() - started) / 1000;

          const printed = (await npx(app, ['--version'], 60_000)).trim();
          if (printed !== `dualstack-conformance ${version}`) throw new Error(`--version printed "${printed}", expected "dualstack-conformance ${version}"`);
          const listed = JSON.parse(await npx(app, ['--list', '--json'], 60_000)) as ListedCheck[];
          if (listed.length === 0 || listed.some((check) => !check.id || !check.area || !check.title)) {
            throw new Error(`--list --json gave ${listed.length} checks, some without id/area/title`);
          }

          const reports = join(dir, 'reports');
          const out = await npx(app, ['--strict', '--kubeconfig', target.kubeconfig, '--reports-dir', reports], 300_000);
          const verdict = out.split('\n').find((text) => text.startsWith('PASSED')) ?? '';
          if (!verdict) throw new Error(`no PASSED line; last lines: ${out.trim().split('\n').slice(-3).join(' | ')}`);
          const junit = readFileSync(join(reports, 'junit.xml'), 'utf8');
          const totals = judgeJunit(junit, listed.map((check) => check.id), 'junit.xml');
          await nothingLeaked(target.kubeconfig, before);
          return `${packed} installed in ${installSeconds.toFixed(1)} s; --version ${version}; --list: ${listed.length} checks; ${verdict}; junit.xml: ${totals}`;
        }),
    },
  ];
}
