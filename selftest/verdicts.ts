// The expected-verdict table (selftest/expected-verdicts.yaml) and its comparison with a run's summary.json.
// Pure functions: the unit tests check the table against the rule and the catalog, selftest compares runs.
import { loadYaml } from '@kubernetes/client-node';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Expectation =
  | { readonly verdict: 'passed' }
  | { readonly verdict: 'failed' | 'skipped'; readonly contains: string };

export interface MatrixCluster {
  readonly name: string;
  readonly ipFamily: 'dual' | 'ipv4' | 'ipv6';
  readonly primary: 'ipv4' | 'ipv6';
  /** Extra suite arguments for this cluster (e.g. --strict on dual-stack ones). */
  readonly suiteArgs: readonly string[];
  readonly exitCode: number;
}

export interface ExpectedTable {
  readonly clusters: readonly MatrixCluster[];
  /** check id → cluster name → expectation */
  readonly checks: ReadonlyMap<string, ReadonlyMap<string, Expectation>>;
}

export interface ObservedCheck {
  readonly id: string;
  readonly verdict: string;
  readonly reason?: string | null;
}

/** The per-check verdicts of a suite run, from the summary.json in its reports directory. */
export function readSummary(reportsDir: string): ObservedCheck[] {
  const file = join(reportsDir, 'summary.json');
  if (!existsSync(file)) throw new Error(`no ${file}`);
  return (JSON.parse(readFileSync(file, 'utf8')) as { checks: ObservedCheck[] }).checks;
}

export const tablePath = join(dirname(fileURLToPath(import.meta.url)), 'expected-verdicts.yaml');

/** "pass" | "fail: <substring>" | "skip: <substring>" */
export function parseCell(cell: unknown, where: string): Expectation {
  if (cell === 'pass') return { verdict: 'passed' };
  if (typeof cell === 'string') {
    const colon = cell.indexOf(':');
    const kind = cell.slice(0, colon).trim();
    const contains = cell.slice(colon + 1).trim();
    if (colon > 0 && contains && (kind === 'fail' || kind === 'skip')) {
      return { verdict: kind === 'fail' ? 'failed' : 'skipped', contains };
    }
  }
  throw new Error(`${where}: cell must be "pass", "fail: <substring>" or "skip: <reason substring>", got ${JSON.stringify(cell)}`);
}

interface RawTable {
  clusters: Record<string, { ipFamily: MatrixCluster['ipFamily']; primary: MatrixCluster['primary']; suiteArgs?: string[]; exitCode: number }>;
  checks: Record<string, Record<string, unknown>>;
}

export function parseTable(text: string): ExpectedTable {
  const raw = loadYaml<RawTable>(text);
  const clusters = Object.entries(raw.clusters).map(([name, c]) => ({
    name,
    ipFamily: c.ipFamily,
    primary: c.primary,
    suiteArgs: c.suiteArgs ?? [],
    exitCode: c.exitCode,
  }));
  const checks = new Map<string, Map<string, Expectation>>();
  for (const [id, row] of Object.entries(raw.checks)) {
    const cells = new Map<string, Expectation>();
    for (const c of clusters) {
      if (!(c.name in row)) throw new Error(`expected-verdicts: check ${id} has no cell for cluster ${c.name}`);
      cells.set(c.name, parseCell(row[c.name], `expected-verdicts: ${id} on ${c.name}`));
    }
    for (const name of Object.keys(row)) {
      if (!clusters.some((c) => c.name === name)) throw new Error(`expected-verdicts: check ${id} names unknown cluster ${name}`);
    }
    checks.set(id, cells);
  }
  return { clusters, checks };
}

export function loadTable(path = tablePath): ExpectedTable {
  return parseTable(readFileSync(path, 'utf8'));
}

/**
 * The table with some of one cluster's cells replaced (a fault's expected failures over that cluster's healthy
 * verdicts), every other cell as it was. An override for a check the table does not know is an error: a misspelt id
 * must not leave the check expected to pass unnoticed.
 */
export function overrideCells(table: ExpectedTable, cluster: string, overrides: ReadonlyMap<string, Expectation>): ExpectedTable {
  if (!table.clusters.some((c) => c.name === cluster)) throw new Error(`expected-verdicts has no cluster ${cluster}`);
  const unknown = [...overrides.keys()].filter((id) => !table.checks.has(id));
  if (unknown.length > 0) throw new Error(`no such check id in expected-verdicts: ${unknown.join(', ')}`);
  const checks = new Map<string, ReadonlyMap<string, Expectation>>();
  for (const [id, cells] of table.checks) {
    const override = overrides.get(id);
    checks.set(id, override ? new Map([...cells, [cluster, override]]) : cells);
  }
  return { clusters: table.clusters, checks };
}

export interface Mismatch {
  readonly id: string;
  readonly expected: string;
  readonly observed: string;
}

export const describeExpectation = (e: Expectation): string =>
  e.verdict === 'passed' ? 'passed' : `${e.verdict} containing "${e.contains}"`;

/**
 * Every check of the table must appear in the run with the expected verdict and, for a non-pass, a reason that
 * contains the expected substring; a check missing from the run is a mismatch (a crashed hook must not hide
 * checks), and so is a check the table does not know.
 */
export function compareVerdicts(table: ExpectedTable, cluster: string, observed: readonly ObservedCheck[]): Mismatch[] {
  const mismatches: Mismatch[] = [];
  const seen = new Map(observed.map((o) => [o.id, o]));
  for (const [id, cells] of table.checks) {
    const want = cells.get(cluster);
    if (!want) throw new Error(`expected-verdicts has no cluster ${cluster}`);
    const got = seen.get(id);
    if (!got) {
      mismatches.push({ id, expected: describeExpectation(want), observed: 'absent from the results' });
      continue;
    }
    const reason = got.reason ?? '';
    const ok = got.verdict === want.verdict && (want.verdict === 'passed' || reason.includes(want.contains));
    if (!ok) mismatches.push({ id, expected: describeExpectation(want), observed: `${got.verdict}${reason ? `: ${reason.split('\n')[0]}` : ''}` });
  }
  for (const o of observed) {
    if (!table.checks.has(o.id)) mismatches.push({ id: o.id, expected: 'not in the table', observed: o.verdict });
  }
  return mismatches;
}

/** One line per check: its verdict on each cluster (P/F/S, ? when absent). */
export function verdictTable(clusters: readonly string[], results: ReadonlyMap<string, readonly ObservedCheck[]>, ids: readonly string[]): string {
  const mark = (v: string | undefined) => (v === 'passed' ? 'pass' : v === 'failed' ? 'FAIL' : v === 'skipped' ? 'skip' : v ?? '—');
  const width = Math.max(...ids.map((id) => id.length), 8);
  const lines = [`${'check'.padEnd(width)}  ${clusters.map((c) => c.padEnd(9)).join(' ')}`];
  for (const id of ids) {
    lines.push(`${id.padEnd(width)}  ${clusters.map((c) => mark(results.get(c)?.find((o) => o.id === id)?.verdict).padEnd(9)).join(' ')}`);
  }
  return lines.join('\n');
}
