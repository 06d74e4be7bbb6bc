// `npm run docs:bad-input`: renders the README's bad-input table from the table that drives the bad-input cases
// (selftest/robustness-bad-input.ts). `--check` only compares and exits 1 when the README is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../lib/paths.ts';
import { withBadInputTable } from './robustness-bad-input.ts';

const readmeFile = join(PROJECT_ROOT, 'README.md');
const current = readFileSync(readmeFile, 'utf8');
const fresh = withBadInputTable(current);
if (process.argv.includes('--check')) {
  if (fresh !== current) {
    process.stderr.write('README.md\'s bad-input table is out of date: run `npm run docs:bad-input`\n');
    process.exit(1);
  }
} else if (fresh !== current) {
  writeFileSync(readmeFile, fresh);
  process.stdout.write('wrote the bad-input table of README.md\n');
}
