// `npm run docs:checks`: regenerates the generated documents (docs/checks.md from the checks the spec files define,
// docs/timeouts.md from the timeouts table). `--check` only compares and exits 1 when one is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHECK_DEFINITIONS } from '../specs/catalog.ts';
import { renderChecksMarkdown } from '../support/checks-doc.ts';
import { renderTimeoutsMarkdown } from '../support/timeouts.ts';

const docs = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'docs');
const generated: readonly [file: string, content: string][] = [
  ['checks.md', renderChecksMarkdown(CHECK_DEFINITIONS)],
  ['timeouts.md', renderTimeoutsMarkdown()],
];

let stale = false;
for (const [file, content] of generated) {
  const target = path.join(docs, file);
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(target, 'utf8');
    } catch {
      // A missing file is stale too.
    }
    if (current !== content) {
      process.stderr.write(`docs/${file} is out of date: run \`npm run docs:checks\`\n`);
      stale = true;
    }
  } else {
    writeFileSync(target, content);
    process.stdout.write(`wrote docs/${file}\n`);
  }
}
process.exit(stale ? 1 : 0);
