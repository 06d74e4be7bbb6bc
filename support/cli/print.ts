// What the CLI prints on stdout besides mocha's own report: the answers of the informational options, the
// namespaces --keep-on-failure kept, and the closing verdict lines.
import path from 'node:path';
import { USAGE, type CliRequest } from '../config.ts';
import { SUITE } from '../lifecycle.ts';
import { checkList, formatCheckList } from '../listing.ts';
import type { RunNamespaces } from '../namespace.ts';
import type { CheckResult, RunSummary } from '../results.ts';
import { leftoverCommand } from '../teardown.ts';
import { formatDuration } from '../../lib/log.ts';
import { REPORT_FILES } from './reports.ts';

export function line(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** --help, --version, --list [--json], --print-images: what they print. */
export async function printInformation(request: Exclude<CliRequest, { action: 'run' }>): Promise<void> {
  switch (request.action) {
    case 'help':
      return line(USAGE);
    case 'version':
      return line(`${SUITE.name} ${SUITE.version}`);
    case 'list': {
      const checks = await checkList();
      return line(request.json ? JSON.stringify(checks, null, 2) : formatCheckList(checks));
    }
    case 'print-images':
      for (const image of request.list) line(image);
  }
}

/** The namespaces a failed run keeps (--keep-on-failure) and the one command that deletes them. */
export function printKeptNamespaces(namespaces: RunNamespaces, kubectlArgs: readonly string[]): void {
  line(`Kept namespaces ${namespaces.main} and ${namespaces.host} (--keep-on-failure); delete them with:`);
  line(`  ${leftoverCommand({ runId: namespaces.runId, kubectlArgs }, new Set(['cluster']))}`);
}

/** Skipped and not-run checks with their reasons, cleanup failures, the verdict line and where the reports are. */
export function printVerdict(summary: RunSummary, results: readonly CheckResult[], reportsDir: string): void {
  const counts = summary.counts;
  line('');
  for (const result of results.filter((r) => r.verdict === 'skipped')) line(`  skipped [${result.id}]: ${result.reason ?? ''}`);
  // Checks a failed hook kept from running usually share one reason: print it once per reason.
  const notRun = new Map<string, string[]>();
  for (const result of results.filter((r) => r.verdict === 'not-run')) {
    notRun.set(result.reason ?? '', [...(notRun.get(result.reason ?? '') ?? []), result.id]);
  }
  for (const [reason, ids] of notRun) line(`  ${ids.length} check(s) ${reason} [${ids.join(', ')}]`);
  for (const failure of summary.cleanupFailures) line(`  cleanup failed: ${failure}`);
  const label = summary.partial ? `PARTIAL ${summary.verdict.toUpperCase()}` : summary.verdict.toUpperCase();
  line(
    `${label}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped, ${counts.notRun} not run ` +
      `of ${counts.total} checks in ${formatDuration(Math.round(summary.wallSeconds * 1000))}; ${summary.reason}`,
  );
  const dir = path.relative(process.cwd(), reportsDir) || '.';
  line(`Reports: ${REPORT_FILES.map((file) => path.join(dir, file)).join(', ')}`);
}
